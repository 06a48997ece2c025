// Ingest on every core: `node bin/run-ts.js bench/ingest-threads.ts [pages] [--rounds=3] [--write]`.
// The news WARC of bench/ingest-warc.ts (./news-warc.ts) ingested end to end into fresh topics by
// one ingest process with its per-document steps on the main thread (`--threads 0`), on one worker
// thread and on two; the thread counts alternate within each round, so a change in the box's load
// hits every count alike, and each round gives its own ratios. Two configurations: with the dedup
// stage (`--dedup-stage`: every per-document step — extraction, language, lines, quality, hash and
// MinHash signature, token counting — on the threads; candidates produced) and the defaults (every
// step on; the in-process dedup windows, near-duplicate signatures included, on the main thread).
// Then the first configuration's steps alone, as ingest runs them but with nothing produced: the
// process's own scaling, without the Kafka broker on the same cores. For each run: pages/s, the
// process's CPU seconds per 1 000 pages (all its threads, the timed part) and how busy the whole
// box was (every process, the Kafka broker and other users' jobs included).

import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { loadEndpoints } from '../lib/endpoints.ts';
import { kafkaClient } from '../lib/kafka/client.ts';
import { createLogger } from '../lib/log.ts';
import type { IngestorOptions } from '../services/ingest/ingestor.ts';
import { dryIngest, timedIngest } from './ingest-run.ts';
import { writeNewsWarc } from './news-warc.ts';
import { machine } from './proc.ts';
import { fmt, quantile, ranLine, writeResultsBlock } from './results.ts';

const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1500);
const ROUNDS = Number(/--rounds=(\d+)/.exec(process.argv.join(' '))?.[1] ?? 3);
const WRITE = process.argv.includes('--write');
const THREADS = [0, 1, 2] as const;

const CONFIGS: { label: string; options: Partial<IngestorOptions>; kafka: boolean }[] = [
  {
    label: 'dedup stage (every per-document step on the threads)',
    options: { dedupStage: true },
    kafka: true,
  },
  {
    label: 'defaults (every step on; dedup windows on the main thread)',
    options: {},
    kafka: true,
  },
  {
    label: 'steps only, no Kafka (as the dedup stage row, nothing produced)',
    options: { dedupStage: true },
    kafka: false,
  },
];

const endpoints = loadEndpoints();
const log = createLogger('bench-ingest-threads', 'warn');
const kafka = kafkaClient('ipt-bench-ingest-threads', endpoints.kafka.brokers);

/** Busy and total jiffies of all cores so far (/proc/stat). */
function cpuJiffies(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

interface Run {
  pps: number;
  /** CPU seconds of this process (every thread) per 1 000 pages. */
  cpuPer1000: number;
  /** CPU seconds of its main thread per 1 000 pages: 1 000 ÷ this bounds pages/s on any number of cores. */
  mainPer1000: number;
  /** Share of the box's cores busy during the run, every process included. */
  boxBusy: number;
  accepted: number;
}

async function run(file: string, config: (typeof CONFIGS)[number], threads: number): Promise<Run> {
  const box0 = cpuJiffies();
  const result = config.kafka
    ? await timedIngest(
        { kafka, endpoints, log, prefix: 'bench-threads' },
        file,
        { ...config.options, threads },
        warmUp,
      )
    : await dryIngest(file, { ...config.options, log }, { threads, warmUp });
  const box1 = cpuJiffies();
  return {
    pps: N / result.secs,
    cpuPer1000: (result.cpuSecs / N) * 1000,
    mainPer1000: (result.mainCpuSecs / N) * 1000,
    // Over the whole call (topic setup and the threads' start included): how busy the box was.
    boxBusy: (box1.busy - box0.busy) / Math.max(1, box1.total - box0.total),
    accepted: result.accepted,
  };
}

const median = (xs: number[]) => quantile(xs, 0.5);

async function measure(file: string, config: (typeof CONFIGS)[number]) {
  const runs = new Map<number, Run[]>(THREADS.map((t) => [t, []]));
  const ratios: { two: number[]; twoVsMain: number[] } = { two: [], twoVsMain: [] };
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate the order too: 0 1 2, then 2 1 0, …
    const order = r % 2 === 0 ? THREADS : [...THREADS].reverse();
    const round = new Map<number, Run>();
    for (const t of order) {
      const result = await run(file, config, t);
      round.set(t, result);
      runs.get(t)?.push(result);
      console.log(
        `  round ${r + 1}, ${t} threads: ${fmt(result.pps, 0)} pages/s, ${fmt(result.cpuPer1000, 2)} CPU s per 1000 pages (main thread ${fmt(result.mainPer1000, 2)}), box ${fmt(result.boxBusy * 100, 0)} % busy, load ${machine().load}`,
      );
    }
    const [p0, p1, p2] = THREADS.map((t) => round.get(t)?.pps ?? Number.NaN);
    ratios.two.push((p2 as number) / (p1 as number));
    ratios.twoVsMain.push((p2 as number) / (p0 as number));
  }
  return { runs, ratios };
}

const dir = mkdtempSync(join(os.tmpdir(), 'ipt-bench-threads-'));
const file = join(dir, 'pages.warc.gz');
const warmUp = join(dir, 'warm-up.warc.gz');
try {
  await writeNewsWarc(file, N);
  await writeNewsWarc(warmUp, Math.ceil(N / 3), 1);
  const mb = statSync(file).size / 1024 / 1024;
  const m = machine();
  const ran = ranLine('bench/ingest-threads.ts');
  console.log(
    `ingest threads benchmark: ${N} pages, ${mb.toFixed(1)} MB; ${m.cores} × ${m.cpu}, load ${m.load}`,
  );
  const sections: string[] = [];
  for (const config of CONFIGS) {
    console.log(config.label);
    const { runs, ratios } = await measure(file, config);
    const rows = THREADS.map((t) => {
      const rs = runs.get(t) ?? [];
      const pps = rs.map((x) => x.pps);
      return `| ${t === 0 ? '0 (main thread)' : t} | ${fmt(median(pps), 0)} | ${pps.map((p) => fmt(p, 0)).join(', ')} | ${fmt(median(rs.map((x) => x.cpuPer1000)), 2)} | ${fmt(median(rs.map((x) => x.mainPer1000)), 2)} | ${fmt(median(rs.map((x) => x.boxBusy)) * 100, 0)} % | ${rs[0]?.accepted ?? 0} |`;
    });
    const ratioLine =
      `2 threads ÷ 1 thread, per round: ${ratios.two.map((x) => fmt(x, 2)).join(', ')} (median ${fmt(median(ratios.two), 2)}); ` +
      `2 threads ÷ main thread: ${ratios.twoVsMain.map((x) => fmt(x, 2)).join(', ')} (median ${fmt(median(ratios.twoVsMain), 2)}).`;
    for (const row of rows) console.log(row);
    console.log(ratioLine);
    sections.push(
      [
        `### ${config.label}`,
        '',
        ran,
        '',
        '| threads | pages/s (median) | pages/s per round | CPU s per 1 000 pages (process) | of it the main thread | box busy | accepted |',
        '| ------- | ---------------- | ----------------- | ------------------------------- | --------------------- | -------- | -------- |',
        ...rows,
        '',
        ratioLine,
      ].join('\n'),
    );
  }
  if (WRITE) {
    const head =
      `## Ingest on every core (bench/ingest-threads.ts) — ${new Date().toISOString().slice(0, 10)}\n\n` +
      `${N} pages of bench/news-warc.ts (${mb.toFixed(1)} MB gzip WARC), ingested end to end into fresh topics of the ` +
      `local stack by one ingest process; ${ROUNDS} rounds, the thread counts alternating within each; ` +
      `${m.cores} × ${m.cpu}, Node ${m.node}. "box busy": the share of all cores busy during the run ` +
      '(/proc/stat: this process, the Kafka broker, the registry and every other job on the box); "of it the main ' +
      'thread": the main thread\'s CPU (/proc task stat), which bounds pages/s whatever the number of cores; each ' +
      'ingest warmed its threads on another WARC of a third as many pages first, untimed.';
    writeResultsBlock('ingest-threads', [head, ...sections].join('\n\n'), true);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
