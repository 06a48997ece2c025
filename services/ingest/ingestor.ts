// The ingest service, top-down: inputs → source readers (read.ts) → the steps (steps/pipeline.ts:
// decode → validity → normalize → length → … → dedup → chunk → produce), run by the step runner, which
// counts each step and dead-letters what they reject; the steps that need only the document run on
// worker threads (pool/). `createIngestor` is the programmatic API used by the CLI, the HTTP
// endpoint and `ipt run`.

import { type Kafka, Partitioners, type Producer } from 'kafkajs';
import { type BudgetConfig, DEFAULT_BUDGET, maxTextTokens, promptTokenModel } from '../../core/budget.ts';
import { mistralTokenizer } from '../../core/mistral.ts';
import type { TokenCounter } from '../../core/tokens.ts';
import type { DeadLetter, DedupMessage, RawDocument } from '../../core/types.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { registerSchemas, registryClient, topicSerde } from '../../lib/registry.ts';
import { requireTopics, type Topics, topicsFor } from '../../lib/topics.ts';
import type { SourceEvent } from './events.ts';
import type { ExtractMode } from './html.ts';
import { DEFAULT_JSON_FIELDS, type JsonFields } from './json-doc.ts';
import { createIngestMetrics, type IngestMetrics } from './metrics.ts';
import { DEFAULT_NORMALIZE, type NormalizeOptions } from './normalize.ts';
import { DEFAULT_THREADS, type StepPool, startStepPool } from './pool/pool.ts';
import { type InputReader, inputReader } from './read.ts';
import { BatchingSink, DEFAULT_SINK, type SinkOptions } from './sink.ts';
import { deadLetterWriter } from './steps/dead-letters.ts';
import { type LanguageSettings, languageOptions } from './steps/language.ts';
import { ingestSteps, type PipelineOptions } from './steps/pipeline.ts';
import { type QualitySettings, qualityOptions } from './steps/quality.ts';
import { type Outcome, StepRunner } from './steps/runner.ts';
import { emptyStats, type IngestStats, Tally } from './steps/tally.ts';

export type { Outcome } from './steps/runner.ts';
export type { IngestStats } from './steps/tally.ts';

export interface IngestorOptions {
  brokers: string[];
  registryUrl: string;
  /** Topic names; default the global ones (or `topicsFor(namespace)`). */
  topics?: Topics;
  clientId?: string;
  fields?: JsonFields;
  /** How HTML pages become text: `readability` (default: main content, else visible text) or `text`. */
  extract?: ExtractMode;
  normalize?: Partial<NormalizeOptions>;
  /** Largest single input record (JSONL line, text file, WARC payload, HTTP document) in bytes. */
  maxRecordBytes?: number;
  /**
   * true (default): documents go as candidates to the dedup stage (ipt.dedup.candidates), which
   * decides across every ingest process and writes the kept ones to the raw topic (ARCHITECTURE.md
   * §9). false: straight to the raw topic with no deduplication at all (`ipt ingest --no-dedup`).
   */
  dedupStage?: boolean;
  /** Send each candidate's MinHash signature, so the stage can find near-duplicates (default true). */
  nearDup?: boolean;
  /** Accepted languages (default `en`), `all` (identified, not filtered) or false (no language step). */
  languages?: LanguageSettings['languages'];
  /** Lowest language score kept (eld's scale; default DEFAULT_MIN_LANGUAGE_SCORE). */
  minLanguageScore?: number;
  /** Gopher's quality rules: false turns them off; `skip` names rules not applied (all on by default). */
  quality?: QualitySettings['quality'];
  /** Which texts lose their boilerplate lines: `html` (default: text ipt extracted from a page), `all`, `off`. */
  cleanLines?: QualitySettings['cleanLines'];
  /** The prompt budget a text must fit on its own; longer texts are chunked. */
  budget?: BudgetConfig;
  sink?: Partial<SinkOptions>;
  /**
   * Where records go instead of ingest's own batching producer: a crawl worker's transaction, which
   * commits them together with the input's progress (services/crawl/).
   */
  transport?: IngestTransport;
  log?: Logger;
  metrics?: IngestMetrics;
  /** Token counter (the Mistral tokenizer unless a test injects another; then every step runs inline). */
  tokenizer?: TokenCounter;
  /**
   * Worker threads running the per-document steps (extraction, language, quality, MinHash, token
   * counting); 0: all on the calling thread. Default one per core.
   */
  threads?: number;
  /** Heap limit of each worker thread in MB: a document needing more is dead-lettered (default Node's). */
  threadHeapMb?: number;
}

export const DEFAULT_MAX_RECORD_BYTES = 8 * 1024 * 1024;
export { DEFAULT_THREADS } from './pool/pool.ts';
/** What the ingestor needs of the sink its records go to. */
export type IngestTransport = Pick<
  BatchingSink,
  'push' | 'flush' | 'failed' | 'bufferedBytes' | 'stalledMs' | 'close'
>;

/** A send unacknowledged for this long makes the service not ready. */
const STALL_MS = 30_000;

export interface Ingestor extends InputReader {
  readonly topics: Topics;
  readonly stats: IngestStats;
  readonly metrics: IngestMetrics;
  /** One event from any reader (the HTTP endpoint feeds its documents here). */
  handle(event: SourceEvent): Promise<Outcome>;
  /** Events worth handling at once: 1, or enough to keep the worker threads busy. */
  readonly parallelism: number;
  /** Stops reading after the current record (Ctrl-C); what was read is still flushed by `close`. */
  abort(): void;
  flush(): Promise<void>;
  ready(): true | string;
  close(): Promise<void>;
}

/** Connects, checks topics, registers schemas; then ready to ingest. */
export async function createIngestor(options: IngestorOptions): Promise<Ingestor> {
  const log = options.log ?? createLogger('ingest');
  const topics = options.topics ?? topicsFor();
  const metrics = options.metrics ?? createIngestMetrics();
  const kafka: Kafka = kafkaClient(options.clientId ?? 'ipt-ingest', options.brokers, log);
  const stage = options.dedupStage ?? true;
  await checkTopics(kafka, [stage ? topics.candidates : topics.raw, topics.dlq]);
  // As synth and assemble do: a user who created the topics can ingest (registering is idempotent).
  const registry = registryClient(options.registryUrl);
  await registerSchemas(registry, topics);
  const language = await languageOptions(options);
  const producer = options.transport ? null : await connectProducer(kafka);
  const sink =
    options.transport ??
    new BatchingSink(
      producer as Producer,
      { ...DEFAULT_SINK, ...options.sink },
      {
        onBatch: (_n, _bytes, ms) => metrics.batchSeconds.observe(ms / 1000),
        onWait: (ms) => metrics.backpressureSeconds.inc(ms / 1000),
      },
    );
  const tally = new Tally(emptyStats(), metrics);
  const pipeline = { ...stepOptions(options), language };
  // Started last, once nothing else can fail: a failure to start is the run's error.
  const pool = await startPool(options, pipeline, producer);
  const runner = new StepRunner({
    ...ingestSteps({
      ...pipeline,
      produce: {
        sink,
        topic: topics.raw,
        serde: topicSerde<RawDocument>(registry, topics.raw),
        ...(stage
          ? {
              candidates: {
                topic: topics.candidates,
                serde: topicSerde<DedupMessage>(registry, topics.candidates),
              },
            }
          : {}),
        onQueued: () => metrics.bufferedBytes.set(sink.bufferedBytes),
      },
    }),
    deadLetters: deadLetterWriter(sink, topics.dlq, topicSerde<DeadLetter>(registry, topics.dlq), log),
    tally,
    log,
    ...(pool ? { pool } : {}),
  });
  return ingestorOver({ options, topics, metrics, producer, sink, runner, tally, pool });
}

interface Parts {
  options: IngestorOptions;
  topics: Topics;
  metrics: IngestMetrics;
  producer: Producer | null;
  sink: IngestTransport;
  runner: StepRunner;
  tally: Tally;
  pool: StepPool | undefined;
}

/** The API over the connected parts: reading, one event at a time (HTTP), readiness and closing. */
function ingestorOver(parts: Parts): Ingestor {
  const { options, metrics, sink, runner, tally, pool } = parts;
  let closed = false;
  let aborted = false;
  const reader = inputReader({
    fields: options.fields ?? DEFAULT_JSON_FIELDS,
    maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
    run: (event) => runner.run(event),
    parallelism: runner.parallelism,
    tally,
    aborted: () => aborted,
    failed: () => sink.failed ?? pool?.failed ?? null,
  });
  return {
    ...reader,
    topics: parts.topics,
    stats: tally.stats,
    metrics,
    handle: (event) => runner.run(event),
    parallelism: runner.parallelism,
    abort: () => {
      aborted = true;
    },
    async flush() {
      await sink.flush();
      metrics.bufferedBytes.set(sink.bufferedBytes);
    },
    ready: () => (closed ? 'closed' : pool?.failed ? pool.failed.message : sinkReadiness(sink)),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await sink.flush();
      } finally {
        sink.close();
        await runner.close();
        await parts.producer?.disconnect();
      }
    },
  };
}

/** Every step's settings but produce's: shared by ingest and its dry run (`ipt ingest --explain`). */
export function stepOptions(options: IngestorOptions): PipelineOptions {
  return {
    extract: options.extract ?? 'readability',
    normalize: { ...DEFAULT_NORMALIZE, ...options.normalize },
    ...((options.dedupStage ?? true) ? { stage: { nearDup: options.nearDup ?? true } } : {}),
    ...qualityOptions(options),
    chunk: chunkOptions(options),
  };
}

/** The chunk step's settings; refuses a budget that leaves no room for a text. */
function chunkOptions(options: IngestorOptions) {
  const budget = options.budget ?? DEFAULT_BUDGET;
  const tokenizer = options.tokenizer ?? mistralTokenizer();
  const maxTokens = maxTextTokens(budget, promptTokenModel(tokenizer));
  if (maxTokens < 1)
    throw new Error(`the token budget leaves no room for a text (max_model_len ${budget.maxModelLen})`);
  return { maxTokens, tokenizer };
}

/**
 * The worker threads, or none (`threads: 0`, or an injected tokenizer: the threads load the Mistral
 * one). The producer is disconnected should they fail to start.
 */
async function startPool(
  options: IngestorOptions,
  pipeline: PipelineOptions,
  producer: Producer | null,
): Promise<StepPool | undefined> {
  const threads = options.tokenizer ? 0 : (options.threads ?? DEFAULT_THREADS);
  if (threads === 0) return undefined;
  try {
    return await startStepPool(pipeline, threads, options.threadHeapMb);
  } catch (error) {
    await producer?.disconnect();
    throw error;
  }
}

async function checkTopics(kafka: Kafka, names: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await requireTopics(admin, names);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Idempotent: a retried send after a lost acknowledgement is not written twice. Retries are
 * unbounded (kafkajs's setting for idempotence): a broker outage stalls ingest — backpressure
 * reaches the readers and /readyz says so — instead of failing the run.
 */
export async function connectProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 10_000 },
  });
  await producer.connect();
  return producer;
}

function sinkReadiness(sink: IngestTransport): true | string {
  if (sink.failed) return `Kafka producer failed: ${sink.failed.message}`;
  if (sink.stalledMs > STALL_MS)
    return `Kafka has not acknowledged a batch for ${Math.round(sink.stalledMs / 1000)} s`;
  return true;
}
