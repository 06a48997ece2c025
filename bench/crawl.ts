// Crawl inputs shared by ingest workers: `node bin/run-ts.js bench/crawl.ts [files] [pages] [--write]`.
// A fixed set of gzip WARC files (request + response per page; articles of demo-corpus sentences in
// a little page chrome). Measured as processes of the real CLI on the shared stack:
//   1. one `ipt ingest --dedup-stage <files>` against 1, 2 and 4 `ipt ingest --worker` processes over the
//      same files published with `ipt crawl add` — pages/s, and pages per CPU-second of the ingest
//      processes (the per-core ratio; the box is shared, so wall-clock rates carry its load);
//   2. `ipt crawl follow` + one worker: seconds from a file renamed into the followed directory to its
//      first document on the candidates topic;
//   3. resume cost: a worker SIGKILLed half-way through one large file; the next worker's records
//      re-read and skipped (ipt_crawl_records_skipped_total) and the records done twice (read by the
//      killed worker after its last commit, so aborted with its transaction).
// --write puts the tables in bench/RESULTS.md.

import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WARCRecord, WARCSerializer } from 'warcio';
import { Rng } from '../core/prng.ts';
import { loadEndpoints } from '../lib/endpoints.ts';
import { kafkaClient } from '../lib/kafka/client.ts';
import { registerSchemas, registryClient } from '../lib/registry.ts';
import { createTopics, type Topics, topicsFor } from '../lib/topics.ts';
import { REPO_ROOT } from '../stack/config.ts';
import { groupAlive, killGroup, signalGroup, startDetached } from '../stack/processes.ts';
import { groupCpuSeconds, machine, metric, sleep } from './proc.ts';
import { fmt, ranLine, writeResultsBlock } from './results.ts';

const numbers = process.argv
  .slice(2)
  .filter((a) => /^\d+$/.test(a))
  .map(Number);
const FILES = numbers[0] ?? 8;
const PAGES = numbers[1] ?? 150;
const WRITE = process.argv.includes('--write');
/** --commit-records of the resume run: a kill half-way through the file lands after some commits. */
const RESUME_COMMIT_RECORDS = 100;
const endpoints = loadEndpoints();
const kafka = kafkaClient('bench-crawl', endpoints.kafka.brokers);
const dir = mkdtempSync(join('/tmp', 'ipt-bench-crawl-'));
const rng = new Rng(25);
const SENTENCES = readFileSync(join(REPO_ROOT, 'demo/corpus/sample.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .flatMap((l) => (JSON.parse(l) as { text: string }).text.split(/(?<=[.!?])\s+/u))
  .filter((s) => s.split(' ').length >= 8 && !s.includes('\n'));
const pick = () => SENTENCES[rng.int(SENTENCES.length)] as string;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function page(i: number): string {
  const paragraphs = Array.from({ length: 4 + rng.int(2) }, () => Array.from({ length: 4 }, pick).join(' '));
  return `<!doctype html><html lang="en"><head><title>Story ${i}</title></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/science">Science</a></nav>
<main><article><h1>Story ${i}: ${esc(pick().slice(0, 40))}</h1>${paragraphs.map((p) => `<p>${esc(p)}</p>`).join('\n')}</article></main>
<footer>© 2026 Daily Example</footer></body></html>`;
}

async function writeWarcFile(path: string, first: number, pages: number): Promise<void> {
  const bytes = (s: string) =>
    (async function* () {
      yield new TextEncoder().encode(s);
    })();
  const parts: Uint8Array[] = [];
  for (let i = first; i < first + pages; i++) {
    const url = `https://news.example/${i}`;
    const request = WARCRecord.create(
      { url, type: 'request', warcVersion: 'WARC/1.0', statusline: 'GET / HTTP/1.1' },
      bytes(''),
    );
    const response = WARCRecord.create(
      {
        url,
        type: 'response',
        warcVersion: 'WARC/1.0',
        statusline: 'HTTP/1.1 200 OK',
        httpHeaders: { 'Content-Type': 'text/html; charset=utf-8' },
      },
      bytes(page(i)),
    );
    for (const r of [request, response]) parts.push(await WARCSerializer.serialize(r, { gzip: true }));
  }
  writeFileSync(path, Buffer.concat(parts));
}

async function freshTopics(prefix: string, partitions: number): Promise<Topics> {
  const topics = topicsFor(`${prefix}-${randomUUID().slice(0, 8)}`);
  const admin = kafka.admin();
  await admin.connect();
  await createTopics(admin, partitions, topics);
  await admin.disconnect();
  await registerSchemas(registryClient(endpoints.registry.url), topics);
  return topics;
}

async function dropTopics(topics: Topics): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => {});
  await admin.disconnect();
}

const namespaceOf = (topics: Topics) => topics.raw.slice(0, topics.raw.indexOf('.ipt.'));

interface Proc {
  pid: number;
  log: string;
}

function ipt(args: string[], name: string): Proc {
  const log = join(dir, `${name}-${randomUUID().slice(0, 6)}.log`);
  const { pid } = startDetached([process.execPath, join(REPO_ROOT, 'bin/ipt.js'), ...args], {
    log,
    cwd: REPO_ROOT,
    env: { ...process.env, IPT_LOG_LEVEL: 'info' },
  });
  return { pid, log };
}

async function exited(p: Proc): Promise<void> {
  while (groupAlive(p.pid)) await sleep(100);
}

async function stopped(p: Proc): Promise<void> {
  signalGroup(p.pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (groupAlive(p.pid) && Date.now() < deadline) await sleep(100);
  if (groupAlive(p.pid)) await killGroup(p.pid);
}

const logCount = (p: Proc, message: string) =>
  readFileSync(p.log, 'utf8')
    .split('\n')
    .filter((l) => l.includes(`"msg":"${message}"`)).length;

async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 900_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(200);
  }
}

interface Rate {
  label: string;
  processes: number;
  secs: number;
  cpu: number;
}

/** One `ipt ingest --dedup-stage` over the files, from its start to its exit. */
async function singleIngest(files: string[], label: string): Promise<Rate> {
  const topics = await freshTopics('bench-crawl-one', FILES);
  try {
    const started = performance.now();
    const p = ipt(
      ['ingest', '--dedup-stage', '--topic-namespace', namespaceOf(topics), '--progress', 'none', ...files],
      'ingest',
    );
    let cpu = 0;
    while (groupAlive(p.pid)) {
      cpu = Math.max(cpu, groupCpuSeconds(p.pid));
      await sleep(100);
    }
    return { label, processes: 1, secs: (performance.now() - started) / 1000, cpu };
  } finally {
    await dropTopics(topics);
  }
}

/**
 * The one ingest's run less its start-up (connecting, loading the language model and tokenizer),
 * measured as an ingest of a one-page file: workers are timed once started, so this is the like
 * for like figure.
 */
async function singleIngestNet(files: string[]): Promise<Rate[]> {
  const tiny = join(dir, 'one-page.warc.gz');
  await writeWarcFile(tiny, 990_000, 1);
  const startup = await singleIngest([tiny], 'start-up only (1 page)');
  const whole = await singleIngest(files, 'ipt ingest <files>, start to exit');
  return [
    whole,
    startup,
    {
      label: '**ipt ingest <files>, less start-up**',
      processes: 1,
      secs: whole.secs - startup.secs,
      cpu: whole.cpu - startup.cpu,
    },
  ];
}

/** `k` workers started and in their group, then the files published; until every input is read. */
async function workers(files: string[], k: number): Promise<Rate> {
  const topics = await freshTopics(`bench-crawl-${k}w`, FILES);
  const ns = namespaceOf(topics);
  const procs = Array.from({ length: k }, (_, i) =>
    ipt(['ingest', '--worker', '--topic-namespace', ns, '--worker-id', `w${i}`], `worker-${i}`),
  );
  try {
    await waitFor(
      'workers in their group',
      () => procs.every((p) => logCount(p, 'crawl inputs assigned') > 0),
      180_000,
    );
    const cpuBefore = procs.map((p) => groupCpuSeconds(p.pid));
    // From the moment the descriptors are on the topic: `ipt crawl add` exits right after its send.
    await exited(ipt(['crawl', 'add', '--topic-namespace', ns, ...files], 'add'));
    const started = performance.now();
    await waitFor(
      'every input read',
      () => procs.reduce((n, p) => n + logCount(p, 'input read'), 0) >= FILES,
    );
    const secs = (performance.now() - started) / 1000;
    const cpu = procs.reduce((n, p, i) => n + groupCpuSeconds(p.pid) - (cpuBefore[i] ?? 0), 0);
    return { label: `${k} × ipt ingest --worker`, processes: k, secs, cpu };
  } finally {
    for (const p of procs) await stopped(p);
    await dropTopics(topics);
  }
}

/** Seconds from a file renamed into a followed directory to its first candidate on the topic. */
async function followLatency(): Promise<{ secs: number; stableChecks: number; intervalMs: number }> {
  const topics = await freshTopics('bench-crawl-follow', 2);
  const ns = namespaceOf(topics);
  const watched = join(dir, 'followed');
  mkdirSync(watched);
  const stableChecks = 2;
  const intervalMs = 500;
  const worker = ipt(['ingest', '--worker', '--topic-namespace', ns], 'follow-worker');
  const follower = ipt(
    [
      'crawl',
      'follow',
      watched,
      '--topic-namespace',
      ns,
      '--stable-checks',
      String(stableChecks),
      '--interval-ms',
      String(intervalMs),
    ],
    'follower',
  );
  const consumer = kafka.consumer({ groupId: `bench-crawl-${randomUUID()}` });
  let firstAt = 0;
  try {
    await waitFor(
      'worker and follower up',
      () => logCount(worker, 'crawl inputs assigned') > 0 && logCount(follower, 'following') > 0,
      180_000,
    );
    await consumer.connect();
    await consumer.subscribe({ topic: topics.candidates, fromBeginning: true });
    await consumer.run({
      eachMessage: async () => {
        firstAt ||= performance.now();
      },
    });
    await sleep(3_000); // the consumer's group join, before the clock starts
    const staging = join(dir, 'staging.warc.gz');
    await writeWarcFile(staging, 900_000, 50);
    const appeared = performance.now();
    renameSync(staging, join(watched, 'crawl-00.warc.gz'));
    await waitFor('first document', () => firstAt > 0, 120_000);
    return { secs: (firstAt - appeared) / 1000, stableChecks, intervalMs };
  } finally {
    await consumer.disconnect();
    await stopped(follower);
    await stopped(worker);
    await dropTopics(topics);
  }
}

/** A worker killed half-way through a large file; what the next one re-reads and redoes. */
async function resumeCost(
  big: string,
  records: number,
): Promise<{ committed: number; redone: number; skipped: number }> {
  const topics = await freshTopics('bench-crawl-resume', 1);
  const ns = namespaceOf(topics);
  const args = (id: string, port: number) => [
    'ingest',
    '--worker',
    '--topic-namespace',
    ns,
    '--worker-id',
    id,
    '--ops-port',
    String(port),
    '--commit-records',
    String(RESUME_COMMIT_RECORDS),
  ];
  const first = ipt(args('first', 18_931), 'resume-first');
  let second: Proc | undefined;
  try {
    await waitFor('first worker up', () => logCount(first, 'crawl inputs assigned') > 0, 180_000);
    await exited(ipt(['crawl', 'add', '--topic-namespace', ns, big], 'add'));
    await waitFor(
      'half the file read',
      async () => (await metric(18_931, 'ipt_crawl_records_read_total')) >= records / 2,
    );
    const readAtKill = await metric(18_931, 'ipt_crawl_records_read_total');
    await killGroup(first.pid);
    second = ipt(args('second', 18_932), 'resume-second');
    await waitFor('the file finished', () => logCount(second as Proc, 'input read') > 0);
    const skipped = await metric(18_932, 'ipt_crawl_records_skipped_total');
    return { committed: skipped, redone: readAtKill - skipped, skipped };
  } finally {
    await killGroup(first.pid).catch(() => {});
    if (second) await stopped(second);
    await dropTopics(topics);
  }
}

try {
  const m = machine();
  const files: string[] = [];
  for (let f = 0; f < FILES; f++) {
    const path = join(dir, `crawl-${f}.warc.gz`);
    await writeWarcFile(path, f * PAGES, PAGES);
    files.push(path);
  }
  const mb = files.reduce((n, f) => n + statSync(f).size, 0) / 1e6;
  const pages = FILES * PAGES;
  const rates: Rate[] = await singleIngestNet(files);
  for (const k of [1, 2, 4]) rates.push(await workers(files, k));
  const base = rates[2] as Rate;
  const perCpu = (r: Rate) => pages / r.cpu;
  const rows = rates.map((r) =>
    r.label.startsWith('start-up')
      ? `| ${r.label} | ${fmt(r.secs)} | | ${fmt(r.cpu)} | | |`
      : `| ${r.label} | ${fmt(r.secs)} | ${fmt(pages / r.secs, 0)} | ${fmt(r.cpu)} | ${fmt(perCpu(r), 0)} | ${fmt(perCpu(r) / perCpu(base), 2)} |`,
  );
  const follow = await followLatency();
  const bigPages = 3 * PAGES;
  const big = join(dir, 'big.warc.gz');
  await writeWarcFile(big, 800_000, bigPages);
  const resume = await resumeCost(big, bigPages * 2);
  const text = [
    `## Crawl inputs over ingest workers (bench/crawl.ts) — ${new Date().toISOString().slice(0, 10)}`,
    '',
    `${ranLine('bench/crawl.ts')} ${FILES} gzip WARC files of ${PAGES} pages each (${pages} pages, ${fmt(mb)} MB; request + response records), every step on, documents to the dedup stage's candidates topic; ${m.cores} × ${m.cpu}, Node ${m.node}. The box is shared with other work (load average ${m.load} at the start), so wall-clock rates carry its load; pages per CPU-second of the ingest processes (user + system, children included) is the per-core figure.`,
    '',
    '| ingest | seconds | pages/s | CPU s | pages per CPU-s | per CPU-s vs one ingest less start-up |',
    '|---|--:|--:|--:|--:|--:|',
    ...rows,
    '',
    `Workers are started and in their group before \`ipt crawl add\` publishes the files (inputs topic with ${FILES} partitions), so their seconds are from \`ipt crawl add\`'s exit (descriptors on the topic) to every input done, without start-up; the one ingest is shown start to exit, and less the start-up an ingest of one page costs (connecting, loading the language model and tokenizer), the like-for-like row the ratios use. On ${m.cores} cores, more than ${m.cores} processes cannot add pages/s; the per-CPU-second column is what coordination (transactions, progress records, group) costs per page.`,
    '',
    `Follow: a 50-page WARC renamed into a directory followed with --stable-checks ${follow.stableChecks} --interval-ms ${follow.intervalMs}, one worker in its group, default --commit-interval-ms: **${fmt(follow.secs, 2)} s** to its first document on the candidates topic (the scans that find it stable, the worker's fetch, fencing and progress restore, then the input's first transaction).`,
    '',
    `Resume: one worker SIGKILLed half-way through a ${bigPages}-page WARC (${bigPages * 2} records), the next one started: it re-read and skipped **${resume.skipped}** records (committed by the killed worker: parsed again, not processed), and **${resume.redone}** records were processed twice (read by the killed worker after its last commit; their output was aborted with its transaction, so never seen downstream). Workers ran with --commit-records ${RESUME_COMMIT_RECORDS} here (default 500): at most that many records, or --commit-interval-ms (2 s) of reading, are redone.`,
  ].join('\n');
  console.log(text);
  if (WRITE) writeResultsBlock('crawl', text, true);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
