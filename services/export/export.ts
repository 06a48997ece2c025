// Export: the committed AugmentedRecords of one run → JSONL or Parquet shards plus a manifest.
//
// Bounded (default): the end offsets (LSOs) of every partition are measured first, then the
// partitions are read one after another, each in offset order, so the same topic content always
// gives the same rows in the same order — and so byte-identical shards. A record id seen before is
// skipped (a chain emitted twice, e.g. by a re-run assembler with a new group, is exported once).
// Follow (--follow): one consumer reads every partition from the beginning and keeps going until
// stopped, writing rows in arrival order; each completed shard updates the manifest.

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { AugmentedRecord } from '../../core/types.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { followTopics } from '../../lib/kafka/follow-topics.ts';
import { committedRanges, readPartition } from '../../lib/kafka/read-partition.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { registryClient, type TopicSerde, topicSerde } from '../../lib/registry.ts';
import { requireTopics, TOPICS, type Topics } from '../../lib/topics.ts';
import { exportRows } from './rows.ts';
import { type ExportFormat, type ShardInfo, ShardSink } from './shards.ts';

export interface ExportOptions {
  brokers: string[];
  registryUrl: string;
  topics?: Topics;
  /** The run to export. */
  run: string;
  outDir: string;
  format?: ExportFormat;
  /** Rows (rendered texts) per shard; 0: one unsharded file. */
  shardSize?: number;
  /** File name stem of the shards. */
  name?: string;
  /** Keep reading past the current end until `signal` aborts. */
  follow?: boolean;
  /** Ends a follow (the open shard is completed and the manifest written). */
  signal?: AbortSignal;
  onProgress?: (progress: ExportProgress) => void;
  log?: Logger;
}

export interface ExportProgress {
  /** Offsets of the topic read so far and in all (bounded mode; total is 0 when following). */
  offsetsRead: number;
  offsetsTotal: number;
  records: number;
  rows: number;
  shards: number;
}

export interface ExportManifest {
  run_id: string;
  topic: string;
  format: ExportFormat;
  shard_size: number;
  follow: boolean;
  /** Bounded mode: the committed offset range read per partition. */
  source: Record<string, { start: string; end: string }> | null;
  records: number;
  rows: number;
  documents: number;
  pairs: number;
  tokens: { rendered: number; source_text: number };
  skipped: { duplicates: number; other_runs: number; undecodable: number };
  shards: ShardInfo[];
}

export const MANIFEST_FILE = 'manifest.json';
export const EXPORT_DEFAULTS = { format: 'jsonl', shardSize: 50_000, name: 'part' } as const;

export async function exportRun(options: ExportOptions): Promise<ExportManifest> {
  const format = options.format ?? EXPORT_DEFAULTS.format;
  const shardSize = options.shardSize ?? EXPORT_DEFAULTS.shardSize;
  const name = options.name ?? EXPORT_DEFAULTS.name;
  const topic = (options.topics ?? TOPICS).augmented;
  const log = options.log ?? createLogger('export');
  const kafka = kafkaClient('ipt-export', options.brokers, log);
  const serde = topicSerde<AugmentedRecord>(registryClient(options.registryUrl), topic);

  await checkTopic(kafka, topic);
  await mkdir(options.outDir, { recursive: true });
  await removePreviousExport(options.outDir);

  const sink = new ShardSink({ dir: options.outDir, format, name, shardSize });
  const manifest = emptyManifest(options, topic, format, shardSize, sink);
  const writer = new RunWriter(options, serde, sink, manifest, log);
  const report = () => options.onProgress?.({ ...writer.progress, shards: sink.shards.length });

  if (options.follow) {
    await follow(kafka, topic, (messages) => writer.take(messages), report, options.signal);
  } else {
    await readCommitted(kafka, topic, writer, report);
  }
  await sink.finish();
  await writer.writeManifest();
  report();
  log.info(
    { run: options.run, records: manifest.records, rows: manifest.rows, shards: manifest.shards.length },
    'export done',
  );
  return manifest;
}

async function checkTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await requireTopics(admin, [topic]);
  } finally {
    await admin.disconnect();
  }
}

function emptyManifest(
  options: ExportOptions,
  topic: string,
  format: ExportFormat,
  shardSize: number,
  sink: ShardSink,
): ExportManifest {
  return {
    run_id: options.run,
    topic,
    format,
    shard_size: shardSize,
    follow: options.follow ?? false,
    source: null,
    records: 0,
    rows: 0,
    documents: 0,
    pairs: 0,
    tokens: { rendered: 0, source_text: 0 },
    skipped: { duplicates: 0, other_runs: 0, undecodable: 0 },
    shards: sink.shards,
  };
}

/** Turns the run's records into rows in the sink, once per record id, counting into the manifest. */
class RunWriter {
  readonly progress: ExportProgress = { offsetsRead: 0, offsetsTotal: 0, records: 0, rows: 0, shards: 0 };
  private readonly seen = new Set<string>();

  constructor(
    private readonly options: ExportOptions,
    private readonly serde: TopicSerde<AugmentedRecord>,
    private readonly sink: ShardSink,
    readonly manifest: ExportManifest,
    private readonly log: Logger,
  ) {}

  writeManifest(): Promise<void> {
    return writeFile(join(this.options.outDir, MANIFEST_FILE), `${JSON.stringify(this.manifest, null, 2)}\n`);
  }

  async take(messages: KafkaMessage[]): Promise<void> {
    for (const message of messages) {
      const record = await this.decode(message);
      if (record && this.accept(record)) await this.write(record);
    }
    this.progress.records = this.manifest.records;
    this.progress.rows = this.manifest.rows;
  }

  private async decode(message: KafkaMessage): Promise<AugmentedRecord | undefined> {
    try {
      if (!message.value) throw new Error('record has no value');
      return await this.serde.deserialize(message.value);
    } catch (error) {
      this.manifest.skipped.undecodable++;
      this.log.warn({ offset: message.offset, err: error }, 'undecodable augmented record skipped');
      return undefined;
    }
  }

  /** Whether the record is this run's and not seen before (counting the ones skipped). */
  private accept(record: AugmentedRecord): boolean {
    if (record.run.run_id !== this.options.run) {
      this.manifest.skipped.other_runs++;
      return false;
    }
    if (this.seen.has(record.id)) {
      this.manifest.skipped.duplicates++;
      return false;
    }
    this.seen.add(record.id);
    return true;
  }

  private async write(record: AugmentedRecord): Promise<void> {
    const manifest = this.manifest;
    manifest.records++;
    manifest.documents += record.doc_ids.length;
    manifest.pairs += record.rounds.reduce((n, r) => n + r.pairs.length, 0);
    manifest.tokens.source_text += record.text_tokens;
    for (const row of exportRows(record)) {
      manifest.rows++;
      manifest.tokens.rendered += row.metadata.token_count;
      const completed = await this.sink.add(row);
      if (completed && manifest.follow) await this.writeManifest();
    }
  }
}

type OffsetRange = { startOffset: string; endOffset: string };

/** Bounded: each partition's committed range, measured first, read one partition after another. */
async function readCommitted(
  kafka: Kafka,
  topic: string,
  writer: RunWriter,
  report: () => void,
): Promise<void> {
  const ranges = await committedRanges(kafka, topic);
  const partitions = [...ranges.keys()].sort((a, b) => a - b);
  const source: Record<string, { start: string; end: string }> = {};
  writer.manifest.source = source;
  for (const p of partitions) {
    const r = ranges.get(p) as OffsetRange;
    source[String(p)] = { start: r.startOffset, end: r.endOffset };
    writer.progress.offsetsTotal += Number(BigInt(r.endOffset) - BigInt(r.startOffset));
  }
  report();
  for (const p of partitions) {
    await readCommittedPartition(kafka, topic, p, ranges.get(p) as OffsetRange, writer, report);
  }
}

async function readCommittedPartition(
  kafka: Kafka,
  topic: string,
  partition: number,
  r: OffsetRange,
  writer: RunWriter,
  report: () => void,
): Promise<void> {
  const progress = writer.progress;
  let before = 0;
  await readPartition(kafka, topic, partition, {
    endOffset: r.endOffset,
    onMessages: async (messages) => {
      await writer.take(messages);
      const last = messages[messages.length - 1] as KafkaMessage;
      const done = Number(BigInt(last.offset) + 1n - BigInt(r.startOffset));
      progress.offsetsRead += done - before;
      before = done;
      report();
    },
  });
  // Markers and aborted records at the end are read but never delivered: count them as read.
  progress.offsetsRead += Number(BigInt(r.endOffset) - BigInt(r.startOffset)) - before;
  report();
}

/** Deletes the files a previous export into the same directory listed, so no stale shard survives. */
async function removePreviousExport(dir: string): Promise<void> {
  let previous: { shards?: { file?: unknown }[] };
  try {
    previous = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8'));
  } catch {
    return;
  }
  for (const shard of previous.shards ?? []) {
    // Only plain file names: a manifest must not be able to point the cleanup elsewhere.
    if (typeof shard.file === 'string' && /^[\w.-]+$/.test(shard.file)) {
      await rm(join(dir, shard.file), { force: true });
    }
  }
  await rm(join(dir, MANIFEST_FILE), { force: true });
}

/** Reads every partition from the beginning, in arrival order, until the signal aborts. */
async function follow(
  kafka: Kafka,
  topic: string,
  take: (messages: KafkaMessage[]) => Promise<void>,
  report: () => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  // One batch at a time, so rows are written in the order they were taken.
  let chain = Promise.resolve();
  let stopped: () => void = () => {};
  const until = new Promise<void>((resolve) => {
    stopped = resolve;
    if (signal?.aborted) resolve();
    signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  const follower = await followTopics(kafka, {
    topics: [topic],
    from: 'earliest',
    onMessages: (_topic, _partition, messages) => {
      chain = chain.then(() => take(messages)).then(report);
      return chain;
    },
    onFailure: () => stopped(),
  });
  try {
    await until;
  } finally {
    await follower.stop();
  }
  const failure = follower.failure();
  if (failure) throw failure;
}
