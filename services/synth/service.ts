// services/synth: raw documents in, synthesized rounds out, exactly once between topics.
// Reads top-down: the run → the stream app (topics, schemas, codecs) → Triton → one SynthProcessor
// per input partition on the stream runtime.

import type { Registry } from 'prom-client';
import { DEFAULT_TOKEN_MARGIN, promptTokenModel } from '../../core/budget.ts';
import { checkRunId } from '../../core/run-id.ts';
import type { TextTokenizer } from '../../core/tokens.ts';
import type { Run } from '../../core/types.ts';
import { withDefaults } from '../../lib/defaults.ts';
import { createLogger } from '../../lib/log.ts';
import type { OpsServer } from '../../lib/ops-server.ts';
import { StreamApp } from '../../lib/streams/app.ts';
import { DEFAULT_TOKENIZER, loadTokenizer } from '../../lib/tokenizer-file.ts';
import { TOPICS } from '../../lib/topics.ts';
import { type Inference, startInference } from './inference.ts';
import { SynthMetrics } from './metrics.ts';
import { SYNTH_DEFAULTS, type SynthOptions } from './options.ts';
import { SynthProcessor, type SynthProcessorDeps } from './processor.ts';
import { synthGroupId, synthRun, synthTopology } from './topology.ts';

export { SYNTH_DEFAULTS, type SynthOptions } from './options.ts';
export { synthGroupId };

export interface SynthService {
  run: Run;
  groupId: string;
  ops: OpsServer | undefined;
  metrics: Registry;
  /** Partitions with a live task. */
  activePartitions(): number[];
  stop(): Promise<void>;
}

export async function startSynth(options: SynthOptions): Promise<SynthService> {
  const o = withDefaults(SYNTH_DEFAULTS, options);
  checkRunId(o.runId);
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
  const deps = processorDeps(o, run, topics.raw, tokenizer, inference, app.registry);
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
  | 'keepAnswers'
  | 'keepEngines'
>;

/** What every partition's processor shares: the run, its layout and budget, inference, metrics. */
function processorDeps(
  o: ProcessorSettings,
  run: Run,
  rawTopic: string,
  tokenizer: TextTokenizer,
  inference: Inference,
  registry: Registry,
): SynthProcessorDeps {
  return {
    run,
    rawTopic,
    chains: {
      layout: { chainsPerBlock: o.chainsPerBlock, roundsPerChain: o.roundsPerChain },
      budget: { maxModelLen: o.maxModelLen, maxNewTokens: o.maxNewTokens, margin: DEFAULT_TOKEN_MARGIN },
      promptTokens: promptTokenModel(tokenizer),
      idleMs: o.idleMs,
      keepAnswers: o.keepAnswers,
    },
    infer: inference.infer,
    engineOf: inference.engineOf,
    ...(o.keepEngines ? { prefer: inference.prefer } : {}),
    maxBuffered: o.maxBufferedPerPartition,
    // ingest's token_count is Mistral's; a run with another tokenizer counts each text again.
    ...(o.tokenizer === DEFAULT_TOKENIZER ? {} : { recount: tokenizer }),
    recordPrompts: o.recordPrompts,
    metrics: new SynthMetrics(registry),
  };
}
