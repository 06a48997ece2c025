import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { TEMPLATE_VERSIONS } from '../core/templates/version.ts';
import { commaList, grpcSetting, port, positiveInt } from '../lib/cli-options.ts';
import { type Endpoints, loadEndpoints } from '../lib/endpoints.ts';
import { HTTP_LIMIT_DEFAULTS, type HttpLimits } from '../lib/http/limits.ts';
import { DEFAULT_MAX_JSON_DEPTH } from '../lib/json-depth.ts';
import { routeLogsToFile } from '../lib/log.ts';
import { type OpsServer, type OpsServerOptions, startOpsServer } from '../lib/ops-server.ts';
import { DEFAULT_TOKENIZER } from '../lib/tokenizer-file.ts';
import { type Topics, topicsFor } from '../lib/topics.ts';
import type { TritonGrpcSetting } from '../lib/triton/index.ts';
import { stackConfig } from '../stack/config.ts';

/** Where a service finds Kafka, the registry and Triton, and which topic namespace it uses. */
export interface ConnectionFlags {
  brokers?: string[];
  registry?: string;
  triton?: string[];
  /** --triton-grpc: addresses in the order of --triton, true (Triton's layout) or false (HTTP only). */
  tritonGrpc?: string[] | boolean;
  topicNamespace?: string;
}

export interface OpsFlags {
  opsPort?: number;
  opsHost: string;
}

/** The ops server (/healthz, /readyz, /metrics) when --ops-port was given, else none. */
export function startOpsIfAsked(
  flags: OpsFlags,
  service: Pick<OpsServerOptions, 'registry' | 'ready'>,
): Promise<OpsServer | null> {
  if (flags.opsPort === undefined) return Promise.resolve(null);
  return startOpsServer({ host: flags.opsHost, port: flags.opsPort, ...service });
}

/** Which servers a command talks to; Kafka and the registry unless it says otherwise. */
export interface ConnectionNeeds {
  kafka?: boolean;
  registry?: boolean;
  triton?: boolean;
}

/** --brokers, --registry, --triton, --topic-namespace: flags, env, or the local stack's endpoints file. */
export function addConnectionOptions(command: Command, needs: ConnectionNeeds = {}): Command {
  if (needs.kafka !== false) {
    command.addOption(
      new Option('--brokers <list>', 'Kafka bootstrap servers, comma-separated (default: the local stack)')
        .env('IPT_KAFKA_BROKERS')
        .argParser(commaList),
    );
  }
  if (needs.registry !== false) {
    command.addOption(
      new Option(
        '--registry <url>',
        'Confluent-compatible schema registry URL (default: the local stack)',
      ).env('IPT_REGISTRY_URL'),
    );
  }
  command.addOption(
    new Option('--topic-namespace <ns>', 'prefix of every topic name (side-by-side pipelines)').env(
      'IPT_TOPIC_NAMESPACE',
    ),
  );
  if (needs.triton) {
    command.addOption(
      new Option('--triton <urls>', 'Triton HTTP endpoints, comma-separated (default: the local stack)')
        .env('IPT_TRITON_URLS')
        .argParser(commaList),
    );
    command.addOption(
      new Option(
        '--triton-grpc <addresses>',
        "gRPC frontends of the Triton endpoints (host:port, comma-separated, in --triton's order), for " +
          'one-prompt requests of continuous-batching models: a cancelled or abandoned call cancels its ' +
          "request in Triton, which HTTP does not. 'auto': each endpoint's HTTP port + 1; 'off': HTTP only " +
          "(default: the local stack's gRPC port, off when --triton is given)",
      )
        .env('IPT_TRITON_GRPC')
        .argParser(grpcSetting),
    );
  }
  return command;
}

/** --ops-port / --ops-host for /healthz, /readyz and /metrics. */
/** A stream app's commit cadence and group session timeout (assemble, dedup). */
export function addStreamAppOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--commit-interval-ms <ms>', 'how often queued work is committed')
        .env('IPT_COMMIT_INTERVAL_MS')
        .argParser(positiveInt)
        .default(100),
    )
    .addOption(
      new Option(
        '--session-timeout-ms <ms>',
        'how long the group waits for a silent member before reassigning it',
      )
        .env('IPT_KAFKA_SESSION_TIMEOUT_MS')
        .argParser(positiveInt)
        .default(30_000),
    );
}

export function addOpsOptions(command: Command, defaultPort?: number): Command {
  const portOption = new Option('--ops-port <port>', 'port of /healthz, /readyz, /metrics (0: any free port)')
    .env('IPT_OPS_PORT')
    .argParser(port);
  if (defaultPort !== undefined) portOption.default(defaultPort);
  return command
    .addOption(portOption)
    .addOption(
      new Option('--ops-host <host>', 'address the ops server binds')
        .env('IPT_OPS_HOST')
        .default('127.0.0.1'),
    );
}

export interface Connections {
  brokers: string[];
  registryUrl: string;
  tritonUrls: string[];
  topics: Topics;
}

/** Fills what the flags left out from the local stack's endpoints file (only if something is missing). */
export function resolveConnections(flags: ConnectionFlags): Connections {
  let stack: Endpoints | undefined;
  const local = () => {
    stack ??= loadEndpoints();
    return stack;
  };
  // Getters: a command that only talks to the registry (or only to Kafka) needs no endpoints file
  // when its one server is given by flag.
  return {
    get brokers() {
      return flags.brokers?.length ? flags.brokers : local().kafka.brokers;
    },
    get registryUrl() {
      return flags.registry ?? local().registry.url;
    },
    tritonUrls: flags.triton?.length ? flags.triton : [],
    topics: topicsFor(flags.topicNamespace),
  };
}

export function tritonUrls(flags: ConnectionFlags): string[] {
  return flags.triton?.length ? flags.triton : loadEndpoints().triton.urls;
}

/** Where one-prompt requests go over gRPC: the flag, else the local stack's gRPC port (HTTP for --triton's endpoints). */
export function tritonGrpc(flags: ConnectionFlags): TritonGrpcSetting {
  if (flags.tritonGrpc !== undefined) return flags.tritonGrpc;
  if (flags.triton?.length) return false;
  return loadEndpoints().triton.grpc ?? false;
}

/** The first SIGINT/SIGTERM calls `first` (stop cleanly); a second one exits at once (130). */
export function onStopSignal(first: (signal: NodeJS.Signals) => void): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    first(signal);
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}

/** An AbortController the first stop signal aborts, saying `what` happens next. */
export function abortOnStopSignal(what?: string): AbortController {
  const controller = new AbortController();
  onStopSignal((signal) => {
    if (what) console.error(`${signal}: ${what}`);
    controller.abort();
  });
  return controller;
}

/** Runs until SIGINT/SIGTERM, then stops cleanly (committing what is queued) and exits. */
export function stopOnSignals(stop: () => Promise<void>): void {
  onStopSignal((signal) => {
    console.error(`${signal}: stopping…`);
    stop().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}

export interface VerboseFlags {
  verbose?: boolean;
}

/** --verbose, for commands whose console is progress and a summary (their logs go to a file). */
export function addVerboseOption(command: Command): Command {
  return command.addOption(
    new Option('--verbose', 'service and library logs as JSON on stderr (info) instead of the log file'),
  );
}

/** Sends this command's logs to <state dir>/logs/<command>.log unless --verbose or IPT_LOG_LEVEL. */
export function logCommandToFile(command: string, flags: VerboseFlags): string | undefined {
  return routeLogsToFile(join(stackConfig().stateDir, 'logs', `${command}.log`), flags);
}

/** --template-version: only the sets this build has are accepted (checked when the flags are read). */
export function templateVersionOption(description: string): Option {
  return new Option('--template-version <v>', description).choices(TEMPLATE_VERSIONS);
}

/** `--tokenizer`: the run's tokenizer, by name or file (synth, run, replay, assemble, reassemble). */
export function tokenizerOption(description: string): Option {
  return new Option(
    '--tokenizer <name|path>',
    `${description}: ${DEFAULT_TOKENIZER}, or a tokenizer.json / SentencePiece .model`,
  )
    .env('IPT_TOKENIZER')
    .default(DEFAULT_TOKENIZER);
}

/** The flags of lib/http/limits.ts and the JSON depth limit, for a command that runs an HTTP server. */
export interface HttpLimitFlags {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
  maxHeaderBytes: number;
  maxJsonDepth: number;
}

/** Adds the HTTP limit flags, read from `<envPrefix>_HEADERS_TIMEOUT_MS` … too; `note` prefixes each description. */
export function addHttpLimitOptions(command: Command, envPrefix: string, note = ''): Command {
  const d = HTTP_LIMIT_DEFAULTS;
  const flags: [string, string, string, number][] = [
    [
      '--headers-timeout-ms <ms>',
      'HEADERS_TIMEOUT_MS',
      'time a client has to send its headers (408)',
      d.headersTimeoutMs,
    ],
    [
      '--request-timeout-ms <ms>',
      'REQUEST_TIMEOUT_MS',
      'time a client has to send a whole request (408)',
      d.requestTimeoutMs,
    ],
    [
      '--keep-alive-timeout-ms <ms>',
      'KEEP_ALIVE_TIMEOUT_MS',
      'idle keep-alive connections close after',
      d.keepAliveTimeoutMs,
    ],
    [
      '--idle-timeout-ms <ms>',
      'IDLE_TIMEOUT_MS',
      'a socket with nothing moving (no request being served) closes after',
      d.idleTimeoutMs,
    ],
    [
      '--max-connections <n>',
      'MAX_CONNECTIONS',
      'connections at once; past it idle ones make room (503 if all busy)',
      d.maxConnections,
    ],
    ['--max-header-bytes <n>', 'MAX_HEADER_BYTES', 'request line and headers (431)', d.maxHeaderBytes],
    [
      '--max-json-depth <n>',
      'MAX_JSON_DEPTH',
      'deepest JSON nesting taken from a client',
      DEFAULT_MAX_JSON_DEPTH,
    ],
  ];
  for (const [flag, env, description, value] of flags) {
    command.addOption(
      new Option(flag, `${note}${description}`)
        .env(`${envPrefix}_${env}`)
        .argParser(positiveInt)
        .default(value),
    );
  }
  return command;
}

export const httpLimitsOf = (flags: HttpLimitFlags): Partial<HttpLimits> => ({
  headersTimeoutMs: flags.headersTimeoutMs,
  requestTimeoutMs: flags.requestTimeoutMs,
  keepAliveTimeoutMs: flags.keepAliveTimeoutMs,
  idleTimeoutMs: flags.idleTimeoutMs,
  maxConnections: flags.maxConnections,
  maxHeaderBytes: flags.maxHeaderBytes,
});
