// services/assemble: SynthRounds in (ipt.synth.rounds, keyed by chain id), one AugmentedRecord per
// finished chain out (ipt.corpus.augmented), open chains in a compacted changelog
// (ipt.assemble.state), anything unusable to ipt.dlq — all of a batch's effects committed with its
// input offsets in one transaction per partition (lib/kafka/stateful-runner.ts).

import { Counter, Gauge, Registry } from 'prom-client';
import { mistralTokenizer } from '../../core/mistral.ts';
import { checkTemplateVersion } from '../../core/templates/version.ts';
import type { TokenCounter } from '../../core/tokens.ts';
import type { AssembleState, AugmentedRecord, DeadLetter, SynthRound } from '../../core/types.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { StatefulRunner } from '../../lib/kafka/stateful-runner.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { type OpsServer, startOpsServer } from '../../lib/ops-server.ts';
import { registerSchemas, registryClient, topicSerde } from '../../lib/registry.ts';
import { requireTopics, TOPICS, type Topics } from '../../lib/topics.ts';
import { type AssembleEvent, type AssembleSerdes, createAssembleTask } from './task.ts';

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
  tokens?: TokenCounter;
}

export interface AssembleStats {
  rounds: number;
  closes: number;
  duplicates: number;
  otherRuns: number;
  emitted: number;
  texts: number;
  empty: number;
  deadLettered: number;
  openChains: number;
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

/** The consumer group (and so the transactional ids and changelog scope) of an assembler. */
export function assembleGroupId(options: Pick<AssembleOptions, 'run' | 'asRun' | 'groupId'>): string {
  if (options.groupId) return options.groupId;
  const run = options.asRun ?? options.run;
  return run ? `ipt-assemble.${run}` : 'ipt-assemble';
}

const RUN_ID = /^[A-Za-z0-9._-]{1,100}$/;

export async function startAssemble(options: AssembleOptions): Promise<AssembleService> {
  if (options.asRun !== undefined && options.run === undefined) {
    throw new Error('asRun (re-assembly as a new run) needs run: the run whose rounds to re-assemble');
  }
  for (const id of [options.run, options.asRun]) {
    if (id !== undefined && !RUN_ID.test(id))
      throw new Error(`run id must match ${RUN_ID} (letters, digits, . _ -), got "${id}"`);
  }
  // An unknown set would dead-letter every chain: refuse it before anything starts.
  if (options.templateVersion !== undefined) checkTemplateVersion(options.templateVersion);
  const log = options.log ?? createLogger('assemble');
  const topics = options.topics ?? { ...TOPICS };
  const groupId = assembleGroupId(options);
  const registry = registryClient(options.registryUrl);
  const kafka = kafkaClient(groupId, options.brokers, log);

  // Refuse to run against missing topics (auto-creation would get their settings wrong) and make
  // sure the schemas the serializers validate against are registered (idempotent).
  const admin = kafka.admin();
  await admin.connect();
  try {
    await requireTopics(admin, [topics.rounds, topics.augmented, topics.assembleState, topics.dlq]);
  } finally {
    await admin.disconnect();
  }
  await registerSchemas(registry, topics);
  const serdes: AssembleSerdes = {
    rounds: topicSerde<SynthRound>(registry, topics.rounds),
    augmented: topicSerde<AugmentedRecord>(registry, topics.augmented),
    state: topicSerde<AssembleState>(registry, topics.assembleState),
    dlq: topicSerde<DeadLetter>(registry, topics.dlq),
  };
  const tokens = options.tokens ?? mistralTokenizer();

  const metricsRegistry = options.metricsRegistry ?? new Registry();
  const metrics = assembleMetrics(metricsRegistry);
  const stats: AssembleStats = {
    rounds: 0,
    closes: 0,
    duplicates: 0,
    otherRuns: 0,
    emitted: 0,
    texts: 0,
    empty: 0,
    deadLettered: 0,
    openChains: 0,
  };
  const openByPartition = new Map<number, number>();
  const onEvent = (event: AssembleEvent, detail?: { errorClass?: string; texts?: number }) => {
    metrics.records.inc({ event });
    if (event === 'round') stats.rounds++;
    else if (event === 'close') stats.closes++;
    else if (event === 'duplicate') stats.duplicates++;
    else if (event === 'other_run') stats.otherRuns++;
    else if (event === 'empty') stats.empty++;
    else if (event === 'emitted') {
      stats.emitted++;
      stats.texts += detail?.texts ?? 0;
      metrics.texts.inc(detail?.texts ?? 0);
    } else if (event === 'dead_lettered') {
      stats.deadLettered++;
      metrics.deadLetters.inc({ error_class: detail?.errorClass ?? 'OTHER' });
    }
  };
  const onOpenChains = (partition: number, open: number) => {
    openByPartition.set(partition, open);
    stats.openChains = [...openByPartition.values()].reduce((a, b) => a + b, 0);
    metrics.openChains.set(stats.openChains);
  };

  const runner = new StatefulRunner({
    kafka,
    groupId,
    inputTopic: topics.rounds,
    changelogTopic: topics.assembleState,
    log,
    ...(options.commitIntervalMs ? { commitIntervalMs: options.commitIntervalMs } : {}),
    ...(options.sessionTimeoutMs ? { sessionTimeoutMs: options.sessionTimeoutMs } : {}),
    createTask: (context) =>
      createAssembleTask(context, {
        topics,
        serdes,
        tokens,
        stateScope: groupId,
        onEvent,
        onOpenChains,
        ...(options.run !== undefined ? { run: options.run } : {}),
        ...(options.asRun !== undefined ? { asRun: options.asRun } : {}),
        ...(options.templateVersion !== undefined ? { templateVersion: options.templateVersion } : {}),
      }),
    onCommit: (_partition, info) => metrics.commitSeconds.inc(info.ms / 1000),
    onRestore: (_partition, info) => metrics.restoredRecords.inc(info.records),
  });

  const ready = (): true | string => {
    if (!runner.running) return 'consumer not running';
    if (runner.restoring > 0) return `restoring ${runner.restoring} partition(s)`;
    return true;
  };
  let ops: OpsServer | undefined;
  if (options.opsPort !== undefined) {
    ops = await startOpsServer({
      port: options.opsPort,
      ...(options.opsHost ? { host: options.opsHost } : {}),
      registry: metricsRegistry,
      ready,
    });
  }
  await runner.start();
  log.info(
    { groupId, topics: { in: topics.rounds, out: topics.augmented }, run: options.run, ops: ops?.url },
    'assemble started',
  );

  return {
    groupId,
    topics,
    ops,
    metrics: metricsRegistry,
    ready,
    stats: () => ({ ...stats }),
    async stop() {
      await runner.stop();
      await ops?.close();
      log.info({ stats }, 'assemble stopped');
    },
  };
}

function assembleMetrics(registry: Registry) {
  const registers = [registry];
  return {
    records: new Counter({
      name: 'ipt_assemble_records_total',
      help: 'SynthRound records by what happened to them (round, close, duplicate, other_run, emitted, empty, dead_lettered)',
      labelNames: ['event'],
      registers,
    }),
    texts: new Counter({
      name: 'ipt_assemble_texts_total',
      help: 'Rendered pre-training texts in emitted AugmentedRecords',
      registers,
    }),
    deadLetters: new Counter({
      name: 'ipt_assemble_dead_letters_total',
      help: 'Records sent to the DLQ by error class',
      labelNames: ['error_class'],
      registers,
    }),
    openChains: new Gauge({
      name: 'ipt_assemble_open_chains',
      help: 'Chains waiting for rounds on this member',
      registers,
    }),
    commitSeconds: new Counter({
      name: 'ipt_assemble_commit_seconds_total',
      help: 'Time spent committing transactions',
      registers,
    }),
    restoredRecords: new Counter({
      name: 'ipt_assemble_restored_records_total',
      help: 'Changelog records read while restoring partitions',
      registers,
    }),
  };
}
