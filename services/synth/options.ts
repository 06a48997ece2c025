// synth's options and their defaults, declared once: the CLI reads its flag defaults from here.

import type { Registry } from 'prom-client';
import { DEFAULT_BUDGET } from '../../core/budget.ts';
import type { Logger } from '../../lib/log.ts';
import { DEFAULT_TOKENIZER } from '../../lib/tokenizer-file.ts';
import type { Topics } from '../../lib/topics.ts';
import type { TritonGrpcSetting } from '../../lib/triton/index.ts';

export interface SynthOptions {
  brokers: string[];
  registryUrl: string;
  tritonUrls: string[];
  /**
   * Endpoints whose one-prompt requests go over gRPC (see TritonClusterOptions.grpc): a synth that
   * dies then takes its requests in flight with it instead of leaving them to be generated for nobody.
   */
  tritonGrpc?: TritonGrpcSetting;
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
   * Keep each answer at once in the changelog, outside the transaction, so a task restored before
   * its round commits uses it instead of generating the round again (ARCHITECTURE.md §4).
   */
  keepAnswers?: boolean;
  /** Keep each chain's engine in its state, so a restored chain returns to its prefix cache. */
  keepEngines?: boolean;
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
  keepAnswers: true,
  keepEngines: true,
} as const;
