// An ingest worker (`ipt ingest --worker`): a member of a consumer group over the crawl inputs
// topic. For each input descriptor it is handed, it fences the partition's previous owner (one
// transactional id per input partition), restores the partition's progress, and reads the input
// from the next record not yet committed (input-run.ts). Documents go to the dedup stage's
// candidates topic, so any number of workers is safe. ARCHITECTURE.md §10.

import { hostname } from 'node:os';
import type { Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import type { CrawlInput, CrawlProgress } from '../../core/types.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { FencedError, PartitionTransactions } from '../../lib/kafka/partition-transactions.ts';
import type { Logger } from '../../lib/log.ts';
import { registerSchemas, registryClient, type TopicSerde, topicSerde } from '../../lib/registry.ts';
import { requireTopics, type Topics, topicsFor } from '../../lib/topics.ts';
import {
  createIngestor,
  DEFAULT_MAX_RECORD_BYTES,
  type Ingestor,
  type IngestorOptions,
} from '../ingest/ingestor.ts';
import { DEFAULT_JSON_FIELDS } from '../ingest/json-doc.ts';
import { runInput } from './input-run.ts';
import { type CrawlWorkerMetrics, createCrawlWorkerMetrics } from './metrics.ts';
import { ProgressStore } from './progress-store.ts';
import { registerCrawlStatusMetrics } from './status-metrics.ts';
import { TransactionSink } from './transaction-sink.ts';

export const DEFAULT_CRAWL_GROUP = 'ipt-crawl-workers';
export const DEFAULT_COMMIT_RECORDS = 500;
export const DEFAULT_COMMIT_INTERVAL_MS = 2_000;

export interface CrawlWorkerOptions {
  /** The ingest settings (documents, language, quality, budget); records go to the dedup stage. */
  ingest: Omit<IngestorOptions, 'transport' | 'dedupStage' | 'log'>;
  groupId?: string;
  /** Names this worker in the progress records (default host:pid). */
  workerId?: string;
  /** Records per transaction at most. */
  commitRecords?: number;
  /** Longest time between two transactions of an input being read. */
  commitIntervalMs?: number;
  log: Logger;
}

export interface CrawlWorker {
  readonly ingestor: Ingestor;
  readonly metrics: CrawlWorkerMetrics;
  readonly workerId: string;
  ready(): true | string;
  /** Commits the input being read where it is, leaves the group and disconnects. */
  stop(): Promise<void>;
  /** Settles when the consumer stops for good (crashed without restart). */
  readonly crashed: Promise<Error>;
}

interface Parts {
  kafka: Kafka;
  topics: Topics;
  groupId: string;
  workerId: string;
  ingestor: Ingestor;
  sink: TransactionSink;
  transactions: PartitionTransactions;
  store: ProgressStore;
  inputSerde: TopicSerde<CrawlInput>;
  progressSerde: TopicSerde<CrawlProgress>;
  metrics: CrawlWorkerMetrics;
  options: CrawlWorkerOptions;
}

export async function startCrawlWorker(options: CrawlWorkerOptions): Promise<CrawlWorker> {
  const { log } = options;
  const topics = options.ingest.topics ?? topicsFor();
  const groupId = options.groupId ?? DEFAULT_CRAWL_GROUP;
  const workerId = options.workerId ?? `${hostname()}:${process.pid}`;
  const kafka = kafkaClient(`ipt-crawl-worker-${workerId}`, options.ingest.brokers, log);
  await checkCrawlTopics(kafka, topics);
  const registry = registryClient(options.ingest.registryUrl);
  await registerSchemas(registry, topics);
  const sink = new TransactionSink();
  const ingestor = await createIngestor({
    ...options.ingest,
    topics,
    dedupStage: true,
    transport: sink,
    log,
  });
  const parts: Parts = {
    kafka,
    topics,
    groupId,
    workerId,
    ingestor,
    sink,
    transactions: new PartitionTransactions(kafka, { groupId, topic: topics.crawlInputs }),
    store: new ProgressStore(kafka, topics.crawlProgress, topicSerde(registry, topics.crawlProgress)),
    inputSerde: topicSerde(registry, topics.crawlInputs),
    progressSerde: topicSerde(registry, topics.crawlProgress),
    metrics: createCrawlWorkerMetrics(ingestor.metrics.registry),
    options,
  };
  registerCrawlStatusMetrics(ingestor.metrics.registry, kafka, options.ingest.registryUrl, topics);
  return consume(parts);
}

/** The inputs and progress topics must exist with the same partitions: progress is co-partitioned. */
async function checkCrawlTopics(kafka: Kafka, topics: Topics): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await requireTopics(admin, [topics.crawlInputs, topics.crawlProgress, topics.candidates, topics.dlq]);
    const meta = await admin.fetchTopicMetadata({ topics: [topics.crawlInputs, topics.crawlProgress] });
    const [inputs, progress] = meta.topics.map((t) => t.partitions.length);
    if (inputs !== progress)
      throw new Error(
        `${topics.crawlInputs} has ${inputs} partitions but ${topics.crawlProgress} has ${progress}: they must match`,
      );
  } finally {
    await admin.disconnect();
  }
}

async function consume(parts: Parts): Promise<CrawlWorker> {
  const { kafka, topics, groupId, log } = { ...parts, log: parts.options.log };
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 30_000,
    rebalanceTimeout: 60_000,
    heartbeatInterval: 3_000,
    allowAutoTopicCreation: false,
    // One descriptor at a time is plenty: an input takes minutes.
    maxBytesPerPartition: 64 * 1024,
  });
  const lost = new Set<number>();
  let stopping = false;
  consumer.on(consumer.events.GROUP_JOIN, async ({ payload }) => {
    const assigned = new Set(payload.memberAssignment[topics.crawlInputs] ?? []);
    lost.clear();
    parts.store.forgetAll();
    for (const p of parts.transactions.openPartitions())
      if (!assigned.has(p)) await parts.transactions.close(p).catch(() => {});
    log.info({ partitions: [...assigned] }, 'crawl inputs assigned');
  });
  const crashed = new Promise<Error>((resolve) => {
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) resolve(payload.error);
    });
  });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.crawlInputs, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: (payload) => handleInput(parts, payload, { lost, stopping: () => stopping }),
  });
  return workerOver(parts, consumer, crashed, () => {
    stopping = true;
  });
}

function workerOver(
  parts: Parts,
  consumer: Consumer,
  crashed: Promise<Error>,
  halt: () => void,
): CrawlWorker {
  let stopped = false;
  return {
    ingestor: parts.ingestor,
    metrics: parts.metrics,
    workerId: parts.workerId,
    crashed,
    ready: () => (stopped ? 'stopped' : parts.ingestor.ready()),
    async stop() {
      if (stopped) return;
      stopped = true;
      halt();
      await consumer.disconnect();
      await parts.transactions.closeAll();
      await parts.ingestor.close();
    },
  };
}

interface HandleState {
  /** Partitions another member fenced this one out of, until the group assigns again. */
  lost: Set<number>;
  stopping(): boolean;
}

/** One input descriptor: fence, restore, resume or skip, read. */
async function handleInput(parts: Parts, payload: EachMessagePayload, state: HandleState): Promise<void> {
  const { partition, message, heartbeat } = payload;
  const { log } = parts.options;
  if (state.stopping()) throw new Error('stopping');
  if (state.lost.has(partition)) {
    await heartbeat(); // throws once the group rebalances, which hands the partition out anew
    throw new Error(`partition ${partition} was taken over; waiting for the group to rebalance`);
  }
  if (!message.value) return;
  const input = await parts.inputSerde.deserialize(message.value);
  const next = String(BigInt(message.offset) + 1n);
  try {
    await parts.transactions.open(partition);
    if (!parts.store.has(partition)) await parts.store.restore(partition);
    const prior = parts.store.get(partition, input.input_id);
    if (prior && prior.state !== 'RUNNING') {
      // Published again (a repeated add): already read once, so only the group moves on.
      await commit(parts, partition, message.offset, next, null);
      return;
    }
    parts.metrics.inputsStarted.inc({ resumed: String(prior !== undefined) });
    parts.metrics.currentInputs.inc();
    log.info({ input: input.location, resumeAt: prior?.records_read ?? 0 }, 'reading input');
    try {
      const end = await runInput(
        {
          ingestor: parts.ingestor,
          fields: parts.options.ingest.fields ?? DEFAULT_JSON_FIELDS,
          maxRecordBytes: parts.options.ingest.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
          workerId: parts.workerId,
          commitRecords: parts.options.commitRecords ?? DEFAULT_COMMIT_RECORDS,
          commitIntervalMs: parts.options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS,
          metrics: parts.metrics,
          commit: (progress, final) =>
            commit(parts, partition, message.offset, final ? next : null, progress),
          heartbeat,
          stopping: state.stopping,
        },
        input,
        prior,
      );
      log.info({ input: input.location, end }, 'input read');
      if (end === 'stopped') throw new Error('stopping');
    } finally {
      parts.metrics.currentInputs.dec();
    }
  } catch (error) {
    // Nothing of an aborted transaction is visible: drop what the steps queued for it.
    parts.sink.take().settle(error as Error);
    if (error instanceof FencedError) {
      state.lost.add(partition);
      parts.store.forgetAll();
    }
    throw error;
  }
}

/**
 * One transaction on the input partition: the records the steps queued, the input's progress (on
 * the same partition number of the progress topic) and the group's position — the descriptor's own
 * offset while it is being read, the next one once it is done.
 */
async function commit(
  parts: Parts,
  partition: number,
  current: string,
  next: string | null,
  progress: CrawlProgress | null,
): Promise<void> {
  const held = parts.sink.take();
  const messages = held.messages;
  if (progress) {
    const value = await parts.progressSerde.serialize(progress);
    messages.push({
      topic: parts.topics.crawlProgress,
      messages: [{ key: progress.input_id, value, partition }],
    });
  }
  try {
    await parts.transactions.commit(partition, {
      messages,
      offsets: { topic: parts.topics.crawlInputs, partition, offset: next ?? current },
    });
  } catch (error) {
    held.settle(error as Error);
    throw error;
  }
  held.settle(null);
  if (progress) parts.store.set(partition, progress);
}
