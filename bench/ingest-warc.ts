// What each RefinedWeb-grade ingest step costs: `node bin/run-ts.js bench/ingest-warc.ts [pages] [--write]`.
// A gzip WARC of N news pages (./news-warc.ts: articles of English sentences in a news site's
// chrome; every tenth a near-duplicate, every twentieth German). Ingested end to end into fresh topics with
// every step on (the defaults), then with each of extraction (→ the visible text), language,
// quality (rules and boilerplate lines) and near-duplicates off in turn, then with all four off.
// Then each step timed on its own in a dry run (no Kafka). --write puts both tables in
// bench/RESULTS.md.

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { loadEndpoints } from '../lib/endpoints.ts';
import { kafkaClient } from '../lib/kafka/client.ts';
import { createLogger } from '../lib/log.ts';
import type { IngestorOptions, IngestStats } from '../services/ingest/ingestor.ts';
import type { Step } from '../services/ingest/steps/step.ts';
import { dryIngest, timedIngest } from './ingest-run.ts';
import { writeNewsWarc } from './news-warc.ts';
import { machine } from './proc.ts';
import { ranLine, writeResultsBlock } from './results.ts';

const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1500);
const WRITE = process.argv.includes('--write');
/** Runs of each case; the fastest is reported (other jobs on the box only ever slow a run down). */
const REPEATS = 2;

const CASES: { label: string; options: Partial<IngestorOptions> }[] = [
  { label: 'every step on (defaults)', options: {} },
  { label: 'extraction off (visible text)', options: { extract: 'text' } },
  // The visible text keeps the chrome, so RefinedWeb's boilerplate drop rejects nearly every page:
  // this case lets the pages on, to show what the later steps cost on them.
  {
    label: 'extraction off, boilerplate drop off',
    options: { extract: 'text', quality: { skip: ['boilerplate_lines'] } },
  },
  { label: 'language off', options: { languages: false } },
  { label: 'quality off (rules and lines)', options: { quality: false, cleanLines: 'off' } },
  { label: 'near-duplicates off', options: { nearDup: false } },
  {
    label: 'all four off',
    options: { extract: 'text', languages: false, quality: false, cleanLines: 'off', nearDup: false },
  },
];

const endpoints = loadEndpoints();
const log = createLogger('bench-ingest-warc', 'warn');
const kafka = kafkaClient('ipt-bench-ingest-warc', endpoints.kafka.brokers);

// Every step on the main thread: what each step costs one core (bench/ingest-threads.ts measures threads).
const run = (file: string, options: Partial<IngestorOptions>) =>
  timedIngest({ kafka, endpoints, log, prefix: 'bench-warc' }, file, { threads: 0, ...options });

/** Each step timed on its own: the pages through the steps on this thread, without Kafka. */
async function stepTimes(file: string): Promise<{ step: string; docs: number; us: number }[]> {
  const spent = new Map<string, number>();
  const timed = <In>(step: Step<In>): Step<In> => ({
    ...step,
    process(input) {
      const t = performance.now();
      const verdict = step.process(input);
      if (verdict instanceof Promise) {
        return verdict.finally(() =>
          spent.set(step.name, (spent.get(step.name) ?? 0) + performance.now() - t),
        );
      }
      spent.set(step.name, (spent.get(step.name) ?? 0) + performance.now() - t);
      return verdict;
    },
  });
  const { stats } = await dryIngest(file, { log }, { wrap: timed });
  return Object.entries(stats.steps).map(([step, counts]) => ({
    step,
    docs: counts.in,
    us: ((spent.get(step) ?? 0) * 1000) / Math.max(1, counts.in),
  }));
}

const reasons = (s: IngestStats) =>
  Object.entries(s.rejectedByReason)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([r, n]) => `${r} ${n}`)
    .join(', ') || '–';

const dir = mkdtempSync(join(os.tmpdir(), 'ipt-bench-warc-'));
const file = join(dir, 'pages.warc.gz');
try {
  await writeNewsWarc(file, N);
  const mb = statSync(file).size / 1024 / 1024;
  const m = machine();
  const ran = ranLine('bench/ingest-warc.ts');
  console.log(
    `ingest WARC benchmark: ${N} pages, ${mb.toFixed(1)} MB gzip WARC; ${m.cores} × ${m.cpu}, load ${m.load}`,
  );
  // Warm-up, untimed: the first run would otherwise also pay for compiling every step's code.
  await run(file, {});
  const rows: string[] = [];
  let base = Number.NaN;
  for (const c of CASES) {
    let best: { secs: number; stats: IngestStats } | undefined;
    for (let r = 0; r < REPEATS; r++) {
      const result = await run(file, c.options);
      if (!best || result.secs < best.secs) best = result;
    }
    const { secs, stats } = best as { secs: number; stats: IngestStats };
    const pps = N / secs;
    if (c === CASES[0]) base = pps;
    const cleaned = stats.steps.lines?.kept?.cleaned ?? 0;
    const row = `| ${c.label} | ${pps.toFixed(0)} | ${(mb / secs).toFixed(2)} | ${(pps / base).toFixed(2)} | ${stats.accepted} | ${cleaned} | ${reasons(stats)} |`;
    console.log(row);
    rows.push(row);
  }
  // Twice: the first pass also compiles each step's code.
  await stepTimes(file);
  const times = await stepTimes(file);
  const perPage = times.reduce((sum, t) => sum + (t.us * t.docs) / N, 0);
  const timeRows = times.map(
    (t) =>
      `| ${t.step} | ${t.docs} | ${t.us.toFixed(0)} | ${(((t.us * t.docs) / N / perPage) * 100).toFixed(0)} % |`,
  );
  for (const row of timeRows) console.log(row);
  const timeTable = [
    "| step | documents in | µs per document in | share of the steps' time |",
    '| ---- | ------------ | ------------------ | ------------------------ |',
    ...timeRows,
  ].join('\n');
  const table = [
    '| case | pages/s | MB/s of WARC | × every step on | accepted | lines step cleaned | rejected by reason |',
    '| ---- | ------- | ------------ | --------------- | -------- | ------------------ | ------------------ |',
    ...rows,
  ].join('\n');
  if (WRITE) {
    const head = `## Ingest of WARC, step by step (bench/ingest-warc.ts) — ${new Date().toISOString().slice(0, 10)}`;
    const body =
      `${ran} ${N} pages (${mb.toFixed(1)} MB gzip WARC, request + response ` +
      `records; every 10th a near-duplicate, every 20th German); best of ${REPEATS} runs per case; ${m.cores} × ${m.cpu}, Node ${m.node}.`;
    const timesBody =
      `${ran} The same pages through the steps on one thread without Kafka ` +
      `(a dry run, as \`ipt ingest --explain\` does), each step's \`process\` timed; ${(perPage / 1000).toFixed(2)} ms ` +
      'per page in all. produce is absent (no Kafka); chunk counts tokens inline.';
    writeResultsBlock(
      'ingest-warc',
      `${head}\n\n### Cost of each step\n\n${body}\n\n${table}\n\n### Time in each step\n\n${timesBody}\n\n${timeTable}`,
      true,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
