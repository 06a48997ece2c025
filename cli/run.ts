import { Command, Option } from 'commander';
import { DEFAULT_BUDGET } from '../core/budget.ts';
import { port, positiveInt, withConfigFile } from '../lib/cli-options.ts';
import { MissingTopicsError, type Topics } from '../lib/topics.ts';
import { DEFAULT_MAX_BODY_BYTES } from '../services/ingest/index.ts';
import { type Pipeline, type PipelineOptions, startPipeline } from '../services/run/pipeline.ts';
import { TAP_DEFAULTS } from '../services/tap/server.ts';
import {
  addConnectionOptions,
  addVerboseOption,
  type ConnectionFlags,
  logCommandToFile,
  resolveConnections,
  stopOnSignals,
  templateVersionOption,
  tritonGrpc,
  tritonUrls,
  type VerboseFlags,
} from './common.ts';
import { addDedupOptions, type DedupSettingFlags, dedupSettingsOf } from './dedup.ts';
import { addDocumentOptions, type DocumentFlags, documentSettings } from './ingest.ts';
import { addThreadsOptions, threadsOf } from './ingest-threads.ts';
import { addRunOptions, addSynthOptions, type SynthFlags, synthSettings } from './synth.ts';

interface RunFlags
  extends Omit<SynthFlags, 'opsPort' | 'opsHost'>,
    ConnectionFlags,
    VerboseFlags,
    DocumentFlags,
    DedupSettingFlags {
  templateVersion?: string;
  commitIntervalMs: number;
  ingestHost: string;
  ingestPort: number;
  ingestToken?: string;
  maxBodyBytes: number;
  ingestThreads: number;
  tokenThreads?: number;
  dedupOpsPort: number;
  opsHost: string;
  ingestOpsPort: number;
  synthOpsPort: number;
  assembleOpsPort: number;
  tapToken?: string;
  tapHost: string;
  tapPort: number;
}

const EPILOG = `
One process runs the ingest HTTP endpoint (POST /documents, JSON or NDJSON), dedup, synth and
assemble for one run; each is the same service as \`ipt ingest --serve\`, \`ipt
dedup\`, \`ipt synth\` and \`ipt assemble --run\` (same consumer groups, transactions and topics), so a deployment can split them later
without losing its place. Each keeps its own ops server (/healthz, /readyz, /metrics) on the port
it uses when run alone. SIGTERM/SIGINT stops accepting documents, flushes them to Kafka and
commits what synth and assemble have queued; a second signal exits at once.

With a tap token (--tap-token, IPT_TAP_TOKEN or "tapToken" in --config) the process also runs
the tap, as \`ipt tap\`: its page and WebSocket stream on --tap-port (default ${TAP_DEFAULTS.port}).

Files are ingested with \`ipt ingest <paths>\` against the same topics; exports with \`ipt export
--run <id>\`.

Example:
  npx ipt run --run-id crawl-2026-03 --ingest-port 18090 --k 8`;

export function runCommand(): Command {
  const command = new Command('run')
    .description('ingest HTTP endpoint, synth and assemble in one process (small deployments)')
    .addOption(
      new Option('--run-id <id>', 'the run: synth and assemble consumer groups derive from it')
        .env('IPT_RUN_ID')
        .makeOptionMandatory(),
    );
  addSynthOptions(addRunOptions(command))
    .addOption(templateVersionOption('assemble: render with this template set instead of the run’s own'))
    .addOption(
      new Option('--commit-interval-ms <ms>', 'how often synth and assemble commit queued work')
        .env('IPT_COMMIT_INTERVAL_MS')
        .argParser(positiveInt)
        .default(100),
    );
  addTapOptions(
    addOpsPortOptions(addDedupOptions(addDocumentOptions(addIngestHttpOptions(command)))),
  ).addHelpText('after', EPILOG);
  addConnectionOptions(command, { triton: true });
  addVerboseOption(command);
  withConfigFile(command);
  command.action(async (flags: RunFlags, cmd: Command) => {
    const logFile = logCommandToFile('run', flags);
    if (flags.maxNewTokens >= flags.maxModelLen)
      cmd.error('error: --max-new-tokens must be below --max-model-len');
    const { brokers, registryUrl, topics } = resolveConnections(flags);
    let pipeline: Pipeline;
    try {
      pipeline = await startPipeline({ brokers, registryUrl, topics, ...pipelineSettings(flags) });
    } catch (error) {
      if (error instanceof MissingTopicsError) cmd.error(`error: ${error.message}`);
      throw error;
    }
    printSummary(flags, topics, pipeline, logFile);
    stopOnSignals(async () => {
      await pipeline.stop();
      const d = pipeline.dedup.stats();
      console.log(
        `ipt run ${flags.runId} stopped: dedup kept ${d.kept}, dropped ${d.duplicate} duplicates and ${d.nearDuplicate} near-duplicates (${d.invalid} malformed)`,
      );
    });
  });
  return command;
}

/** The ingest HTTP endpoint's flags: where POST /documents listens and how it reads a body. */
function addIngestHttpOptions(command: Command): Command {
  return addThreadsOptions(command, '--ingest-threads')
    .addOption(
      new Option('--ingest-host <host>', 'address POST /documents binds')
        .env('IPT_INGEST_HOST')
        .default('127.0.0.1'),
    )
    .addOption(
      new Option('--ingest-port <port>', 'port of POST /documents (0: any free port)')
        .env('IPT_INGEST_PORT')
        .argParser(port)
        .default(18090),
    )
    .addOption(
      new Option('--ingest-token <token>', 'bearer token required on POST /documents').env(
        'IPT_INGEST_TOKEN',
      ),
    )
    .addOption(
      new Option('--max-body-bytes <n>', 'largest POST /documents body')
        .env('IPT_INGEST_MAX_BODY_BYTES')
        .argParser(positiveInt)
        .default(DEFAULT_MAX_BODY_BYTES),
    );
}

/** Where each service's ops server (/healthz, /readyz, /metrics) listens. */
function addOpsPortOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--ops-host <host>', 'address the ops servers bind')
        .env('IPT_OPS_HOST')
        .default('127.0.0.1'),
    )
    .addOption(
      new Option('--ingest-ops-port <port>', "ingest's /healthz, /readyz, /metrics (0: any free port)")
        .env('IPT_INGEST_OPS_PORT')
        .argParser(port)
        .default(18091),
    )
    .addOption(
      new Option('--dedup-ops-port <port>', "dedup's /healthz, /readyz, /metrics")
        .env('IPT_DEDUP_OPS_PORT')
        .argParser(port)
        .default(9404),
    )
    .addOption(
      new Option('--synth-ops-port <port>', "synth's /healthz, /readyz, /metrics")
        .env('IPT_SYNTH_OPS_PORT')
        .argParser(port)
        .default(9402),
    )
    .addOption(
      new Option('--assemble-ops-port <port>', "assemble's /healthz, /readyz, /metrics")
        .env('IPT_ASSEMBLE_OPS_PORT')
        .argParser(port)
        .default(9403),
    );
}

/** The optional tap: on when a token is given. */
function addTapOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--tap-token <token>', 'run the tap (page and WebSocket stream) with this token').env(
        'IPT_TAP_TOKEN',
      ),
    )
    .addOption(
      new Option('--tap-host <host>', 'address the tap binds').env('IPT_TAP_HOST').default(TAP_DEFAULTS.host),
    )
    .addOption(
      new Option('--tap-port <port>', 'port of the tap (0: any free port)')
        .env('IPT_TAP_PORT')
        .argParser(port)
        .default(TAP_DEFAULTS.port),
    );
}

/** The PipelineOptions the flags give, less the connections. */
function pipelineSettings(flags: RunFlags): Omit<PipelineOptions, 'brokers' | 'registryUrl' | 'topics'> {
  return {
    tritonUrls: tritonUrls(flags),
    tritonGrpc: tritonGrpc(flags),
    runId: flags.runId,
    ingest: {
      ...documentSettings(flags),
      // The stage decides; ingest sends signatures when near-duplicates are checked.
      nearDup: flags.nearDup,
      threads: threadsOf(flags.ingestThreads, flags.tokenThreads, '--ingest-threads'),
      // Ingest chunks what would not fit a prompt on its own under the same budget synth uses.
      budget: { ...DEFAULT_BUDGET, maxModelLen: flags.maxModelLen, maxNewTokens: flags.maxNewTokens },
      http: {
        host: flags.ingestHost,
        port: flags.ingestPort,
        maxBodyBytes: flags.maxBodyBytes,
        ...(flags.ingestToken ? { token: flags.ingestToken } : {}),
      },
      opsHost: flags.opsHost,
      opsPort: flags.ingestOpsPort,
    },
    dedup: {
      ...dedupSettingsOf(flags),
      commitIntervalMs: flags.commitIntervalMs,
      sessionTimeoutMs: flags.sessionTimeoutMs,
      opsHost: flags.opsHost,
      opsPort: flags.dedupOpsPort,
    },
    synth: {
      ...synthSettings(flags),
      commitIntervalMs: flags.commitIntervalMs,
      opsHost: flags.opsHost,
      opsPort: flags.synthOpsPort,
    },
    assemble: {
      commitIntervalMs: flags.commitIntervalMs,
      sessionTimeoutMs: flags.sessionTimeoutMs,
      opsHost: flags.opsHost,
      opsPort: flags.assembleOpsPort,
      ...(flags.templateVersion ? { templateVersion: flags.templateVersion } : {}),
    },
    ...(flags.tapToken ? { tap: { token: flags.tapToken, host: flags.tapHost, port: flags.tapPort } } : {}),
  };
}

function printSummary(
  flags: RunFlags,
  topics: Topics,
  pipeline: Pipeline,
  logFile: string | undefined,
): void {
  console.log(
    [
      `ipt run ${flags.runId}: POST ${pipeline.http?.url}/documents → ${topics.candidates} → dedup → ${topics.raw} → ${topics.rounds} → ${topics.augmented}`,
      `  ops: ingest ${pipeline.ingestOps?.url}  dedup ${pipeline.dedup.ops?.url}  synth ${pipeline.synth.ops?.url}  assemble ${pipeline.assemble.ops?.url}`,
      ...(pipeline.tap ? [`  tap: ${pipeline.tap.url}/ (page; /stream with the tap token)`] : []),
      ...(logFile ? [`  logs: ${logFile} (warnings and errors; --verbose shows them here)`] : []),
    ].join('\n'),
  );
}
