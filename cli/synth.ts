import { Command, Option } from 'commander';
import { nonNegativeInt, positiveInt, withConfigFile } from '../lib/cli-options.ts';
import { ADAPTIVE_CEILING } from '../lib/triton/index.ts';
import { SYNTH_DEFAULTS, startSynth } from '../services/synth/service.ts';
import {
  addConnectionOptions,
  addOpsOptions,
  type ConnectionFlags,
  type OpsFlags,
  resolveConnections,
  stopOnSignals,
  tokenizerOption,
  tritonGrpc,
  tritonUrls,
} from './common.ts';

export interface SynthFlags extends ConnectionFlags, OpsFlags {
  runId: string;
  model: string;
  modelVersion: string;
  tokenizer: string;
  maxNewTokens: number;
  maxModelLen: number;
  m: number;
  k: number;
  idleMs: number;
  maxBatch: number;
  lingerMs: number;
  maxBuffered: number;
  maxInFlight: number | undefined;
  attempts: number;
  sessionTimeoutMs: number;
  recordPrompts: boolean;
  keepAnswers: boolean;
  keepEngines: boolean;
}

const d = SYNTH_DEFAULTS;

/** Options every synthesis run shares (synth itself, and replay later). */
export function addRunOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--model <name>', 'Triton model to synthesize with').env('IPT_MODEL').default(d.model),
    )
    .addOption(
      new Option('--model-version <v>', 'model version stamped on the run')
        .env('IPT_MODEL_VERSION')
        .default(d.modelVersion),
    )
    .addOption(tokenizerOption("the synthesizer's tokenizer for budgets and counts, recorded on the run"))
    .addOption(
      new Option('--max-new-tokens <n>', 'generation cap per round')
        .env('IPT_MAX_NEW_TOKENS')
        .argParser(positiveInt)
        .default(d.maxNewTokens),
    )
    .addOption(
      new Option('--max-model-len <n>', "the model's context window")
        .env('IPT_MAX_MODEL_LEN')
        .argParser(positiveInt)
        .default(d.maxModelLen),
    )
    .addOption(
      new Option('--m <rounds>', 'rounds per chain (M)')
        .env('IPT_ROUNDS_PER_CHAIN')
        .argParser(positiveInt)
        .default(d.roundsPerChain),
    )
    .addOption(
      new Option('--k <chains>', 'chains per layout block (K)')
        .env('IPT_CHAINS_PER_BLOCK')
        .argParser(positiveInt)
        .default(d.chainsPerBlock),
    );
}

/** Synth's own tuning (idle close, batching, backpressure, retries, group session): synth and `ipt run`. */
export function addSynthOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--idle-ms <ms>', 'close a partial block after this long without input')
        .env('IPT_CHAIN_IDLE_MS')
        .argParser(nonNegativeInt)
        .default(d.idleMs),
    )
    .addOption(
      new Option('--max-batch <n>', 'prompts per Triton request')
        .env('IPT_MAX_BATCH')
        .argParser(positiveInt)
        .default(d.maxBatch),
    )
    .addOption(
      new Option('--linger-ms <ms>', 'how long a partial batch waits for more prompts')
        .env('IPT_LINGER_MS')
        .argParser(nonNegativeInt)
        .default(d.lingerMs),
    )
    .addOption(
      new Option('--max-buffered <n>', 'records held per partition before fetching pauses')
        .env('IPT_MAX_BUFFERED')
        .argParser(positiveInt)
        .default(d.maxBufferedPerPartition),
    )
    .addOption(
      new Option(
        '--max-in-flight <n>',
        'requests outstanding per Triton endpoint. Batching models (max_batch_size > 0): the limit, default 4. ' +
          'Continuous-batching models (vLLM: decoupled, max_batch_size 0): a cap on the adaptive limit, which ' +
          "starts at the engine's published max_num_seqs and settles where the engine is full; default " +
          `4 x max_num_seqs (${ADAPTIVE_CEILING} when unpublished)`,
      )
        .env('IPT_MAX_IN_FLIGHT')
        .argParser(positiveInt),
    )
    .addOption(
      new Option('--attempts <n>', 'inference attempts before a round fails for good')
        .env('IPT_INFERENCE_ATTEMPTS')
        .argParser(positiveInt)
        .default(d.maxAttempts),
    )
    .addOption(
      new Option(
        '--session-timeout-ms <ms>',
        "Kafka group session timeout (how soon a dead member's partitions move)",
      )
        .env('IPT_KAFKA_SESSION_TIMEOUT_MS')
        .argParser(positiveInt)
        .default(d.sessionTimeoutMs),
    )
    .addOption(new Option('--no-record-prompts', 'leave prompts off SynthRound records (smaller topic)'))
    .addOption(
      new Option(
        '--no-keep-answers',
        'do not keep answers outside the transaction: after a crash, rounds whose answers arrived but did not commit are generated again (to measure what keeping them saves)',
      ),
    )
    .addOption(
      new Option(
        '--no-keep-engines',
        "do not keep each chain's engine in its state: a restored chain's next round goes to any endpoint (to measure the prefix-cache hits this keeps)",
      ),
    );
}

/** The SynthOptions the flags of addRunOptions and addSynthOptions give (no connections, no run id). */
export function synthSettings(flags: Omit<SynthFlags, keyof ConnectionFlags | keyof OpsFlags | 'runId'>) {
  return {
    model: flags.model,
    modelVersion: flags.modelVersion,
    tokenizer: flags.tokenizer,
    maxNewTokens: flags.maxNewTokens,
    maxModelLen: flags.maxModelLen,
    roundsPerChain: flags.m,
    chainsPerBlock: flags.k,
    idleMs: flags.idleMs,
    maxBatch: flags.maxBatch,
    lingerMs: flags.lingerMs,
    maxBufferedPerPartition: flags.maxBuffered,
    maxInFlightPerEndpoint: flags.maxInFlight,
    maxAttempts: flags.attempts,
    sessionTimeoutMs: flags.sessionTimeoutMs,
    recordPrompts: flags.recordPrompts,
    keepAnswers: flags.keepAnswers,
    keepEngines: flags.keepEngines,
  };
}

export function synthCommand(): Command {
  const command = new Command('synth')
    .description(
      'consume raw documents, synthesize instruction rounds on Triton, produce SynthRound records (exactly once)',
    )
    .addOption(
      new Option('--run-id <id>', 'the run: consumer group and transactional ids derive from it')
        .env('IPT_RUN_ID')
        .makeOptionMandatory(),
    );
  addSynthOptions(addRunOptions(command));
  addConnectionOptions(command, { triton: true });
  addOpsOptions(command, 9402);
  withConfigFile(command);
  command.action(async (flags: SynthFlags) => {
    const connections = resolveConnections(flags);
    const service = await startSynth({
      ...connections,
      ...synthSettings(flags),
      tritonUrls: tritonUrls(flags),
      tritonGrpc: tritonGrpc(flags),
      runId: flags.runId,
      opsPort: flags.opsPort,
      opsHost: flags.opsHost,
    });
    stopOnSignals(() => service.stop());
  });
  return command;
}
