import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AugmentedRecord } from '../../core/types.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { createLogger } from '../../lib/log.ts';
import type { Topics } from '../../lib/topics.ts';
import { ChainCollector } from '../../services/assemble/collect.ts';
import { buildAugmentedRecord } from '../../services/assemble/record.ts';
import { type ExportManifest, type ExportOptions, exportRun } from '../../services/export/export.ts';
import type { ExportRow } from '../../services/export/rows.ts';
import { chainRounds, closeOf, testRun } from '../fixtures/synth-rounds.ts';
import { produce, type Serdes, serdesFor, waitFor } from '../helpers/assemble-io.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';
import { runIpt } from '../helpers/service-process.ts';

const endpoints = loadEndpoints();
const kafka = new Kafka({
  clientId: 'test-export',
  brokers: endpoints.kafka.brokers,
  logLevel: logLevel.NOTHING,
});
const log = createLogger('export-test', 'error');
const words = { count: (text: string) => text.split(/\s+/).filter(Boolean).length };
const suffix = randomUUID().slice(0, 8);
const runA = testRun(`exp-a-${suffix}`, 2);
const runB = testRun(`exp-b-${suffix}`, 2);

let topics: Topics;
let serdes: Serdes;
let dir: string;

/** The chain's AugmentedRecord as the assembler would build it. */
function recordOf(run: typeof runA, index: number, closeAfter?: number): AugmentedRecord {
  const rounds = chainRounds({ run, index, ...(closeAfter !== undefined ? { rounds: closeAfter } : {}) });
  const collector = new ChainCollector();
  const records = closeAfter !== undefined ? [...rounds, closeOf(run, index, closeAfter)] : rounds;
  for (const r of records) {
    const outcome = collector.offer(r, 1);
    if (outcome.kind === 'ready') return buildAugmentedRecord(outcome.state, { tokenCounter: words, now: 2 });
  }
  throw new Error('chain did not finish');
}

async function messagesOf(records: AugmentedRecord[]): Promise<Message[]> {
  return Promise.all(
    records.map(async (r) => ({ key: r.chain_id, value: await serdes.augmented.serialize(r) })),
  );
}

/** Records of run A, written with a transaction, so the topic holds commit markers too. */
async function produceTransactionally(records: AugmentedRecord[]): Promise<void> {
  const producer = kafka.producer({
    transactionalId: `test-export-${suffix}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const tx = await producer.transaction();
  await tx.send({ topic: topics.augmented, messages: await messagesOf(records) });
  await tx.commit();
  await producer.disconnect();
}

const A = Array.from({ length: 30 }, (_, i) => (i % 10 === 9 ? recordOf(runA, i, 1) : recordOf(runA, i)));
const B = Array.from({ length: 5 }, (_, i) => recordOf(runB, i));
const expectedRows = A.reduce((n, r) => n + r.texts.length, 0);

beforeAll(async () => {
  topics = await freshTopics('export');
  serdes = serdesFor(endpoints.registry.url, topics);
  dir = await mkdtemp(join(tmpdir(), 'ipt-export-'));
  await produceTransactionally(A.slice(0, 15));
  await produce(kafka, topics.augmented, [
    ...(await messagesOf([...B, ...A.slice(15), A[3] as AugmentedRecord])), // A[3] twice
    { key: 'junk', value: Buffer.from('not avro') },
  ]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const options = (out: string, extra: Partial<ExportOptions> = {}): ExportOptions => ({
  brokers: endpoints.kafka.brokers,
  registryUrl: endpoints.registry.url,
  topics,
  run: runA.run_id,
  outDir: join(dir, out),
  log,
  ...extra,
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function jsonlRows(out: string, manifest: ExportManifest): Promise<ExportRow[]> {
  const rows: ExportRow[] = [];
  for (const shard of manifest.shards) {
    const text = await readFile(join(dir, out, shard.file), 'utf8');
    rows.push(
      ...text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as ExportRow),
    );
  }
  return rows;
}

describe('export', () => {
  it('writes every text of the run once, in shards of the given size, with a manifest', async () => {
    const manifest = await exportRun(options('one', { shardSize: 7 }));
    expect(manifest).toMatchObject({
      run_id: runA.run_id,
      format: 'jsonl',
      records: 30,
      rows: expectedRows,
      documents: A.reduce((n, r) => n + r.doc_ids.length, 0),
      pairs: A.reduce((n, r) => n + r.rounds.reduce((m, x) => m + x.pairs.length, 0), 0),
      tokens: {
        rendered: A.reduce((n, r) => n + r.rendered_tokens, 0),
        source_text: A.reduce((n, r) => n + r.text_tokens, 0),
      },
      skipped: { duplicates: 1, other_runs: 5, undecodable: 1 },
    });
    expect(manifest.shards.map((s) => s.rows)).toEqual(
      Array.from({ length: Math.ceil(expectedRows / 7) }, (_, i) => Math.min(7, expectedRows - i * 7)),
    );
    for (const shard of manifest.shards) {
      const bytes = await readFile(join(dir, 'one', shard.file));
      expect(shard.sha256).toBe(sha256(bytes));
      expect(shard.bytes).toBe(bytes.length);
    }
    const onDisk = JSON.parse(await readFile(join(dir, 'one', 'manifest.json'), 'utf8'));
    expect(onDisk).toEqual(manifest);
    expect((await readdir(join(dir, 'one'))).filter((f) => f.endsWith('.partial'))).toEqual([]);

    const rows = await jsonlRows('one', manifest);
    expect(new Set(rows.map((r) => r.id)).size).toBe(expectedRows);
    const byRecord = new Map(A.map((r) => [r.id, r]));
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(['text', 'id', 'metadata']);
      const record = byRecord.get(row.metadata.record_id) as AugmentedRecord;
      const text = record.texts[row.metadata.segment];
      expect(row.id).toBe(`${record.id}#${row.metadata.segment}`);
      expect(row.text).toBe(text?.text);
      expect(row.metadata).toMatchObject({
        run_id: runA.run_id,
        chain_id: record.chain_id,
        framing: text?.framing,
        token_count: text?.token_count,
        doc_ids: text?.round_indexes.map((i) => record.rounds[i]?.doc_id),
        close_reason: record.close?.reason ?? null,
      });
    }
  });

  it('exports the same records twice to identical bytes, and re-exporting a directory leaves no stale shard', async () => {
    const first = await exportRun(options('twice-1', { shardSize: 5 }));
    const second = await exportRun(options('twice-2', { shardSize: 5 }));
    expect(second).toEqual(first);
    for (const shard of first.shards) {
      expect(await readFile(join(dir, 'twice-2', shard.file))).toEqual(
        await readFile(join(dir, 'twice-1', shard.file)),
      );
    }
    expect(await readFile(join(dir, 'twice-2', 'manifest.json'))).toEqual(
      await readFile(join(dir, 'twice-1', 'manifest.json')),
    );

    // A stranger's file is left alone; the old shards are replaced by the new export's.
    await writeFile(join(dir, 'twice-1', 'notes.txt'), 'mine');
    const bigger = await exportRun(options('twice-1', { shardSize: 1000 }));
    expect(bigger.shards.map((s) => s.file)).toEqual(['part-00000.jsonl']);
    expect((await readdir(join(dir, 'twice-1'))).sort()).toEqual([
      'manifest.json',
      'notes.txt',
      'part-00000.jsonl',
    ]);
    expect(await jsonlRows('twice-1', bigger)).toEqual(await jsonlRows('twice-2', second));
  });

  it('writes Parquet that reads back to the same rows', async () => {
    const jsonl = await exportRun(options('pq-ref', { shardSize: 0, name: 'augmented' }));
    const manifest = await exportRun(options('pq', { format: 'parquet', shardSize: 0, name: 'augmented' }));
    expect(manifest.shards.map((s) => s.file)).toEqual(['augmented.parquet']);
    const bytes = await readFile(join(dir, 'pq', 'augmented.parquet'));
    expect(sha256(bytes)).toBe(manifest.shards[0]?.sha256);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const rows = await parquetReadObjects({ file });
    expect(rows).toEqual(await jsonlRows('pq-ref', jsonl));
    const again = await exportRun(options('pq-2', { format: 'parquet', shardSize: 0, name: 'augmented' }));
    expect(again.shards[0]?.sha256).toBe(manifest.shards[0]?.sha256);
  });

  it('npx ipt export writes the same file from the command line', async () => {
    const reference = await exportRun(options('cli-ref', { shardSize: 0, name: 'augmented' }));
    const namespace = topics.augmented.slice(0, -'.ipt.corpus.augmented'.length);
    const out = join(dir, 'cli');
    const result = await runIpt(
      [
        'export',
        '--run',
        runA.run_id,
        '--out',
        out,
        '--topic-namespace',
        namespace,
        '--shard-size',
        '0',
        '--name',
        'augmented',
      ],
      { timeoutMs: 60_000 },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`exported run ${runA.run_id}: 30 records, ${expectedRows} texts`),
    );
    expect(await readFile(join(out, 'augmented.jsonl'))).toEqual(
      await readFile(join(dir, 'cli-ref', 'augmented.jsonl')),
    );
    expect(JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'))).toEqual(reference);
  });

  it('a run with no records still gets its (empty) file and a manifest', async () => {
    for (const format of ['jsonl', 'parquet'] as const) {
      const manifest = await exportRun(
        options(`empty-${format}`, { run: 'no-such-run', format, shardSize: 0 }),
      );
      // 30 + 5 records, and the repeated one: all of other runs.
      expect(manifest).toMatchObject({ records: 0, rows: 0, skipped: { other_runs: 36 } });
      expect(manifest.shards).toHaveLength(1);
      const bytes = await readFile(join(dir, `empty-${format}`, `part.${format}`));
      if (format === 'parquet') {
        const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
        expect(await parquetReadObjects({ file })).toEqual([]);
      } else expect(bytes.length).toBe(0);
    }
  });

  it('--follow keeps exporting records that arrive later, until stopped', async () => {
    const stop = new AbortController();
    let seen = 0;
    const following = exportRun(
      options('follow', {
        follow: true,
        signal: stop.signal,
        shardSize: 10,
        onProgress: (p) => {
          seen = p.records;
        },
      }),
    );
    await waitFor(
      'the existing records',
      async () => seen,
      (n) => n >= 30,
    );
    const late = [recordOf(runA, 100), recordOf(runA, 101)];
    await produce(kafka, topics.augmented, await messagesOf(late));
    await waitFor(
      'the late records',
      async () => seen,
      (n) => n >= 32,
    );
    stop.abort();
    const manifest = await following;
    expect(manifest).toMatchObject({ follow: true, records: 32, source: null });
    const rows = await jsonlRows('follow', manifest);
    expect(rows).toHaveLength(expectedRows + late.reduce((n, r) => n + r.texts.length, 0));
    expect(rows.map((r) => r.metadata.record_id)).toEqual(expect.arrayContaining(late.map((r) => r.id)));
  });
});
