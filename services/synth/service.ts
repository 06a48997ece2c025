// services/synth: raw documents in, synthesized rounds out, exactly once (DESIGN §3–§4).
// Reads top-down: the run → clients (Kafka, registry, Triton) → one task per input partition on the
// shared exactly-once loop → health, readiness and metrics.

import { Registry } from 'prom-client';
import { DEFAULT_BUDGET, DEFAULT_TOKEN_MARGIN, promptTokenModel } from '../../core/budget.ts';
import { TEMPLATE_VERSION } from '../../core/templates/version.ts';
import type { DeadLetter, RawDocument, Run, SynthRound, SynthState } from '../../core/types.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { StatefulRunner } from '../../lib/kafka/stateful-runner.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { type OpsServer, startOpsServer } from '../../lib/ops-server.ts';
import { avroCodec, registerSchemas, registryClient } from '../../lib/registry.ts';
import { DEFAULT_TOKENIZER, loadTokenizer } from '../../lib/tokenizer-file.ts';
import { requireTopics, TOPICS, type Topics } from '../../lib/topics.ts';
import { MicroBatcher, TritonCluster, TritonMetrics } from '../../lib/triton/index.ts';
import { SynthMetrics } from './metrics.ts';
import { createSynthTask } from './task.ts';

export interface SynthOptions {
  brokers: string[];
  registryUrl: string;
  tritonUrls: string[];
  topics?: Topics;
  /** Names the run; the consumer group and transactional ids derive from it. */
  runId: string;
  model?: string;
  modelVersion?: string;
  /**
   * The synthesizer's tokenizer, for prompt budgets and counts: `mistral-7b-v0.1` (the default) or
   * a path to its tokenizer.json or SentencePiece .model. Recorded on the run. Another tokenizer
   * than ingest's (Mistral) recounts every text, since ingest's `token_count` is Mistral's.
   */
  tokenizer?: string;
  maxNewTokens?: number;
  maxModelLen?: number;
  /** M */
  roundsPerChain?: number;
  /** K */
  chainsPerBlock?: number;
  /** A partial block whose input stopped this long ago is closed. */
  idleMs?: number;
  maxBatch?: number;
  lingerMs?: number;
  maxBufferedPerPartition?: number;
  /**
   * Requests in flight per Triton endpoint. Undefined (the default): 4 for a batching model; for a
   * continuous-batching model (vLLM) an adaptive limit that fills the engine, capped at four times
   * the slots its config publishes. Given: the fixed limit, or the adaptive limit's cap.
   */
  maxInFlightPerEndpoint?: number;
  maxAttempts?: number;
  attemptTimeoutMs?: number;
  requestDeadlineMs?: number;
  commitIntervalMs?: number;
  /** Kafka group session timeout: how soon a crashed member's partitions move to others. */
  sessionTimeoutMs?: number;
  recordPrompts?: boolean;
  /**
   * Bounded run (replay): per raw-topic partition, where its input ends (exclusive). Records at or
   * past it are not taken; a partition that has taken everything before it closes its partial last
   * block at once (END_OF_INPUT) instead of after idleMs. Unlisted partitions are unbounded.
   */
  endOffsets?: ReadonlyMap<number, bigint>;
  /** Port of /healthz, /readyz, /metrics; undefined: no ops server. */
  opsPort?: number;
  opsHost?: string;
  log?: Logger;
  metricsRegistry?: Registry;
}

export const SYNTH_DEFAULTS = {
  model: 'instruction_synthesizer_cpu',
  modelVersion: '1',
  tokenizer: DEFAULT_TOKENIZER,
  maxNewTokens: DEFAULT_BUDGET.maxNewTokens,
  maxModelLen: DEFAULT_BUDGET.maxModelLen,
  roundsPerChain: 2,
  // Chain members sit K records apart. With a backlog every partition keeps ~1/M of its buffered
  // records ready to run whatever K is, so K only trades how unrelated chain members are against
  // how long a partial block waits at the end of input.
  chainsPerBlock: 16,
  idleMs: 5_000,
  maxBatch: 64,
  lingerMs: 5,
  maxBufferedPerPartition: 2_000,
  maxAttempts: 4,
  attemptTimeoutMs: 120_000,
  requestDeadlineMs: 600_000,
  commitIntervalMs: 100,
  sessionTimeoutMs: 30_000,
  recordPrompts: true,
} as const;

export interface SynthService {
  run: Run;
  groupId: string;
  ops: OpsServer | undefined;
  metrics: Registry;
  /** Partitions with a live task. */
  activePartitions(): number[];
  stop(): Promise<void>;
}

export const synthGroupId = (runId: string) => `ipt-synth.${runId}`;

const RUN_ID = /^[A-Za-z0-9._-]{1,100}$/;

export async function startSynth(options: SynthOptions): Promise<SynthService> {
  const o = { ...SYNTH_DEFAULTS, ...definedOnly(options) };
  if (!RUN_ID.test(o.runId))
    throw new Error(`run id must match ${RUN_ID} (letters, digits, . _ -), got "${o.runId}"`);
  const topics = o.topics ?? { ...TOPICS };
  const log = o.log ?? createLogger('synth');
  const metricsRegistry = o.metricsRegistry ?? new Registry();

  const tokenizer = loadTokenizer(o.tokenizer);
  const run: Run = {
    run_id: o.runId,
    model: o.model,
    model_version: o.modelVersion,
    sampling_parameters: JSON.stringify({ temperature: 0, max_tokens: o.maxNewTokens }),
    temperature: 0,
    max_new_tokens: o.maxNewTokens,
    max_model_len: o.maxModelLen,
    rounds_per_chain: o.roundsPerChain,
    chains_per_block: o.chainsPerBlock,
    token_margin: DEFAULT_TOKEN_MARGIN,
    tokenizer: tokenizer.name,
    template_version: TEMPLATE_VERSION,
    started_at: Date.now(),
  };
  const budget = { maxModelLen: o.maxModelLen, maxNewTokens: o.maxNewTokens, margin: DEFAULT_TOKEN_MARGIN };
  const groupId = synthGroupId(o.runId);

  // Kafka and the registry: topics must exist; schemas are registered (idempotent) so the codecs
  // write the repository's version.
  const kafka = kafkaClient(`ipt-synth-${o.runId}`, o.brokers, log);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await requireTopics(admin, [topics.raw, topics.rounds, topics.dlq, topics.synthState]);
  } finally {
    await admin.disconnect();
  }
  const registry = registryClient(o.registryUrl);
  await registerSchemas(registry, topics);
  const codecs = {
    raw: await avroCodec<RawDocument>(registry, topics.raw),
    rounds: await avroCodec<SynthRound>(registry, topics.rounds),
    state: await avroCodec<SynthState>(registry, topics.synthState),
    dlq: await avroCodec<DeadLetter>(registry, topics.dlq),
  };

  // Triton: one cluster client and one micro-batcher shared by every partition, so batches fill
  // from all of them.
  const cluster = await new TritonCluster({
    urls: o.tritonUrls,
    models: [o.model],
    maxInFlightPerEndpoint: o.maxInFlightPerEndpoint,
    maxAttempts: o.maxAttempts,
    attemptTimeoutMs: o.attemptTimeoutMs,
    deadlineMs: o.requestDeadlineMs,
    metrics: new TritonMetrics(metricsRegistry),
  }).start();
  const batcher = new MicroBatcher(cluster, {
    model: o.model,
    params: { sampling: { temperature: 0, max_tokens: o.maxNewTokens }, excludeInputInOutput: true },
    maxBatch: o.maxBatch,
    lingerMs: o.lingerMs,
  });
  cluster.on('circuit', (state) => log.warn({ circuit: state }, `Triton circuit ${state}`));

  const metrics = new SynthMetrics(metricsRegistry);
  const tokens = promptTokenModel(tokenizer);
  const runner = new StatefulRunner({
    kafka,
    groupId,
    inputTopic: topics.raw,
    changelogTopic: topics.synthState,
    log,
    commitIntervalMs: o.commitIntervalMs,
    sessionTimeoutMs: o.sessionTimeoutMs,
    // Stop fetching while Triton cannot take more: nothing piles up in memory behind it.
    globalPause: () => cluster.circuit === 'open' || batcher.full,
    onCommit: (_p, info) => {
      metrics.commits.inc();
      metrics.commitSeconds.observe(info.ms / 1000);
    },
    onRestore: (_p, info) => metrics.restoreSeconds.observe(info.ms / 1000),
    createTask: (context) =>
      createSynthTask(
        {
          run,
          topics,
          chains: {
            layout: { chainsPerBlock: o.chainsPerBlock, roundsPerChain: o.roundsPerChain },
            budget,
            tokens,
            idleMs: o.idleMs,
          },
          codecs,
          infer: (prompt, chainId) => batcher.submit(prompt, { affinityKey: chainId }),
          maxBuffered: o.maxBufferedPerPartition,
          ...(o.tokenizer === DEFAULT_TOKENIZER ? {} : { recount: tokenizer }),
          recordPrompts: o.recordPrompts,
          ...(o.endOffsets ? { endOffsets: o.endOffsets } : {}),
          metrics,
        },
        context,
      ),
  });
  await runner.start();

  const lagTimer = setInterval(() => void reportLag(kafka, groupId, topics.raw, metrics, log), 5_000);
  lagTimer.unref();

  const ops =
    o.opsPort === undefined
      ? undefined
      : await startOpsServer({
          host: o.opsHost,
          port: o.opsPort,
          registry: metricsRegistry,
          ready: () => {
            if (!runner.running) return 'consumer not running';
            if (runner.restoring > 0) return `restoring ${runner.restoring} partition(s)`;
            if (cluster.circuit === 'open') return 'no healthy Triton endpoint';
            return true;
          },
        });
  log.info({ run: o.runId, groupId, model: o.model, ops: ops?.url }, 'synth started');

  return {
    run,
    groupId,
    ops,
    metrics: metricsRegistry,
    activePartitions: () => runner.activePartitions(),
    async stop() {
      clearInterval(lagTimer);
      await runner.stop();
      batcher.close();
      await cluster.close();
      await ops?.close();
      log.info({ run: o.runId }, 'synth stopped');
    },
  };
}

async function reportLag(
  kafka: ReturnType<typeof kafkaClient>,
  groupId: string,
  topic: string,
  metrics: SynthMetrics,
  log: Logger,
): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const [ends, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    for (const end of ends) {
      const at = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      const from = BigInt(at) >= 0n ? BigInt(at) : BigInt(end.low);
      metrics.lag.set({ partition: String(end.partition) }, Number(BigInt(end.high) - from));
    }
  } catch (error) {
    log.debug({ err: error }, 'lag not measured');
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
