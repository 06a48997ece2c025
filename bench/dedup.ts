/**
 * The dedup stage (services/dedup) on the local stack, `ipt dedup` as child processes:
 *
 * - pairs: 1, 2 and 4 ingestors at once over the same corpus (each in its own order; T texts, half
 *   with an exact copy, half with a near-duplicate edit, a quarter with an edit of the edit) — exact
 *   and LSH near-duplicate pairs left in ipt.docs.raw (goal 0) and the distinct texts kept, against
 *   the single-ingestor run.
 * - throughput: ingest's documents/s into the candidates topic (no dedup running), then the stage
 *   draining that backlog with 1 and with 2 instances (documents decided per second).
 * - state: changelog bytes (latest value per key) per decided document, scaled to a million.
 * - restore: a changelog of R entries (1 document : 14 band keys, as the stage writes them) and the
 *   time an instance takes from start to ready on it, against one on an empty changelog.
 *
 * node bin/run-ts.js bench/dedup.ts [--sections=pairs,throughput,state,restore] [--texts=400]
 *   [--backlog=4000] [--restore-entries=1000000] [--write]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DedupState } from '../core/types.ts';
import { createLogger } from '../lib/log.ts';
import { avroCodec, registryClient, topicSerde } from '../lib/registry.ts';
import type { Topics } from '../lib/topics.ts';
import { dedupGroupId } from '../services/dedup/topology.ts';
import { createIngestor } from '../services/ingest/ingestor.ts';
import { bandKeys, lshShape, signature, signatureBytes, similarity } from '../services/ingest/minhash.ts';
import { readCommitted } from '../tests/helpers/read-topic.ts';
import { spawnIpt } from '../tests/helpers/service-process.ts';
import { groupCpuSeconds, metric, sleep } from './proc.ts';
import { fmt, ranLine, writeResultsBlock } from './results.ts';
import { benchKafka, endpoints, freePort, namespaceOf, withTopics } from './services.ts';
import { WebText } from './texts.ts';

const { values: argv } = parseArgs({
  options: {
    sections: { type: 'string', default: 'pairs,throughput,state,restore' },
    texts: { type: 'string', default: '400' },
    backlog: { type: 'string', default: '4000' },
    'restore-entries': { type: 'string', default: '1000000' },
    write: { type: 'boolean', default: false },
  },
});
const sections = new Set(argv.sections.split(','));
const PARTITIONS = 4;
const log = createLogger('bench-dedup', 'warn');
const dir = mkdtempSync(join(os.tmpdir(), 'ipt-bench-dedup-'));
const shape = lshShape(0.8);
const web = new WebText(11);

interface Doc {
  id: string;
  text: string;
}

/** `text` with every `step`-th of its last words replaced, `n` times: a near-duplicate. */
function edited(text: string, n: number, word: string): string {
  const words = text.split(' ');
  for (let i = 0; i < n; i++) words[words.length - 3 - i * 9] = word;
  return words.join(' ');
}

function corpus(texts: number): Doc[] {
  const docs: Doc[] = [];
  for (let i = 0; i < texts; i++) {
    const text = `Document ${i}. ${web.make(2000, web.zipfWord)}`;
    docs.push({ id: `t${i}`, text });
    if (i % 2 === 0) docs.push({ id: `t${i}-copy`, text });
    else {
      const near = edited(text, 2, 'meanwhile');
      docs.push({ id: `t${i}-near`, text: near });
      if (i % 4 === 1) docs.push({ id: `t${i}-near2`, text: edited(near, 4, 'otherwise') });
    }
  }
  return docs;
}

function shuffled<T>(list: T[], seed: number): T[] {
  const out = [...list];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function writeJsonl(name: string, docs: Doc[]): string {
  const path = join(dir, name);
  writeFileSync(path, docs.map((d) => JSON.stringify(d)).join('\n'));
  return path;
}

async function ingest(
  topics: Topics,
  files: string[],
  dedupStage = true,
): Promise<{ docs: number; secs: number; cpuSecs: number }> {
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const counts = await Promise.all(
    files.map(async (file, i) => {
      const ingestor = await createIngestor({
        brokers: endpoints.kafka.brokers,
        registryUrl: endpoints.registry.url,
        topics,
        log,
        dedupStage,
        languages: false,
        clientId: `bench-ingest-${i}`,
      });
      await ingestor.ingestPaths([file]);
      await ingestor.close();
      return ingestor.stats.accepted;
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return {
    docs: counts.reduce((a, b) => a + b, 0),
    secs: (performance.now() - started) / 1000,
    cpuSecs: (cpu.user + cpu.system) / 1e6,
  };
}

interface Instance {
  port: number;
  /** CPU seconds of its process group so far. */
  cpu(): number;
  stop(): Promise<void>;
}

async function startDedup(topics: Topics, name: string): Promise<Instance> {
  const port = await freePort();
  const proc = spawnIpt(
    [
      'dedup',
      '--topic-namespace',
      namespaceOf(topics),
      '--ops-port',
      String(port),
      '--session-timeout-ms',
      '10000',
    ],
    name,
  );
  return { port, cpu: () => groupCpuSeconds(proc.pid), stop: () => proc.stop(60_000) };
}

const decidedBy = async (instances: Instance[]) =>
  (await Promise.all(instances.map((i) => metric(i.port, 'ipt_dedup_documents_total')))).reduce(
    (a, b) => a + b,
    0,
  );

async function ready(instance: Instance, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${instance.port}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error('dedup not ready');
    await sleep(100);
  }
}

async function waitDecided(instances: Instance[], docs: number): Promise<void> {
  const deadline = Date.now() + 600_000;
  while ((await decidedBy(instances)) < docs) {
    if (Date.now() > deadline) throw new Error(`decided ${await decidedBy(instances)} of ${docs}`);
    await sleep(200);
  }
}

/** Exact pairs, LSH near-duplicate pairs and distinct texts among the raw topic's documents. */
async function rawPairs(topics: Topics) {
  const serde = topicSerde<{ text: string; content_hash: string }>(
    registryClient(endpoints.registry.url),
    topics.raw,
  );
  const raw = await Promise.all(
    (await readCommitted(benchKafka, topics.raw)).map((r) => serde.deserialize(r.value as Buffer)),
  );
  const byHash = new Map<string, number>();
  for (const r of raw) byHash.set(r.content_hash, (byHash.get(r.content_hash) ?? 0) + 1);
  let exact = 0;
  for (const n of byHash.values()) exact += (n * (n - 1)) / 2;
  const sigs = raw.map((r) => signature(r.text));
  const buckets = new Map<string, number[]>();
  sigs.forEach((sig, i) => {
    bandKeys(sig, shape).forEach((key, band) => {
      const k = `${band}/${key}`;
      buckets.set(k, [...(buckets.get(k) ?? []), i]);
    });
  });
  const near = new Set<string>();
  for (const members of buckets.values())
    for (let a = 0; a < members.length; a++)
      for (let b = a + 1; b < members.length; b++) {
        const [x, y] = [members[a] as number, members[b] as number];
        if (similarity(sigs[x] as Uint32Array, sigs[y] as Uint32Array) >= 0.8) near.add(`${x}:${y}`);
      }
  return { documents: raw.length, exact, near: near.size, distinct: byHash.size };
}

async function pairsSection(): Promise<string> {
  const texts = Number(argv.texts);
  const docs = corpus(texts);
  const rows: string[] = [];
  let single = 0;
  for (const n of [1, 2, 4]) {
    const row = await withTopics('bench-dedup-pairs', PARTITIONS, async (topics) => {
      const instance = await startDedup(topics, `dedup-pairs-${n}`);
      try {
        await ready(instance);
        const files = Array.from({ length: n }, (_, i) =>
          writeJsonl(`pairs-${n}-${i}.jsonl`, shuffled(docs, i + 1)),
        );
        const { docs: candidates } = await ingest(topics, files);
        await waitDecided([instance], candidates);
        return { candidates, ...(await rawPairs(topics)) };
      } finally {
        await instance.stop();
      }
    });
    if (n === 1) single = row.distinct;
    rows.push(
      `| ${n} | ${row.candidates} | ${row.documents} | ${row.exact} | ${row.near} | ${row.distinct} | ${row.distinct - single} |`,
    );
    console.error(`pairs ${n}: ${JSON.stringify(row)}`);
  }
  // The contrast: two ingestors without the stage (`--no-dedup`: nothing deduplicates).
  const without = await withTopics('bench-dedup-pairs', PARTITIONS, async (topics) => {
    const files = [1, 2].map((i) => writeJsonl(`pairs-nodedup-${i}.jsonl`, shuffled(docs, i)));
    const { docs: produced } = await ingest(topics, files, false);
    return { produced, ...(await rawPairs(topics)) };
  });
  rows.push(
    `| 2, \`--no-dedup\` (no stage) | ${without.produced} | ${without.documents} | ${without.exact} | ${without.near} | ${without.distinct} | ${without.distinct - single} |`,
  );
  return [
    '### Duplicates left in ipt.docs.raw with concurrent ingest processes',
    '',
    ranLine('bench/dedup.ts'),
    '',
    `${texts} texts of ≈ 2 KB (bench/texts.ts), half with an exact copy, half with a near-duplicate edit and a quarter with an edit of that edit: ${docs.length} documents, every ingestor reading all of them in its own order; one \`ipt dedup\`, ${PARTITIONS} partitions.`,
    '',
    '| ingestors | candidates | in raw | exact pairs | near-duplicate pairs | distinct texts | vs 1 ingestor |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

async function throughputSection(): Promise<{ text: string; stateBytesPerDoc: number }> {
  const backlog = Number(argv.backlog);
  const docs = corpus(Math.ceil(backlog / 1.75)).slice(0, backlog);
  const file = writeJsonl('backlog.jsonl', docs);
  const rows: string[] = [];
  let stateBytesPerDoc = Number.NaN;
  for (const instances of [1, 2]) {
    await withTopics('bench-dedup-rate', PARTITIONS, async (topics) => {
      const fed = await ingest(topics, [file]);
      const ingestRate = fed.docs / fed.secs;
      const ingestCpu = (fed.cpuSecs * 1000) / fed.docs;
      rows.push(
        `| ingest → candidates (no dedup running) | 1 process | ${fmt(ingestRate)} | 1 | ${fmt(ingestCpu, 2)} | 1 |`,
      );
      const running = await Promise.all(
        Array.from({ length: instances }, (_, i) => startDedup(topics, `dedup-rate-${instances}-${i}`)),
      );
      try {
        await Promise.all(running.map((r) => ready(r)));
        const from = await decidedBy(running);
        const cpuFrom = running.reduce((sum, r) => sum + r.cpu(), 0);
        const started = performance.now();
        await waitDecided(running, fed.docs);
        const secs = (performance.now() - started) / 1000;
        const cpu = ((running.reduce((sum, r) => sum + r.cpu(), 0) - cpuFrom) * 1000) / (fed.docs - from);
        const rate = (fed.docs - from) / secs;
        rows.push(
          `| dedup draining the backlog | ${instances} instance${instances > 1 ? 's' : ''} | ${fmt(rate)} | ${fmt(rate / ingestRate, 2)} | ${fmt(cpu, 2)} | ${fmt(cpu / ingestCpu, 2)} |`,
        );
        if (instances === 1) stateBytesPerDoc = (await stateBytes(topics)) / fed.docs;
      } finally {
        for (const r of running) await r.stop();
      }
    });
  }
  return {
    text: [
      '### Documents per second: ingest against the dedup stage',
      '',
      ranLine('bench/dedup.ts'),
      '',
      `${docs.length} documents of ≈ 2 KB (exact copies and near-duplicates as above), ${PARTITIONS} partitions; each dedup instance its own process; counted from the moment every instance is ready. Both instances share this machine's 2 cores with ingest's leftovers, Kafka, the registry and other work, so "2 instances" measures contention here, not scale-out. CPU per document (ingest: this process's user + system time while ingesting; dedup: its processes' from /proc while draining; Kafka's own CPU in neither) is what contention moves least: one instance keeps up with one ingest process when its CPU per document is below ingest's.`,
      '',
      '| what | how many | documents/s | × ingest (same run) | CPU ms per document | × ingest CPU (same run) |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
    ].join('\n'),
    stateBytesPerDoc,
  };
}

/** Bytes of the latest value per key (key + value) in the dedup changelog. */
async function stateBytes(topics: Topics): Promise<number> {
  const latest = new Map<string, number>();
  for (const r of await readCommitted(benchKafka, topics.dedupState)) {
    if (r.key === null) continue;
    if (r.value === null) latest.delete(r.key);
    else latest.set(r.key, r.key.length + r.value.length);
  }
  return [...latest.values()].reduce((a, b) => a + b, 0);
}

async function restoreSection(): Promise<string> {
  const entries = Number(argv['restore-entries']);
  const rows: string[] = [];
  for (const size of [0, entries]) {
    await withTopics('bench-dedup-restore', PARTITIONS, async (topics) => {
      if (size > 0) await fillChangelog(topics, size);
      const started = performance.now();
      const instance = await startDedup(topics, `dedup-restore-${size}`);
      try {
        // Ready once every partition is assigned and restored (readyz alone is true before assignment).
        while ((await metric(instance.port, 'ipt_dedup_state_restore_seconds_count')) < PARTITIONS)
          await sleep(100);
        const secs = (performance.now() - started) / 1000;
        const restoreSum = await metric(instance.port, 'ipt_dedup_state_restore_seconds_sum');
        const records = await metric(instance.port, 'ipt_dedup_restored_records_total');
        rows.push(
          `| ${size.toLocaleString('en-US')} | ${records.toLocaleString('en-US')} | ${fmt(secs)} | ${fmt(restoreSum)} |`,
        );
        console.error(
          `restore ${size}: ${records} records, ${fmt(secs)} s to restored, ${fmt(restoreSum)} s restoring`,
        );
      } finally {
        await instance.stop();
      }
    });
  }
  return [
    '### Restore of the dedup store',
    '',
    ranLine('bench/dedup.ts'),
    '',
    `A changelog written directly (1 decided document with its signature : 14 band keys, as the stage writes them), ${PARTITIONS} partitions; one \`ipt dedup\` started on it, timed from spawn until its ${PARTITIONS} partitions are restored (its own metrics); the empty row is the process's start and group join alone.`,
    '',
    '| entries written | records restored | start → every partition restored, s | ipt_dedup_state_restore_seconds (sum over partitions) |',
    '| ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

async function fillChangelog(topics: Topics, entries: number): Promise<void> {
  const codec = await avroCodec<DedupState>(registryClient(endpoints.registry.url), topics.dedupState);
  const producer = benchKafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const sig = signatureBytes(signature(web.make(2000, web.zipfWord)));
  const group = dedupGroupId(topics);
  let batch: { key: string; value: Buffer }[] = [];
  for (let i = 0; i < entries; i++) {
    const doc = i % 15 === 0;
    const hash = (i * 2654435761).toString(16).padStart(64, '0');
    const state: DedupState = doc
      ? {
          seq: i,
          doc: {
            doc_id: `doc-${i}`,
            status: 'KEPT',
            records: [],
            signature: sig,
            origin: null,
            replies: 14,
            conflicts: [],
            waiters: [],
            copies: [],
            kept_doc_id: null,
            similarity: null,
          },
          band: null,
        }
      : { seq: i, doc: null, band: [{ hash, doc_id: `doc-${i - (i % 15)}` }] };
    const key = doc ? `${group}/d/${hash}` : `${group}/b/${i % 14}/${i}`;
    batch.push({ key, value: codec.encode(state) });
    if (batch.length === 5_000 || i === entries - 1) {
      await producer.send({ topic: topics.dedupState, acks: -1, messages: batch });
      batch = [];
    }
  }
  await producer.disconnect();
}

const parts: string[] = [];
try {
  if (sections.has('pairs')) parts.push(await pairsSection());
  let bytesPerDoc = Number.NaN;
  if (sections.has('throughput') || sections.has('state')) {
    const t = await throughputSection();
    parts.push(t.text);
    bytesPerDoc = t.stateBytesPerDoc;
  }
  if (sections.has('state') && Number.isFinite(bytesPerDoc))
    parts.push(
      [
        '### State bytes per million documents',
        '',
        ranLine('bench/dedup.ts'),
        '',
        `Changelog bytes (latest value per key, key included) after the 1-instance throughput run, per decided document: ${fmt(bytesPerDoc, 0)} B, so ≈ ${fmt((bytesPerDoc * 1e6) / 2 ** 20, 0)} MiB per million documents (a decided document's entry with its 448-byte signature plus its share of 14 band-key entries).`,
      ].join('\n'),
    );
  if (sections.has('restore')) parts.push(await restoreSection());
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const head = [
  '## Dedup stage (bench/dedup.ts) — 2026-12-06',
  '',
  "polyglot, 2 cores, shared with other work (other engineers' tests and the shared stack).",
].join('\n');
const text = [head, ...parts].join('\n\n');
console.log(text);
if (argv.write) writeResultsBlock('bench-dedup', text, sections.size === 4);
process.exit(0);
