// What `ipt ingest` shows while it works and when it is done. A bar on a terminal; on anything
// else (CI logs, files) a plain line every few seconds, or nothing.

import cliProgress from 'cli-progress';
import type { IngestStats } from './ingestor.ts';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';
export const PROGRESS_MODES: readonly ProgressMode[] = ['auto', 'bar', 'lines', 'none'];

const MB = 1024 * 1024;

/** Rates and counts of a run so far: pure, so the summary and the bar say the same thing. */
export function rates(stats: IngestStats, seconds: number) {
  const s = Math.max(seconds, 1e-9);
  return {
    recordsPerSecond: stats.inputs / s,
    docsPerSecond: stats.accepted / s,
    mbPerSecond: stats.bytes / MB / s,
  };
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** One line: counts and rates (used by the non-TTY progress lines). */
export function progressLine(stats: IngestStats, seconds: number): string {
  const r = rates(stats, seconds);
  return (
    `ingest: ${fmt(stats.inputs)} records (${fmt(r.recordsPerSecond)}/s), ${fmt(stats.bytes / MB, 1)} MB ` +
    `(${fmt(r.mbPerSecond, 2)} MB/s), produced ${fmt(stats.produced)}, rejected ${fmt(stats.rejected)}, ` +
    `duplicates ${fmt(stats.duplicates)}`
  );
}

const byCount = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .map(([reason, n]) => `${reason} ${fmt(n)}`)
    .join(', ');

/** One line per step, in pipeline order: documents in → out, and what it dropped by reason. */
export function stepLines(stats: IngestStats): string[] {
  const steps = Object.entries(stats.steps);
  const width = Math.max(0, ...steps.map(([name]) => name.length));
  return steps.map(([name, counts]) => {
    const dropped = byCount(counts.dropped);
    return `  ${name.padEnd(width)}  ${fmt(counts.in)} → ${fmt(counts.out)}${dropped ? `  dropped: ${dropped}` : ''}`;
  });
}

/** The final summary, several lines. */
export function summaryText(stats: IngestStats, seconds: number): string {
  const r = rates(stats, seconds);
  const reasons = Object.entries(stats.rejectedByReason)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  return [
    `ingested ${fmt(stats.accepted)} documents as ${fmt(stats.produced)} records (${fmt(stats.chunked)} chunked) ` +
      `from ${fmt(stats.files)} input${stats.files === 1 ? '' : 's'}`,
    `read ${fmt(stats.inputs)} records, ${fmt(stats.bytes / MB, 2)} MB in ${fmt(seconds, 1)} s ` +
      `(${fmt(r.recordsPerSecond)} records/s, ${fmt(r.docsPerSecond)} docs/s, ${fmt(r.mbPerSecond, 2)} MB/s)`,
    `duplicates ${fmt(stats.duplicates)}, rejected ${fmt(stats.rejected)}${reasons ? ` (${reasons})` : ''}, ` +
      `skipped ${fmt(stats.skipped)}`,
    ...(Object.keys(stats.steps).length > 0 ? ['steps (in → out):', ...stepLines(stats)] : []),
  ].join('\n');
}

export interface Progress {
  stop(): void;
}

/**
 * Starts showing progress on `stream`. `totalBytes` (sum of input file sizes) gives the bar a
 * percentage; without it (stdin) the bar shows counts only.
 */
export function startProgress(
  stats: IngestStats,
  options: {
    mode: ProgressMode;
    totalBytes: number | null;
    stream?: NodeJS.WriteStream;
    intervalMs?: number;
  },
): Progress {
  const stream = options.stream ?? process.stderr;
  const mode = options.mode === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : options.mode;
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  if (mode === 'none') return { stop() {} };
  if (mode === 'lines') {
    const timer = setInterval(
      () => stream.write(`${progressLine(stats, seconds())}\n`),
      options.intervalMs ?? 10_000,
    );
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }
  const total = options.totalBytes && options.totalBytes > 0 ? options.totalBytes : null;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      hideCursor: true,
      fps: 5,
      format: `${total ? '{bar} {percentage}% | ' : ''}{records} rec ({rps}/s) | {mb} MB ({mbps} MB/s) | produced {produced} | rejected {rejected} | dup {duplicates}`,
    },
    cliProgress.Presets.shades_classic,
  );
  const values = () => {
    const r = rates(stats, seconds());
    return {
      records: fmt(stats.inputs),
      rps: fmt(r.recordsPerSecond),
      mb: fmt(stats.bytes / MB, 1),
      mbps: fmt(r.mbPerSecond, 2),
      produced: fmt(stats.produced),
      rejected: fmt(stats.rejected),
      duplicates: fmt(stats.duplicates),
    };
  };
  bar.start(total ?? 1, 0, values());
  const timer = setInterval(() => bar.update(total ? Math.min(stats.bytes, total) : 0, values()), 200);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      bar.update(total ? Math.min(stats.bytes, total) : 0, values());
      bar.stop();
    },
  };
}
