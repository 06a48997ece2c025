// The ingest service, top-down: inputs → source readers → normalize/validate → dedup → token
// count and chunk → RawDocument Avro on the raw topic (key: doc id), or a DeadLetter on the DLQ.
// `createIngestor` is the programmatic API used by the CLI, the HTTP endpoint and `ipt run`.

import { open } from 'node:fs/promises';
import { type Kafka, Partitioners, type Producer } from 'kafkajs';
import { type BudgetConfig, DEFAULT_BUDGET, maxTextTokens, promptTokenModel } from '../../core/budget.ts';
import { mistralTokenizer } from '../../core/mistral.ts';
import type { TokenCounter } from '../../core/tokens.ts';
import type { DeadLetter, RawDocument } from '../../core/types.ts';
import { deadLetter } from '../../lib/dlq.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { registerSchemas, registryClient, type TopicSerde, topicSerde } from '../../lib/registry.ts';
import { requireTopics, type Topics, topicsFor } from '../../lib/topics.ts';
import { DEDUP_HEADER, DedupWindow } from './dedup.ts';
import { restoreDedupWindow } from './dedup-restore.ts';
import type { RejectedInput, SourceEvent } from './events.ts';
import { chunkDocId, contentHash, docIdFor } from './ids.ts';
import { countBytes, decompress, expandPaths, fileBytes, peek } from './input.ts';
import { DEFAULT_JSON_FIELDS, type JsonFields } from './json-doc.ts';
import { createIngestMetrics, type IngestMetrics } from './metrics.ts';
import {
  DEFAULT_NORMALIZE,
  ERROR_CLASS_OF,
  type NormalizeOptions,
  normalizeText,
  type RejectReason,
} from './normalize.ts';
import { BatchingSink, DEFAULT_SINK, type SinkOptions } from './sink.ts';
import { type Format, SNIFF_BYTES, sniffCompression, sniffFormat } from './sniff.ts';
import { readJsonl } from './sources/jsonl.ts';
import { readParquet } from './sources/parquet.ts';
import { readText } from './sources/text.ts';
import { readWarc } from './sources/warc.ts';
import { inlineTokenizing, type Split, workerTokenizing } from './tokenize.ts';

export interface IngestorOptions {
  brokers: string[];
  registryUrl: string;
  /** Topic names; default the global ones (or `topicsFor(namespace)`). */
  topics?: Topics;
  clientId?: string;
  fields?: JsonFields;
  normalize?: Partial<NormalizeOptions>;
  /** Largest single input record (JSONL line, text file, WARC payload, HTTP document) in bytes. */
  maxRecordBytes?: number;
  /** Documents remembered for exact-duplicate detection (0 turns it off). */
  dedupWindow?: number;
  /** The prompt budget a text must fit on its own; longer texts are chunked. */
  budget?: BudgetConfig;
  sink?: Partial<SinkOptions>;
  log?: Logger;
  metrics?: IngestMetrics;
  /** Token counter (the Mistral tokenizer unless a test injects another; an injected one runs inline). */
  tokenizer?: TokenCounter;
  /** Worker threads that count tokens and chunk (0: on the calling thread). */
  tokenThreads?: number;
}

export const DEFAULT_MAX_RECORD_BYTES = 8 * 1024 * 1024;
export const DEFAULT_DEDUP_WINDOW = 1_000_000;
/**
 * Count on the main thread: since counting costs ≈ 0.15 ms per 2 KB web text, handing a document
 * to a worker costs more than counting it (bench/ingest.ts: 2 658 docs/s inline, 1 964 with two
 * workers on 2 cores). Workers still help a slower tokenizer or a box with idle cores.
 */
export const DEFAULT_TOKEN_THREADS = 0;
/** A send unacknowledged for this long makes the service not ready. */
const STALL_MS = 30_000;

export interface IngestStats {
  /** Input records read (documents, rejects and skipped records). */
  inputs: number;
  /** Documents accepted (each produced as one or more RawDocuments). */
  accepted: number;
  /** RawDocument records produced (a chunked text counts its chunks). */
  produced: number;
  /** Accepted documents that were split into chunks. */
  chunked: number;
  duplicates: number;
  rejected: number;
  rejectedByReason: Partial<Record<RejectReason, number>>;
  /** Inputs that are not documents (WARC request records, non-text responses…). */
  skipped: number;
  /** Input bytes read, as stored (compressed). */
  bytes: number;
  files: number;
}

export type Outcome =
  | { status: 'accepted'; docId: string; chunks: number; tokens: number; delivered: Promise<void> }
  | { status: 'duplicate'; docId: string }
  | { status: 'rejected'; reason: RejectReason; message: string; delivered: Promise<void> }
  | { status: 'skipped'; why: string };

export interface Ingestor {
  readonly topics: Topics;
  readonly stats: IngestStats;
  readonly metrics: IngestMetrics;
  readonly dedup: DedupWindow;
  /** Files, directories and globs, one after another. */
  ingestPaths(paths: readonly string[], options?: { format?: Format }): Promise<void>;
  /** One stream (stdin): format sniffed unless given; `source` labels its records (default "stdin"). */
  ingestStream(
    stream: AsyncIterable<Buffer | Uint8Array | string>,
    options?: { format?: Format; source?: string },
  ): Promise<void>;
  /** One event from any reader (the HTTP endpoint feeds its documents here). */
  handle(event: SourceEvent): Promise<Outcome>;
  /** Stops reading after the current record (Ctrl-C); what was read is still flushed by `close`. */
  abort(): void;
  flush(): Promise<void>;
  ready(): true | string;
  close(): Promise<void>;
}

export class IngestRejection extends Error {
  override readonly name = 'IngestRejection';
}

const SOURCE_KIND: Record<Format, string> = {
  jsonl: 'jsonl',
  parquet: 'refinedweb',
  warc: 'warc',
  wet: 'wet',
  text: 'text',
};

async function readHead(path: string, n: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const out = Buffer.alloc(n);
    const { bytesRead } = await handle.read(out, 0, n, 0);
    return out.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Connects, checks topics, registers schemas, restores the dedup window; then ready to ingest. */
export async function createIngestor(options: IngestorOptions): Promise<Ingestor> {
  const log = options.log ?? createLogger('ingest');
  const topics = options.topics ?? topicsFor();
  const metrics = options.metrics ?? createIngestMetrics();
  const fields = options.fields ?? DEFAULT_JSON_FIELDS;
  const normalizeOptions = { ...DEFAULT_NORMALIZE, ...options.normalize };
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const budget = options.budget ?? DEFAULT_BUDGET;
  const tokenizer = options.tokenizer ?? mistralTokenizer();
  const maxTokens = maxTextTokens(budget, promptTokenModel(tokenizer));
  const threads = options.tokenizer ? 0 : (options.tokenThreads ?? DEFAULT_TOKEN_THREADS);
  if (maxTokens < 1)
    throw new Error(`the token budget leaves no room for a text (max_model_len ${budget.maxModelLen})`);

  const kafka: Kafka = kafkaClient(options.clientId ?? 'ipt-ingest', options.brokers, log);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await requireTopics(admin, [topics.raw, topics.dlq]);
  } finally {
    await admin.disconnect();
  }
  // As synth and assemble do: a user who created the topics can ingest (registering is idempotent).
  const registry = registryClient(options.registryUrl);
  await registerSchemas(registry, topics);
  const rawSerde: TopicSerde<RawDocument> = topicSerde(registry, topics.raw);
  const dlqSerde: TopicSerde<DeadLetter> = topicSerde(registry, topics.dlq);

  const dedup = new DedupWindow(options.dedupWindow ?? DEFAULT_DEDUP_WINDOW);
  const restored = await restoreDedupWindow(kafka, topics.raw, dedup);
  log.info(
    { topic: topics.raw, hashes: restored.records, ms: Math.round(restored.ms) },
    'dedup window restored',
  );

  // Idempotent: a retried send after a lost acknowledgement is not written twice. Retries are
  // unbounded (kafkajs's setting for idempotence): a broker outage stalls ingest — backpressure
  // reaches the readers and /readyz says so — instead of failing the run.
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 10_000 },
  });
  await producer.connect();
  // Started last, once nothing else can fail, so a refused start leaves no threads behind.
  const tokenizing =
    threads > 0 ? workerTokenizing(threads, maxTokens) : inlineTokenizing(maxTokens, tokenizer);
  const sink = new BatchingSink(
    producer,
    { ...DEFAULT_SINK, ...options.sink },
    {
      onBatch: (_n, _bytes, ms) => metrics.batchSeconds.observe(ms / 1000),
      onWait: (ms) => metrics.backpressureSeconds.inc(ms / 1000),
    },
  );
  let closed = false;
  let aborted = false;

  const stats: IngestStats = {
    inputs: 0,
    accepted: 0,
    produced: 0,
    chunked: 0,
    duplicates: 0,
    rejected: 0,
    rejectedByReason: {},
    skipped: 0,
    bytes: 0,
    files: 0,
  };
  const onBytes = (n: number) => {
    stats.bytes += n;
    metrics.inputBytes.inc(n);
  };

  async function deadLetterOf(event: RejectedInput): Promise<Outcome> {
    stats.rejected++;
    stats.rejectedByReason[event.reason] = (stats.rejectedByReason[event.reason] ?? 0) + 1;
    metrics.inputs.inc({ outcome: 'rejected' });
    metrics.rejected.inc({ reason: event.reason });
    const context: Record<string, string> = {
      reason: event.reason,
      source: event.source,
      origin: event.origin,
      ...event.detail,
    };
    if (
      event.originalLength !== undefined &&
      event.original &&
      event.originalLength > event.original.length
    ) {
      context.value_truncated_from = String(event.originalLength);
    }
    const record = deadLetter({
      stage: 'INGEST',
      errorClass: ERROR_CLASS_OF[event.reason],
      error: new IngestRejection(event.message),
      sourceTopic: event.source,
      value: event.original,
      docId: event.id ?? null,
      context,
    });
    const value = await dlqSerde.serialize(record);
    const { delivered } = await sink.push(topics.dlq, {
      key: event.id ?? `${event.source}@${event.origin}`,
      value,
    });
    log.debug({ reason: event.reason, source: event.source, origin: event.origin }, 'rejected');
    return { status: 'rejected', reason: event.reason, message: event.message, delivered };
  }

  async function handle(event: SourceEvent): Promise<Outcome> {
    stats.inputs++;
    if (event.kind === 'skip') {
      stats.skipped++;
      metrics.inputs.inc({ outcome: 'skipped' });
      metrics.skipped.inc({ why: event.why });
      return { status: 'skipped', why: event.why };
    }
    if (event.kind === 'reject') return deadLetterOf(event);

    const normalized = normalizeText(event.text, normalizeOptions);
    if (!normalized.ok) {
      return deadLetterOf({
        kind: 'reject',
        reason: normalized.reason,
        message: `${event.origin}: ${normalized.message}`,
        ...(normalized.detail ? { detail: normalized.detail } : {}),
        source: event.source,
        origin: event.origin,
        original: event.original(),
        id: event.id,
      });
    }
    const text = normalized.text;
    // Dedup hashes the stored text: as given by default, so only byte-identical texts are duplicates.
    const hash = contentHash(text);
    const metadata =
      normalized.steps.length > 0
        ? { ...event.metadata, normalized: normalized.steps.join(',') }
        : event.metadata;
    const docId = docIdFor(event.id, event.url, text);
    if (dedup.checkAndAdd(hash)) {
      stats.duplicates++;
      metrics.inputs.inc({ outcome: 'duplicate' });
      return { status: 'duplicate', docId };
    }

    // Counted once here and stored: synth never re-tokenizes a text (DESIGN.md §8).
    let split: Split;
    try {
      split = await tokenizing.split(text);
    } catch (error) {
      dedup.delete(hash);
      throw error;
    }
    const { tokens, pieces } = split;
    const chunked = pieces.length > 1;
    const now = Date.now();
    const deliveries: Promise<void>[] = [];
    for (const [i, piece] of pieces.entries()) {
      const record: RawDocument = {
        doc_id: chunked ? chunkDocId(docId, i) : docId,
        text: piece.text,
        url: event.url,
        source: event.source,
        crawl_dump: event.crawlDump,
        crawl_segment: event.crawlSegment,
        crawl_time: event.crawlTime,
        ingested_at: now,
        content_hash: chunked ? contentHash(piece.text) : hash,
        token_count: piece.tokens,
        chunk_index: i,
        chunk_count: pieces.length,
        parent_doc_id: chunked ? docId : null,
        metadata: chunked
          ? { ...metadata, parent_content_hash: hash, parent_token_count: String(tokens) }
          : metadata,
      };
      const value = await rawSerde.serialize(record);
      // Chunks are keyed by their parent's id: one partition, in order, for the whole text.
      const pushed = await sink.push(topics.raw, { key: docId, value, headers: { [DEDUP_HEADER]: hash } });
      deliveries.push(pushed.delivered);
    }
    stats.accepted++;
    stats.produced += pieces.length;
    if (chunked) stats.chunked++;
    metrics.inputs.inc({ outcome: 'accepted' });
    metrics.produced.inc(pieces.length);
    metrics.bufferedBytes.set(sink.bufferedBytes);
    const delivered = Promise.all(deliveries).then(
      () => {},
      (error: Error) => {
        // Not in Kafka, so not a duplicate of anything: a retry must go through.
        dedup.delete(hash);
        throw error;
      },
    );
    delivered.catch(() => {});
    return { status: 'accepted', docId, chunks: pieces.length, tokens, delivered };
  }

  // Several documents in flight, so the tokenizer threads stay busy while this thread reads ahead.
  // Each document's records are still produced in order; documents may interleave.
  async function drain(events: AsyncIterable<SourceEvent>, source: string): Promise<void> {
    const inFlight = new Set<Promise<unknown>>();
    try {
      for await (const event of events) {
        if (aborted) break;
        const p: Promise<unknown> = handle(event).finally(() => inFlight.delete(p));
        p.catch(() => {}); // awaited below; this only keeps a failure from going unhandled meanwhile
        inFlight.add(p);
        if (inFlight.size >= tokenizing.parallelism) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    } catch (error) {
      await Promise.allSettled(inFlight);
      if (sink.failed) throw sink.failed;
      // A stream that breaks mid-way (corrupt gzip, read error) loses its remainder, not the run.
      await handle({
        kind: 'reject',
        reason: 'read_error',
        message: `reading stopped: ${(error as Error).message}`,
        source,
        origin: 'stream',
        original: null,
      });
    }
  }

  async function ingestBytes(
    raw: AsyncIterable<Buffer>,
    name: string,
    location: string,
    forced: Format | undefined,
  ): Promise<void> {
    const first = await peek(raw, SNIFF_BYTES);
    const compression = sniffCompression(first.head);
    let plain: Awaited<ReturnType<typeof peek>>;
    try {
      plain = await peek(decompress(compression, first.body), SNIFF_BYTES);
    } catch (error) {
      // Corrupt from the very first bytes (gzip or zstd magic, then junk): the decoder fails before
      // anything reaches drain, which handles a stream that breaks later. Same outcome here — the
      // input is dead-lettered and the run goes on — instead of the error ending the whole run.
      const format = forced ?? sniffFormat(name, Buffer.alloc(0));
      await handle({
        kind: 'reject',
        reason: 'read_error',
        message: `reading stopped: ${(error as Error).message}`,
        source: location === 'stdin' ? 'stdin' : `${SOURCE_KIND[format]}:${location}`,
        origin: 'stream',
        original: first.head,
      });
      return;
    }
    const format = forced ?? sniffFormat(name, plain.head);
    const source = location === 'stdin' ? 'stdin' : `${SOURCE_KIND[format]}:${location}`;
    if (format === 'parquet') {
      // Parquet needs random access (footer first): a pipe or a compressed file has none.
      // (Uncompressed Parquet files never get here; ingestFile hands them to readParquet.)
      await handle({
        kind: 'reject',
        reason: 'unsupported_format',
        message: 'Parquet must be an uncompressed file (it is read footer first)',
        source,
        origin: 'whole input',
        original: first.head,
      });
      for await (const _ of plain.body); // read to the end so the byte count is complete
      return;
    }
    const body = plain.body;
    const events =
      format === 'jsonl'
        ? readJsonl(body, { source, fields, maxLineBytes: maxRecordBytes })
        : format === 'warc' || format === 'wet'
          ? readWarc(body, { source, maxRecordBytes })
          : readText(body, { source, maxBytes: maxRecordBytes });
    await drain(events, source);
  }

  return {
    topics,
    stats,
    metrics,
    dedup,
    handle,
    async ingestPaths(paths, opts = {}) {
      const files = await expandPaths(paths);
      for (const path of files) {
        if (aborted) break;
        stats.files++;
        const head = await readHead(path, SNIFF_BYTES);
        const format = opts.format ?? sniffFormat(path, head);
        if (format === 'parquet' && sniffCompression(head) === 'none') {
          // hyparquet reads by range (footer, then one row group at a time) and counts its bytes.
          const source = `${SOURCE_KIND.parquet}:${path}`;
          await drain(readParquet(path, { source, fields, onBytes }), source);
        } else {
          await ingestBytes(fileBytes(path, onBytes), path, path, opts.format);
        }
      }
    },
    async ingestStream(stream, opts = {}) {
      stats.files++;
      await ingestBytes(
        countBytes(stream, onBytes),
        opts.source ?? 'stdin',
        opts.source ?? 'stdin',
        opts.format,
      );
    },
    abort() {
      aborted = true;
    },
    async flush() {
      await sink.flush();
      metrics.bufferedBytes.set(sink.bufferedBytes);
    },
    ready() {
      if (closed) return 'closed';
      if (sink.failed) return `Kafka producer failed: ${sink.failed.message}`;
      if (sink.stalledMs > STALL_MS)
        return `Kafka has not acknowledged a batch for ${Math.round(sink.stalledMs / 1000)} s`;
      return true;
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await sink.flush();
      } finally {
        sink.close();
        await tokenizing.close();
        await producer.disconnect();
      }
    },
  };
}
