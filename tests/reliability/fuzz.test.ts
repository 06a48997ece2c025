// Fuzz run of `ipt ingest`: random bytes under every name, compressed junk, truncated and
// corrupted Parquet, WARC and WET files, a JSON Lines file of mutated lines with a 100 000-level nested
// value and a huge line. Ingest must exit cleanly every time and account for every input: each input it
// read is accepted (and on the raw topic), a duplicate, skipped, or on the DLQ with a reason — and the
// topics must show exactly what its summary claims. Runs on the suite's private stack.

import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { compress as zstdCompress, init as zstdInit } from '@bokuweb/zstd-wasm';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DeadLetter, RawDocument } from '../../core/types.ts';
import { type Endpoints, loadEndpoints } from '../../lib/endpoints.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { avroCodec, registryClient } from '../../lib/registry.ts';
import type { Topics } from '../../lib/topics.ts';
import type { DedupStats } from '../../services/dedup/main.ts';
import type { IngestStats } from '../../services/ingest/ingestor.ts';
import { decideCandidates } from '../helpers/dedup-stage.ts';
import { CRAWL, jsonl, prose, writeParquet, writeWarc, writeWet } from '../helpers/ingest-fixtures.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';
import { readCommitted } from '../helpers/read-topic.ts';
import { runIpt } from '../helpers/service-process.ts';
import { fuzzParams, prng } from './params.ts';

const params = fuzzParams();
const random = prng(params.seed);
const dir = mkdtempSync(join(tmpdir(), 'ipt-fuzz-'));
let endpoints: Endpoints;
let kafka: Kafka;
let topics: Topics;
/** Totals over every ingest run, for the report. */
const totals = { runs: 0, inputs: 0, accepted: 0, duplicates: 0, rejected: 0, skipped: 0, produced: 0 };
const byReason: Record<string, number> = {};

beforeAll(async () => {
  process.env.IPT_ENDPOINTS = inject('reliabilityEndpoints');
  endpoints = loadEndpoints();
  kafka = kafkaClient('ipt-reliability-fuzz', endpoints.kafka.brokers);
  topics = await freshTopics('fuzz', 2);
  await zstdInit();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  const reasons = Object.entries(byReason)
    .sort()
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  console.log(
    [
      `ipt reliability — ingest fuzz (seed ${params.seed})`,
      `  ingest runs      ${totals.runs}, every one exited 0`,
      `  inputs           ${totals.inputs} (${totals.accepted} accepted in ${totals.produced} records, of those documents ${totals.duplicates} dropped by the dedup stage, ${totals.skipped} skipped, ${totals.rejected} dead-lettered)`,
      `  DLQ by reason    ${reasons || 'none'}`,
    ].join('\n'),
  );
});

const int = (n: number) => Math.floor(random() * n);
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

interface TopicState {
  raw: RawDocument[];
  dlq: DeadLetter[];
  /** `partition:offset` of every record read, to tell the records a run added. */
  seen: Set<string>;
}

/** What is on the raw topic and the DLQ now (read_committed); with `since`, only what was added after it. */
async function topicState(since?: TopicState): Promise<TopicState> {
  const registry = registryClient(endpoints.registry.url);
  const state: TopicState = { raw: [], dlq: [], seen: new Set(since?.seen) };
  for (const [topic, into] of [
    [topics.raw, state.raw],
    [topics.dlq, state.dlq],
  ] as const) {
    const codec = await avroCodec<RawDocument | DeadLetter>(registry, topic);
    for (const r of await readCommitted(kafka, topic)) {
      const id = `${topic}:${r.partition}:${r.offset}`;
      if (state.seen.has(id)) continue;
      state.seen.add(id);
      (into as unknown[]).push(await codec.decode(r.value as Buffer));
    }
  }
  return state;
}

/**
 * Runs `ipt ingest` on `paths`, then a dedup stage over what it sent, and checks ingest exited 0,
 * that its summary adds up, that the stage decided every document it accepted, and that the raw
 * topic and the DLQ grew by exactly what the summary and the verdicts say (records, reasons).
 */
async function ingestAndAccount(
  label: string,
  paths: string[],
  expectInputs?: number,
): Promise<IngestStats & { added: TopicState; verdicts: DedupStats }> {
  const before = await topicState();
  const result = await runIpt(
    [
      'ingest',
      ...paths,
      '--topic-namespace',
      topics.raw.slice(0, -'.ipt.docs.raw'.length),
      '--json',
      '--progress',
      'none',
    ],
    { timeoutMs: 240_000 },
  );
  expect(result.code, `ipt ingest (${label}) exited ${result.code}:\n${result.stderr.slice(-3_000)}`).toBe(0);
  const stats = JSON.parse(result.stdout.trim().split('\n').at(-1) as string) as IngestStats;
  const verdicts = await decideCandidates(topics, stats.accepted);
  const added = await topicState(before);
  const newRaw = added.raw;
  const newDlq = added.dlq.filter((d) => d.stage === 'INGEST');
  const dropped = added.dlq.filter((d) => d.stage === 'DEDUP');

  expect(stats.accepted + stats.duplicates + stats.rejected + stats.skipped, `${label}: summary`).toBe(
    stats.inputs,
  );
  if (expectInputs !== undefined) expect(stats.inputs, `${label}: inputs read`).toBe(expectInputs);
  const decided = verdicts.kept + verdicts.duplicate + verdicts.nearDuplicate;
  expect([decided, verdicts.invalid], `${label}: every accepted document decided`).toEqual([
    stats.accepted,
    0,
  ]);
  if (verdicts.kept === stats.accepted) expect(newRaw.length, `${label}: raw records`).toBe(stats.produced);
  expect(newRaw.filter((r) => r.chunk_index === 0).length, `${label}: documents`).toBe(verdicts.kept);
  expect(newDlq.length, `${label}: dead letters`).toBe(stats.rejected);
  expect(dropped.length, `${label}: dropped by the dedup stage`).toBe(decided - verdicts.kept);
  const reasons: Record<string, number> = {};
  for (const d of newDlq) {
    expect(d.stage).toBe('INGEST');
    expect(d.context.source, 'a dead letter names its source').toBeTruthy();
    const reason = d.context.reason as string;
    expect(reason, 'a dead letter has a reason').toBeTruthy();
    reasons[reason] = (reasons[reason] ?? 0) + 1;
    byReason[reason] = (byReason[reason] ?? 0) + 1;
  }
  expect(reasons, `${label}: DLQ reasons`).toEqual(stats.rejectedByReason);
  totals.runs++;
  for (const k of ['inputs', 'accepted', 'rejected', 'skipped', 'produced'] as const) totals[k] += stats[k];
  totals.duplicates += verdicts.duplicate + verdicts.nearDuplicate;
  console.log(
    `[fuzz] ${label}: ${JSON.stringify({ ...stats, rejectedByReason: undefined })} ${JSON.stringify(reasons)}`,
  );
  return { ...stats, added, verdicts };
}

/** A good line's text: distinct per seed, so accepted lines are not dropped as duplicates of each other. */
const goodDoc = (n: number) => ({
  id: `fuzz-${params.seed}-${n}`,
  text: prose(1_000_000 + params.seed * 10_000 + n, 300),
});

/** One mutated JSON Lines line: never contains a newline, so each is exactly one input. */
function mutatedLine(n: number): Buffer {
  const good = Buffer.from(JSON.stringify(goodDoc(n)));
  let line: Buffer;
  switch (int(12)) {
    case 0:
      line = good; // untouched
      break;
    case 1: {
      line = Buffer.from(good); // a few flipped bytes anywhere
      for (let k = 0; k < 1 + int(4); k++) line[int(line.length)] = int(256);
      break;
    }
    case 2:
      line = good.subarray(0, int(good.length)); // cut short
      break;
    case 3:
      line = bytes(1 + int(300)); // noise
      break;
    case 4:
      line = Buffer.from(JSON.stringify([1, 'two', { text: 3 }, null][int(4)])); // JSON, not a document
      break;
    case 5:
      line = Buffer.from(JSON.stringify({ ...goodDoc(n), text: [{}, 42, true, null, ['x']][int(5)] }));
      break;
    case 6:
      line = Buffer.from(`{"text":"${'\\ud800'.repeat(1 + int(3))} lone surrogates","id":"s${n}"}`);
      break;
    case 7:
      line = Buffer.from(JSON.stringify({ text: '\u0000\u0001\u0002\u0003'.repeat(50 + int(50)) }));
      break;
    case 8:
      line = Buffer.from(
        JSON.stringify({ ...goodDoc(n), id: ['', 'x'.repeat(5_000), '../../etc', 7][int(4)] }),
      );
      break;
    case 9:
      line = Buffer.from(JSON.stringify({ ...goodDoc(n), url: 12, timestamp: 'yesterday' }));
      break;
    case 10:
      line = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), good]); // a byte-order mark
      break;
    default:
      line = Buffer.from(
        JSON.stringify({ content: prose(n, 50), metadata: { a: { b: { c: 1 } }, n: 1e308 } }),
      );
  }
  return Buffer.from(line.map((b) => (b === 0x0a ? 0x20 : b)));
}

describe('ingest fuzz', () => {
  it('random bytes and compressed junk under every kind of name', async () => {
    const sub = join(dir, 'random');
    mkdirSync(sub);
    const names = [
      '.jsonl',
      '.parquet',
      '.warc.gz',
      '.wet',
      '.txt',
      '.json',
      '',
      '.jsonl.zst',
      '.gz',
      '.warc',
    ];
    const magics = [
      Buffer.alloc(0),
      Buffer.from([0x1f, 0x8b, 0x08, 0x00]), // gzip
      Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), // zstd
      Buffer.from('PAR1'),
      Buffer.from('WARC/1.0\r\n'),
      Buffer.from('{"text":"'),
    ];
    for (let i = 0; i < params.randomFiles; i++) {
      const magic = magics[i % magics.length] as Buffer;
      writeFileSync(
        join(sub, `r${i}${names[int(names.length)]}`),
        Buffer.concat([magic, bytes(int(64 * 1024))]),
      );
    }
    writeFileSync(join(sub, 'empty.txt'), Buffer.alloc(0));
    const valid = jsonl(Array.from({ length: 40 }, (_, i) => goodDoc(900_000 + i)));
    const gz = gzipSync(valid);
    const zst = Buffer.from(zstdCompress(valid, 3));
    // Compressed streams cut off mid-way, and with their middle overwritten.
    writeFileSync(join(sub, 'cut.jsonl.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
    writeFileSync(join(sub, 'cut.jsonl.zst'), zst.subarray(0, Math.floor(zst.length / 2)));
    const smashed = Buffer.from(gz);
    bytes(64).copy(smashed, Math.floor(smashed.length / 2));
    writeFileSync(join(sub, 'smashed.jsonl.gz'), smashed);
    const stats = await ingestAndAccount('random bytes', [sub]);
    expect(stats.files).toBe(params.randomFiles + 4);
  });

  it('truncated and corrupted Parquet shards', async () => {
    const sub = join(dir, 'parquet');
    mkdirSync(sub);
    const rows = Array.from({ length: 30 }, (_, i) => ({
      content: prose(2_000_000 + params.seed * 100 + i, 400),
      url: `https://example.com/pq/${i}`,
      timestamp: new Date(Date.UTC(2023, 0, 1 + i)),
      dump: CRAWL.dump,
      segment: CRAWL.segment,
    }));
    const whole = writeParquet(join(sub, 'whole.parquet'), rows, 5);
    for (const cut of [0.05, 0.3, 0.5, 0.9, 0.999]) {
      writeFileSync(join(sub, `cut-${cut}.parquet`), whole.subarray(0, Math.floor(whole.length * cut)));
    }
    writeFileSync(join(sub, 'no-footer-magic.parquet'), whole.subarray(0, whole.length - 4));
    for (let k = 0; k < 4; k++) {
      const broken = Buffer.from(whole);
      bytes(16).copy(broken, 4 + int(whole.length - 24));
      writeFileSync(join(sub, `corrupt-${k}.parquet`), broken);
    }
    // The intact shard is read (30 rows); the corrupt ones may be read or rejected, never crash ingest.
    const stats = await ingestAndAccount('parquet', [sub]);
    expect(stats.accepted).toBeGreaterThanOrEqual(30);
  });

  it('truncated and corrupted WARC and WET files', async () => {
    const sub = join(dir, 'warc');
    mkdirSync(sub);
    const pages = Array.from({ length: 8 }, (_, i) => ({
      url: `https://example.com/w/${params.seed}/${i}`,
      html: `<html><head><title>Page ${i}</title></head><body><p>${prose(3_000_000 + params.seed * 100 + i, 400)}</p></body></html>`,
    }));
    const wetPages = pages.map((p, i) => ({
      url: p.url,
      text: prose(4_000_000 + params.seed * 100 + i, 400),
    }));
    for (const gzip of [true, false]) {
      const ext = gzip ? '.gz' : '';
      const warc = join(sub, `whole.warc${ext}`);
      const wet = join(sub, `whole.warc.wet${ext}`);
      await writeWarc(warc, pages, gzip);
      await writeWet(wet, wetPages, gzip);
      for (const [src, name] of [
        [warc, 'warc'],
        [wet, 'warc.wet'],
      ] as const) {
        const full = readFileSync(src);
        for (const cut of [0.1, 0.5, 0.97]) {
          writeFileSync(
            join(sub, `cut-${cut}.${name}${ext}`),
            full.subarray(0, Math.floor(full.length * cut)),
          );
        }
        const broken = Buffer.from(full);
        bytes(32).copy(broken, Math.floor(full.length / 3));
        writeFileSync(join(sub, `corrupt.${name}${ext}`), broken);
      }
      rmSync(warc);
      rmSync(wet);
    }
    await ingestAndAccount('warc/wet', [sub]);
  });

  it('a JSON Lines file of mutated lines, a 100 000-level nested value and a huge line', async () => {
    const path = join(dir, 'fuzz.jsonl');
    const fd = openSync(path, 'w');
    // Line numbers that are inputs: ingest passes over blank lines (spaces, tabs, CR only) as no input
    // at all, and a mutation can produce one.
    const inputLines: number[] = [];
    let lineNumber = 0;
    const put = (line: Buffer) => {
      writeSync(fd, line);
      writeSync(fd, '\n');
      lineNumber++;
      if (!line.every((b) => b === 0x20 || b === 0x09 || b === 0x0d)) inputLines.push(lineNumber);
    };
    const depth = params.nestingDepth;
    for (let i = 0; i < params.jsonlLines; i++) {
      put(mutatedLine(i));
      if (i === Math.floor(params.jsonlLines / 4))
        put(Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`));
      if (i === Math.floor(params.jsonlLines / 3))
        put(Buffer.from(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`));
      if (i === Math.floor(params.jsonlLines / 2)) {
        put(Buffer.from(`{"text":${'{"text":'.repeat(depth)}"deep"${'}'.repeat(depth)}}`));
        put(
          Buffer.from(`{"text":"nested metadata","metadata":${'{"m":'.repeat(depth)}1${'}'.repeat(depth)}}`),
        );
      }
    }
    // A huge line (past --max-record-bytes), streamed to disk, and a last line without a newline.
    writeSync(fd, '{"text":"');
    const block = Buffer.alloc(1024 * 1024, 'y');
    for (let n = 0; n < params.hugeLineBytes; n += block.length) writeSync(fd, block);
    writeSync(fd, '"}\n');
    inputLines.push(++lineNumber);
    writeSync(fd, JSON.stringify(goodDoc(999_999)));
    inputLines.push(++lineNumber);
    closeSync(fd);
    const lines = inputLines.length;
    const stats = await ingestAndAccount('jsonl', [path], lines);
    expect(stats.rejectedByReason.too_long ?? 0).toBeGreaterThanOrEqual(1);
    // Line by line: each input line is on the raw topic (metadata.line) or in the DLQ (origin "line N":
    // rejected by ingest, or dropped by the dedup stage), never both, never neither.
    const onRaw = new Set(stats.added.raw.map((r) => Number(r.metadata.line)));
    const inDlq = new Set(stats.added.dlq.map((d) => Number(d.context.origin?.replace(/^line /, ''))));
    expect([...onRaw].filter((n) => inDlq.has(n))).toEqual([]);
    const neither = inputLines.filter((n) => !onRaw.has(n) && !inDlq.has(n));
    expect(neither).toEqual([]);
    expect(onRaw.size + inDlq.size).toBe(lines);
    // Running the same file again: the stage drops everything accepted before, nothing new reaches raw.
    const again = await ingestAndAccount('jsonl again', [path], lines);
    expect(again.accepted).toBe(stats.accepted);
    expect(again.verdicts.kept).toBe(0);
    expect(again.added.raw).toEqual([]);
  });

  it('a huge text file and a huge single line of plain text', async () => {
    const sub = join(dir, 'huge');
    mkdirSync(sub);
    const fd = openSync(join(sub, 'one-line.txt'), 'w');
    const block = Buffer.alloc(1024 * 1024, 'z');
    for (let n = 0; n < params.hugeLineBytes; n += block.length) writeSync(fd, block);
    closeSync(fd);
    // Past --max-chars but under --max-record-bytes: read whole, then rejected too_long.
    writeFileSync(join(sub, 'long-words.txt'), `${'lorem ipsum '.repeat(100_000)}`);
    await ingestAndAccount('huge text', [sub, '--max-chars', '1000000'], 2);
  });
});
