// services/synth: raw documents in, synthesized rounds out, exactly once between topics.
// Reads top-down: the run → the stream app (topics, schemas, codecs) → Triton → one SynthProcessor
// per input partition on the stream runtime.

import type { Registry } from 'prom-client';
import { DEFAULT_BUDGET, DEFAULT_TOKEN_MARGIN, promptTokenModel } from '../../core/budget.ts';
import type { TextTokenizer } from '../../core/tokens.ts';
import type { Run } from '../../core/types.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import type { OpsServer } from '../../lib/ops-server.ts';
import { StreamApp } from '../../lib/streams/app.ts';
import { DEFAULT_TOKENIZER, loadTokenizer } from '../../lib/tokenizer-file.ts';
import { TOPICS, type Topics } from '../../lib/topics.ts';
import { startInference } from './inference.ts';
import { SynthMetrics } from './metrics.ts';
import { SynthProcessor, type SynthProcessorDeps } from './processor.ts';
import { synthGroupId, synthRun, synthTopology } from './topology.ts';

export { synthGroupId };

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

const RUN_ID = /^[A-Za-z0-9._-]{1,100}$/;

export async function startSynth(options: SynthOptions): Promise<SynthService> {
  const o = { ...SYNTH_DEFAULTS, ...definedOnly(options) };
  if (!RUN_ID.test(o.runId))
    throw new Error(`run id must match ${RUN_ID} (letters, digits, . _ -), got "${o.runId}"`);
  const topics = o.topics ?? { ...TOPICS };
  const log = o.log ?? createLogger('synth');
  const tokenizer = loadTokenizer(o.tokenizer);
  const run = synthRun(o, tokenizer.name);
  const topology = synthTopology(run, topics);
  const app = await StreamApp.open({
    topology,
    topics,
    log,
    brokers: o.brokers,
    registryUrl: o.registryUrl,
    clientId: `ipt-synth-${o.runId}`,
    ...(o.metricsRegistry ? { metricsRegistry: o.metricsRegistry } : {}),
    ...(o.opsPort !== undefined ? { opsPort: o.opsPort, opsHost: o.opsHost } : {}),
  });
  const inference = await startInference(o, app.registry, log);
  app.defer('triton', () => inference.close());
  const deps = processorDeps(o, run, topics.raw, tokenizer, inference.infer, app.registry);
  await app.run(
    (partition) => new SynthProcessor({ ...deps, end: o.endOffsets?.get(partition) }, partition),
    {
      commitIntervalMs: o.commitIntervalMs,
      sessionTimeoutMs: o.sessionTimeoutMs,
      // Stop fetching while Triton cannot take more: nothing piles up in memory behind it.
      globalPause: inference.saturated,
      ready: inference.ready,
    },
  );
  log.info({ run: o.runId, groupId: topology.groupId, model: o.model, ops: app.ops?.url }, 'synth started');
  return {
    run,
    groupId: topology.groupId,
    ops: app.ops,
    metrics: app.registry,
    activePartitions: () => app.activePartitions(),
    stop: async () => {
      await app.stop();
      log.info({ run: o.runId }, 'synth stopped');
    },
  };
}

type ProcessorSettings = Pick<
  Required<SynthOptions>,
  | 'chainsPerBlock'
  | 'roundsPerChain'
  | 'maxModelLen'
  | 'maxNewTokens'
  | 'idleMs'
  | 'maxBufferedPerPartition'
  | 'tokenizer'
  | 'recordPrompts'
>;

/** What every partition's processor shares: the run, its layout and budget, inference, metrics. */
function processorDeps(
  o: ProcessorSettings,
  run: Run,
  rawTopic: string,
  tokenizer: TextTokenizer,
  infer: SynthProcessorDeps['infer'],
  registry: Registry,
): SynthProcessorDeps {
  return {
    run,
    rawTopic,
    chains: {
      layout: { chainsPerBlock: o.chainsPerBlock, roundsPerChain: o.roundsPerChain },
      budget: { maxModelLen: o.maxModelLen, maxNewTokens: o.maxNewTokens, margin: DEFAULT_TOKEN_MARGIN },
      tokens: promptTokenModel(tokenizer),
      idleMs: o.idleMs,
    },
    infer,
    maxBuffered: o.maxBufferedPerPartition,
    // ingest's token_count is Mistral's; a run with another tokenizer counts each text again.
    ...(o.tokenizer === DEFAULT_TOKENIZER ? {} : { recount: tokenizer }),
    recordPrompts: o.recordPrompts,
    metrics: new SynthMetrics(registry),
  };
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
