// One timed ingest of a file into fresh, namespaced topics of the shared stack, deleted afterwards:
// what the ingest benches measure, each with its own options. And the same without Kafka: the
// file through the steps as ingest runs them (reader, runner, worker threads), nothing produced.

import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Endpoints } from '../lib/endpoints.ts';
import type { Logger } from '../lib/log.ts';
import { registerSchemas, registryClient } from '../lib/registry.ts';
import { createTopics, topicsFor } from '../lib/topics.ts';
import {
  createIngestor,
  DEFAULT_MAX_RECORD_BYTES,
  type IngestorOptions,
  type IngestStats,
  stepOptions,
} from '../services/ingest/ingestor.ts';
import { DEFAULT_JSON_FIELDS } from '../services/ingest/json-doc.ts';
import { createIngestMetrics } from '../services/ingest/metrics.ts';
import { startStepPool } from '../services/ingest/pool/pool.ts';
import { inputReader } from '../services/ingest/read.ts';
import { languageOptions } from '../services/ingest/steps/language.ts';
import { ingestSteps } from '../services/ingest/steps/pipeline.ts';
import { StepRunner } from '../services/ingest/steps/runner.ts';
import type { Step } from '../services/ingest/steps/step.ts';
import { emptyStats, Tally } from '../services/ingest/steps/tally.ts';
import { mainThreadCpuSeconds } from './proc.ts';

export interface Timed {
  secs: number;
  /** This process's CPU over the timed part, every thread of it. */
  cpuSecs: number;
  /** The main thread's share of it. */
  mainCpuSecs: number;
  /** Documents accepted in the timed part. */
  accepted: number;
  /** Counts over the whole run, warm-up included. */
  stats: IngestStats;
}

/**
 * `warmUp`: a file ingested first, untimed, by the same ingestor, so its worker threads have
 * compiled the steps' code before the timed part (as in a long-running ingest).
 */
/** Times `work`: wall and CPU seconds, and what it added to `stats` (live counts) in accepted documents. */
async function timed(stats: IngestStats, work: () => Promise<void>): Promise<Timed> {
  const warmAccepted = stats.accepted;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const main = mainThreadCpuSeconds();
  await work();
  const used = process.cpuUsage(cpu);
  return {
    secs: (performance.now() - started) / 1000,
    cpuSecs: (used.user + used.system) / 1e6,
    mainCpuSecs: mainThreadCpuSeconds() - main,
    accepted: stats.accepted - warmAccepted,
    stats,
  };
}

export async function timedIngest(
  setup: { kafka: Kafka; endpoints: Endpoints; log: Logger; prefix: string },
  file: string,
  options: Partial<IngestorOptions>,
  warmUp?: string,
): Promise<Timed> {
  const { kafka, endpoints, log } = setup;
  const topics = topicsFor(`${setup.prefix}-${randomUUID().slice(0, 8)}`);
  const admin = kafka.admin();
  await admin.connect();
  await createTopics(admin, 4, topics);
  await registerSchemas(registryClient(endpoints.registry.url), topics);
  try {
    const ingestor = await createIngestor({
      brokers: endpoints.kafka.brokers,
      registryUrl: endpoints.registry.url,
      topics,
      log,
      ...options,
    });
    if (warmUp) {
      await ingestor.ingestPaths([warmUp]);
      await ingestor.flush();
    }
    return await timed(ingestor.stats, async () => {
      await ingestor.ingestPaths([file]);
      await ingestor.close(); // the final flush: every record acknowledged
    });
  } finally {
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => {});
    await admin.disconnect();
  }
}

export interface DryRun {
  /** Worker threads (0: every step on this thread, one input at a time). */
  threads?: number;
  /** Wraps each step run on this thread (to time it). */
  wrap?: <In>(step: Step<In>) => Step<In>;
  /** A file run first, untimed (see timedIngest). */
  warmUp?: string;
}

/** The file through ingest's steps without Kafka: no produce step, dead letters only counted. */
export async function dryIngest(
  file: string,
  options: Partial<IngestorOptions> & { log: Logger },
  { threads = 0, wrap = (step) => step, warmUp }: DryRun = {},
): Promise<Timed> {
  const all = { brokers: [], registryUrl: '', ...options };
  const pipeline = { ...stepOptions(all), language: await languageOptions(all) };
  const pool = threads > 0 ? await startStepPool(pipeline, threads) : undefined;
  const built = ingestSteps(pipeline);
  const tally = new Tally(emptyStats(), createIngestMetrics());
  const runner = new StepRunner({
    decode: wrap(built.decode),
    steps: built.steps.map(wrap),
    deadLetters: async () => ({ delivered: Promise.resolve() }),
    tally,
    log: options.log,
    ...(pool ? { pool } : {}),
  });
  const reader = inputReader({
    fields: DEFAULT_JSON_FIELDS,
    maxRecordBytes: DEFAULT_MAX_RECORD_BYTES,
    parallelism: runner.parallelism,
    tally,
    aborted: () => false,
    failed: () => null,
    run: (event) => runner.run(event),
  });
  try {
    if (warmUp) await reader.ingestPaths([warmUp]);
    return await timed(tally.stats, () => reader.ingestPaths([file]));
  } finally {
    await runner.close();
  }
}
