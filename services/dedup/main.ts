// services/dedup: the stage between ingest and ipt.docs.raw. Candidates (keyed by content hash)
// in, kept documents out, (near-)duplicates to the DLQ naming the kept document; documents and
// LSH band keys partitioned across the candidates topic's partitions in a changelogged store, on
// the stream runtime (one transaction per partition carries outputs, state and input offset).
// Scaled out by starting more instances of the same group. ARCHITECTURE.md §9.

import type { Registry } from 'prom-client';
import type { RawDocument } from '../../core/types.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import type { OpsServer } from '../../lib/ops-server.ts';
import { registryClient, topicSerde } from '../../lib/registry.ts';
import { StreamApp } from '../../lib/streams/app.ts';
import { TOPICS, type Topics } from '../../lib/topics.ts';
import { DEFAULT_NEAR_DUP_THRESHOLD, lshShape } from '../ingest/minhash.ts';
import type { DedupSettings } from './decide.ts';
import { DedupMetrics, type DedupStats } from './metrics.ts';
import { keyPartitioner } from './partitioner.ts';
import { DedupProcessor } from './processor.ts';
import { dedupGroupId, dedupTopology } from './topology.ts';

export type { DedupStats };

/** Decided documents a partition remembers (the band-key window is 14 times as many). */
export const DEFAULT_DEDUP_WINDOW = 100_000;

export interface DedupOptions {
  brokers: string[];
  registryUrl: string;
  topics?: Topics;
  /** Default: `ipt-dedup`, or `ipt-dedup.<namespace>` on namespaced topics. */
  groupId?: string;
  /** Decided documents remembered per partition; the oldest are forgotten first. */
  window?: number;
  /** false: exact duplicates only (signatures are ignored). */
  nearDup?: boolean;
  nearDupThreshold?: number;
  opsPort?: number;
  opsHost?: string;
  commitIntervalMs?: number;
  sessionTimeoutMs?: number;
  metricsRegistry?: Registry;
  log?: Logger;
}

export interface DedupService {
  readonly groupId: string;
  readonly topics: Topics;
  readonly ops: OpsServer | undefined;
  readonly metrics: Registry;
  ready(): true | string;
  /** Nothing queued or being committed: every verdict counted in `stats` is on the topics. */
  settled(): boolean;
  stats(): DedupStats;
  stop(): Promise<void>;
}

export function dedupSettings(options: Pick<DedupOptions, 'window' | 'nearDupThreshold'>): DedupSettings {
  const window = options.window ?? DEFAULT_DEDUP_WINDOW;
  if (!Number.isSafeInteger(window) || window < 1)
    throw new RangeError('the dedup window must be ≥ 1 document');
  const threshold = options.nearDupThreshold ?? DEFAULT_NEAR_DUP_THRESHOLD;
  const params = lshShape(threshold);
  return { threshold, params, docWindow: window, bandWindow: window * params.bands };
}

export async function startDedup(options: DedupOptions): Promise<DedupService> {
  const log = options.log ?? createLogger('dedup');
  const topics = options.topics ?? { ...TOPICS };
  const settings = dedupSettings(options);
  const topology = dedupTopology(options.groupId ?? dedupGroupId(topics));
  const app = await StreamApp.open({
    topology,
    topics,
    log,
    brokers: options.brokers,
    registryUrl: options.registryUrl,
    clientId: topology.groupId,
    ...(options.metricsRegistry ? { metricsRegistry: options.metricsRegistry } : {}),
    ...(options.opsPort !== undefined ? { opsPort: options.opsPort, opsHost: options.opsHost } : {}),
  });
  // After open, which has checked that the topics exist.
  const partitions = await partitionCount(options.brokers, topics.candidates, log).catch(async (error) => {
    await app.stop().catch(() => {});
    throw error;
  });
  const metrics = new DedupMetrics(app.registry);
  const raw = topicSerde<RawDocument>(registryClient(options.registryUrl), topics.raw);
  const deps = {
    settings: { ...settings, partitionOf: keyPartitioner(partitions) },
    metrics,
    nearDup: options.nearDup ?? true,
    decodeRaw: (bytes: Buffer) => raw.deserialize(bytes),
  };
  await app.run((partition) => new DedupProcessor(deps, partition), {
    ...(options.commitIntervalMs ? { commitIntervalMs: options.commitIntervalMs } : {}),
    ...(options.sessionTimeoutMs ? { sessionTimeoutMs: options.sessionTimeoutMs } : {}),
  });
  log.info(
    {
      groupId: topology.groupId,
      topics: { in: topics.candidates, out: topics.raw },
      window: settings.docWindow,
      threshold: deps.nearDup ? settings.threshold : null,
      ops: app.ops?.url,
    },
    'dedup started',
  );
  return {
    groupId: topology.groupId,
    topics,
    ops: app.ops,
    metrics: app.registry,
    ready: () => app.ready(),
    settled: () => app.settled(),
    stats: () => metrics.stats(),
    async stop() {
      await app.stop();
      log.info({ stats: metrics.stats() }, 'dedup stopped');
    },
  };
}

/**
 * The candidates topic's partitions: band keys are grouped by the partition that owns them, so the
 * count must not change while the stage's state is in use (as for any partitioned store).
 */
async function partitionCount(brokers: string[], topic: string, log: Logger): Promise<number> {
  const admin = kafkaClient('ipt-dedup-metadata', brokers, log).admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const count = topics[0]?.partitions.length ?? 0;
    if (count < 1) throw new Error(`topic ${topic} has no partitions`);
    return count;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Resolves once this instance has decided at least `candidates` documents (kept, dropped or
 * malformed) and every verdict is committed on the topics.
 */
export async function waitDecided(
  dedup: DedupService,
  candidates: number,
  timeoutMs = 300_000,
): Promise<DedupStats> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = dedup.stats();
    const decided = stats.kept + stats.duplicate + stats.nearDuplicate + stats.invalid;
    // Counted when queued; the verdicts are on the topics once their transactions have committed.
    if (decided >= candidates && dedup.settled()) return dedup.stats();
    if (Date.now() > deadline)
      throw new Error(`dedup decided ${decided} of ${candidates} documents in ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
