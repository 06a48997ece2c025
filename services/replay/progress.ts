// Progress of a replay or re-assembly on stderr: a bar with done / total and ETA on a terminal, a
// plain line every few seconds elsewhere (CI logs, files), or nothing.

import cliProgress from 'cli-progress';
import type { RunProgress } from './replay.ts';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';
export const PROGRESS_MODES: readonly ProgressMode[] = ['auto', 'bar', 'lines', 'none'];

/** Seconds left at the rate so far; null before anything is done. */
export function etaSeconds(p: RunProgress): number | null {
  if (p.done <= 0 || p.elapsedMs <= 0) return null;
  if (p.done >= p.total) return 0;
  return ((p.total - p.done) * p.elapsedMs) / p.done / 1000;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** "37/120 documents (30.8%), 15 chains, 0 dead letters, 12s elapsed, ETA 27s" */
export function progressLine(p: RunProgress, unit: string): string {
  const pct = p.total > 0 ? ((100 * p.done) / p.total).toFixed(1) : '100.0';
  return (
    `${p.done}/${p.total} ${unit} (${pct}%), ${p.chains} chains, ${p.deadLetters} dead letters, ` +
    `${formatDuration(p.elapsedMs / 1000)} elapsed, ETA ${formatDuration(etaSeconds(p))}`
  );
}

export interface ProgressDisplay {
  update(p: RunProgress): void;
  stop(): void;
}

export function startProgress(
  label: string,
  unit: string,
  options: { mode: ProgressMode; stream?: NodeJS.WriteStream; intervalMs?: number },
): ProgressDisplay {
  const stream = options.stream ?? process.stderr;
  const mode = options.mode === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : options.mode;
  if (mode === 'none') return { update() {}, stop() {} };
  if (mode === 'lines') {
    let last: RunProgress | undefined;
    let lastWritten = 0;
    const write = () => {
      if (last) stream.write(`${label}: ${progressLine(last, unit)}\n`);
      lastWritten = Date.now();
    };
    return {
      update(p) {
        const first = last === undefined;
        last = p;
        if (first || Date.now() - lastWritten >= (options.intervalMs ?? 5_000)) write();
      },
      stop: write,
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      hideCursor: true,
      fps: 5,
      format: `${label} {bar} {value}/{total} ${unit} | {chains} chains | {dead} dead letters | {elapsed} | ETA {left}`,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const values = (p: RunProgress) => ({
    chains: p.chains,
    dead: p.deadLetters,
    elapsed: formatDuration(p.elapsedMs / 1000),
    left: formatDuration(etaSeconds(p)),
  });
  return {
    update(p) {
      if (!started) {
        bar.start(Math.max(p.total, 1), p.done, values(p));
        started = true;
      } else {
        bar.setTotal(Math.max(p.total, 1));
        bar.update(p.done, values(p));
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
