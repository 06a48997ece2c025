// Bad inputs end in the DLQ with the right reason while ingest carries on; duplicates are dropped
// by the dedup stage across a restart of ingest and of the stage; ingest refuses to start without
// its topics.

import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetter, RawDocument } from '../../core/types.ts';
import { DLQ_MAX_VALUE_BYTES } from '../../lib/dlq.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { createLogger } from '../../lib/log.ts';
import { MissingTopicsError, type Topics, topicsFor } from '../../lib/topics.ts';
import type { DedupStats } from '../../services/dedup/main.ts';
import { createIngestor, type IngestStats } from '../../services/ingest/ingestor.ts';
import { decideCandidates } from '../helpers/dedup-stage.ts';
import { CRAWL, producedOn, prose, writeParquet, writeText } from '../helpers/ingest-fixtures.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';

const endpoints = loadEndpoints();
const log = createLogger('ingest-test', 'warn');
const dir = mkdtempSync(join(tmpdir(), 'ipt-ingest-rejects-'));
const MB = 1024 * 1024;
let topics: Topics;
let first: IngestStats;
let second: IngestStats;
let raw: RawDocument[];
let dlq: DeadLetter[];
let firstVerdicts: DedupStats;
let secondVerdicts: DedupStats;

const line = (value: unknown) => Buffer.from(`${JSON.stringify(value)}\n`);
const BAD_LINES = {
  invalidUtf8: Buffer.concat([Buffer.from('{"text":"caf'), Buffer.from([0xe9]), Buffer.from(' au lait"}')]),
  empty: Buffer.from('{"text":"  \\n\\t  "}'),
  binary: Buffer.concat([
    Buffer.from('{"text":"PK'),
    Buffer.from([0x03, 0x04, 0x00, 0x00, 0x14]),
    Buffer.from('"}'),
  ]),
  malformed: Buffer.from('{"text": "unterminated'),
  wrongType: Buffer.from('{"text": 42, "url": "http://example.com/42"}'),
};
const HUGE_LINE_BYTES = 50 * MB + 11;

async function run(): Promise<IngestStats> {
  const ingestor = await createIngestor({
    brokers: endpoints.kafka.brokers,
    registryUrl: endpoints.registry.url,
    topics,
    log,
  });
  try {
    await ingestor.ingestPaths([dir]);
  } finally {
    await ingestor.close();
  }
  return ingestor.stats;
}

beforeAll(async () => {
  topics = await freshTopics('ingest');
  // One JSONL file with every kind of bad line between good ones, and a 50 MB line.
  const fd = openSync(join(dir, 'a-mixed.jsonl'), 'w');
  writeSync(fd, line({ text: prose(1) }));
  for (const bad of Object.values(BAD_LINES)) {
    writeSync(fd, Buffer.concat([bad, Buffer.from('\n')]));
    writeSync(fd, line({ text: prose(2 + Object.values(BAD_LINES).indexOf(bad)) }));
  }
  // {"text":"xxxx…"} of 50 MB, streamed to disk.
  writeSync(fd, Buffer.from('{"text":"'));
  const block = Buffer.alloc(MB, 'x');
  for (let i = 0; i < 50; i++) writeSync(fd, block);
  writeSync(fd, Buffer.from('"}\n'));
  writeSync(fd, line({ text: prose(20) }));
  closeSync(fd);

  // Binary data under a text name, and a Parquet shard cut in half next to an intact one.
  const blob = Buffer.alloc(4096);
  for (let i = 0; i < blob.length; i++) blob[i] = (i * 7919 + 13) % 256;
  writeText(dir, 'b-blob.txt', blob);
  mkdirSync(join(dir, 'parquet'));
  const rows = [30, 31, 32].map((i) => ({
    content: prose(i),
    url: `http://example.com/${i}`,
    timestamp: new Date(Date.UTC(2023, 0, 1)),
    dump: CRAWL.dump,
    segment: CRAWL.segment,
  }));
  const whole = writeParquet(join(dir, 'parquet', 'good.parquet'), rows);
  writeText(join(dir, 'parquet'), 'truncated.parquet', whole.subarray(0, Math.floor(whole.length / 2)));

  first = await run();
  firstVerdicts = await decideCandidates(topics, first.accepted);
  // A restart: a new ingestor on the same topics, the same files, and a new dedup stage.
  second = await run();
  secondVerdicts = await decideCandidates(topics, second.accepted);
  ({ raw, dlq } = await producedOn(topics));
}, 360_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const reasonOf = (d: DeadLetter) => d.context.reason;

describe('bad inputs go to the DLQ with the right reason while ingest carries on', () => {
  it('produces every good document around the bad ones, once', () => {
    const texts = raw.map((r) => r.text).sort();
    const expected = [1, 2, 3, 4, 5, 6, 20, 30, 31, 32].map((i) => prose(i)).sort();
    expect(texts).toEqual(expected);
    expect(first.accepted).toBe(10);
  });

  it.each([
    ['invalid UTF-8', 'invalidUtf8', 'invalid_utf8', 'REJECTED_TEXT'],
    ['empty text', 'empty', 'empty_text', 'REJECTED_TEXT'],
    ['binary data in a line', 'binary', 'binary', 'REJECTED_TEXT'],
    ['malformed JSON', 'malformed', 'malformed_json', 'DESERIALIZATION'],
    ['a wrong field type', 'wrongType', 'wrong_field_type', 'VALIDATION'],
  ] as const)('%s → %s with the original line bytes', (_name, key, reason, errorClass) => {
    const letters = dlq.filter((d) => reasonOf(d) === reason && d.context.source?.endsWith('a-mixed.jsonl'));
    // once per run: a re-run meets the same bad input again
    expect(letters).toHaveLength(2);
    const d = letters[0] as DeadLetter;
    expect(d).toMatchObject({
      stage: 'INGEST',
      error_class: errorClass,
      source_partition: -1,
      source_offset: -1,
    });
    expect(Buffer.from(d.value as Buffer).equals(BAD_LINES[key])).toBe(true);
    expect(d.context.origin).toMatch(/^line \d+$/);
    expect(d.message.length).toBeGreaterThan(0);
  });

  it('a 50 MB line → too_long, with only the first 64 KB kept and the full length recorded', () => {
    const [d] = dlq.filter((x) => reasonOf(x) === 'too_long');
    expect(d).toBeDefined();
    expect(d?.error_class).toBe('REJECTED_TEXT');
    expect(d?.value?.length).toBe(DLQ_MAX_VALUE_BYTES);
    expect(
      Buffer.from(d?.value as Buffer)
        .subarray(0, 12)
        .toString(),
    ).toBe('{"text":"xxx');
    expect(d?.context.value_truncated_from).toBe(String(HUGE_LINE_BYTES));
    expect(d?.context.length).toBe(String(HUGE_LINE_BYTES));
  });

  it('binary data in a text file → binary', () => {
    const letters = dlq.filter((d) => d.context.source?.endsWith('b-blob.txt'));
    expect(letters.map(reasonOf)).toEqual(['binary', 'binary']);
    expect(letters[0]?.value?.length).toBe(4096);
  });

  it('a truncated Parquet file → truncated_parquet, and the intact shard beside it is read', () => {
    const letters = dlq.filter((d) => d.context.source?.endsWith('truncated.parquet'));
    expect(letters.map(reasonOf)).toEqual(['truncated_parquet', 'truncated_parquet']);
    expect(letters[0]?.error_class).toBe('DESERIALIZATION');
    expect(raw.filter((r) => r.source.endsWith('good.parquet'))).toHaveLength(3);
  });

  it('counts every input: accepted + duplicates + rejected = inputs', () => {
    for (const s of [first, second]) {
      expect(s.accepted + s.duplicates + s.rejected + s.skipped).toBe(s.inputs);
      expect(s.rejected).toBe(8);
    }
    expect(first.rejectedByReason).toEqual({
      invalid_utf8: 1,
      empty_text: 1,
      binary: 2,
      malformed_json: 1,
      wrong_field_type: 1,
      too_long: 1,
      truncated_parquet: 1,
    });
  });
});

describe('exact duplicates', () => {
  it('are dropped by the dedup stage across a restart: the second run adds nothing to raw', () => {
    expect(first.accepted).toBe(10);
    expect(firstVerdicts).toMatchObject({ kept: 10, duplicate: 0 });
    expect(second.accepted).toBe(10);
    expect(secondVerdicts).toMatchObject({ kept: 0, duplicate: 10 });
    expect(raw).toHaveLength(10);
    const dropped = dlq.filter((d) => d.stage === 'DEDUP');
    expect(dropped.map(reasonOf)).toEqual(Array(10).fill('duplicate'));
    const kept = new Set(raw.map((r) => r.doc_id));
    for (const d of dropped) expect(kept.has(d.context.kept_doc_id ?? '')).toBe(true);
  });
});

describe('start-up checks', () => {
  it('refuses to start, naming the missing topics, when its topics do not exist', async () => {
    const missing = topicsFor(`ingest-missing-${randomUUID().slice(0, 8)}`);
    const attempt = createIngestor({
      brokers: endpoints.kafka.brokers,
      registryUrl: endpoints.registry.url,
      topics: missing,
      log,
    });
    await expect(attempt).rejects.toBeInstanceOf(MissingTopicsError);
    await expect(attempt).rejects.toThrow(`${missing.candidates}, ${missing.dlq}`);
    await expect(attempt).rejects.toThrow('npx ipt topics create');
  });
});
