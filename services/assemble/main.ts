// services/assemble: SynthRounds in (keyed by chain id), one AugmentedRecord per finished chain
// out, open chains in the assemble changelog, anything unusable to the DLQ — on the stream runtime,
// which commits a batch's effects with its input offsets in one transaction per partition.

import type { Registry } from 'prom-client';
import { mistralTokenizer } from '../../core/mistral.ts';
import { checkRunId } from '../../core/run-id.ts';
import { checkTemplateVersion } from '../../core/templates/version.ts';
import type { TokenCounter } from '../../core/tokens.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import type { OpsServer } from '../../lib/ops-server.ts';
import { StreamApp } from '../../lib/streams/app.ts';
import { TOPICS, type Topics } from '../../lib/topics.ts';
import { AssembleMetrics, type AssembleStats } from './metrics.ts';
import { AssembleProcessor } from './processor.ts';
import { assembleGroupId, assembleTopology } from './topology.ts';

export { type AssembleStats, assembleGroupId };

export interface AssembleOptions {
  brokers: string[];
  registryUrl: string;
  /** Topic names (topicsFor(namespace)); default: the global names. */
  topics?: Topics;
  /** Assemble only this run's rounds (others are skipped). Default: every run on the topic. */
  run?: string;
  /** Re-assembly: emit the records as this run id (requires `run`). */
  asRun?: string;
  /** Render with this template set instead of each run's own. */
  templateVersion?: string;
  /** Consumer group; default `ipt-assemble`, or `ipt-assemble.<asRun ?? run>` for one run. */
  groupId?: string;
  /** Port of /healthz, /readyz, /metrics (0: any free port); undefined: no ops server. */
  opsPort?: number;
  opsHost?: string;
  /** How often queued work is committed. */
  commitIntervalMs?: number;
  /** How long the group waits for a silent member before moving its partitions to another. */
  sessionTimeoutMs?: number;
  /** Prometheus registry to register on; default a fresh one. */
  metricsRegistry?: Registry;
  log?: Logger;
  /** Counts rendered tokens: the run's tokenizer (`--tokenizer`); default Mistral-7B-v0.1. */
  tokenCounter?: TokenCounter;
}

export interface AssembleService {
  readonly groupId: string;
  readonly topics: Topics;
  readonly ops: OpsServer | undefined;
  readonly metrics: Registry;
  /** true when every assigned partition is restored and running; otherwise why not. */
  ready(): true | string;
  stats(): AssembleStats;
  /** Commits what is queued, leaves the group, closes the ops server. */
  stop(): Promise<void>;
}

function checkOptions(options: AssembleOptions): void {
  if (options.asRun !== undefined && options.run === undefined) {
    throw new Error('asRun (re-assembly as a new run) needs run: the run whose rounds to re-assemble');
  }
  for (const id of [options.run, options.asRun]) if (id !== undefined) checkRunId(id);
  // An unknown set would dead-letter every chain: refuse it before anything starts.
  if (options.templateVersion !== undefined) checkTemplateVersion(options.templateVersion);
}

export async function startAssemble(options: AssembleOptions): Promise<AssembleService> {
  checkOptions(options);
  const log = options.log ?? createLogger('assemble');
  const topics = options.topics ?? { ...TOPICS };
  const topology = assembleTopology(assembleGroupId(options));
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
  const metrics = new AssembleMetrics(app.registry);
  const { run, asRun, templateVersion } = options;
  const deps = {
    tokenCounter: options.tokenCounter ?? mistralTokenizer(),
    metrics,
    ...(run !== undefined ? { run } : {}),
    ...(asRun !== undefined ? { asRun } : {}),
    ...(templateVersion !== undefined ? { templateVersion } : {}),
  };
  await app.run((partition) => new AssembleProcessor(deps, partition), {
    ...(options.commitIntervalMs ? { commitIntervalMs: options.commitIntervalMs } : {}),
    ...(options.sessionTimeoutMs ? { sessionTimeoutMs: options.sessionTimeoutMs } : {}),
  });
  const stats = () => metrics.stats(app.metrics.deadLettered);
  log.info(
    {
      groupId: topology.groupId,
      topics: { in: topics.rounds, out: topics.augmented },
      run,
      ops: app.ops?.url,
    },
    'assemble started',
  );
  return {
    groupId: topology.groupId,
    topics,
    ops: app.ops,
    metrics: app.registry,
    ready: () => app.ready(),
    stats,
    async stop() {
      await app.stop();
      log.info({ stats: stats() }, 'assemble stopped');
    },
  };
}
