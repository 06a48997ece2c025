import { randomBytes } from 'node:crypto';
import { Command, Option } from 'commander';
import { commaList, port, positiveInt, withConfigFile } from '../lib/cli-options.ts';
import { MissingTopicsError } from '../lib/topics.ts';
import { startTap, TAP_DEFAULTS } from '../services/tap/server.ts';
import {
  addConnectionOptions,
  addHttpLimitOptions,
  type ConnectionFlags,
  type HttpLimitFlags,
  httpLimitsOf,
  resolveConnections,
  stopOnSignals,
} from './common.ts';

interface TapFlags extends ConnectionFlags, HttpLimitFlags {
  host: string;
  port: number;
  token?: string;
  generateToken?: boolean;
  allowOrigin?: string[];
  maxClients: number;
  maxMessageBytes: number;
  queueBytes: number;
  maxDropped: number;
  heartbeatMs: number;
  maxPositional: number;
}

const EPILOG = `
The tap streams ipt.docs.raw, ipt.synth.rounds, ipt.corpus.augmented and ipt.dlq, decoded to JSON,
over a WebSocket at /stream, and serves a page at / that shows each document with its synthesized
pairs and rendered texts. /healthz, /readyz and /metrics are on the same port.

Every client needs the token: "Authorization: Bearer <token>" or /stream?token=<token> (the page
takes it from its address, http://host:port/#token=<token>, and strips it from the address bar).
Give it in IPT_TAP_TOKEN or --config rather than --token, which other users can see in ps.

A client subscribes by sending, e.g.:
  {"type":"subscribe","topics":["raw","rounds","augmented"],"from":"now",
   "filters":{"docId":"doc-1","domain":"example.com"},"run":"run-1","sample":0.1}

Examples:
  IPT_TAP_TOKEN=$(openssl rand -hex 16) npx ipt tap
  npx ipt tap --generate-token --topic-namespace staging`;

export function tapCommand(): Command {
  const command = new Command('tap').description(
    'WebSocket tap and live page: stream the pipeline topics decoded to JSON, with filters',
  );
  addTapOptions(command).addHelpText('after', EPILOG);
  addConnectionOptions(command);
  withConfigFile(command);
  command.action(runTap);
  return command;
}

/** The tap's own flags; their defaults are the service's (TAP_DEFAULTS). */
function addTapOptions(command: Command): Command {
  addHttpLimitOptions(command, 'IPT_TAP');
  return command
    .addOption(
      new Option('--host <host>', 'address to bind (the stream carries the corpus: loopback unless told)')
        .env('IPT_TAP_HOST')
        .default(TAP_DEFAULTS.host),
    )
    .addOption(
      new Option('--port <port>', 'port of the page, /stream and the probes (0: any free port)')
        .env('IPT_TAP_PORT')
        .argParser(port)
        .default(TAP_DEFAULTS.port),
    )
    .addOption(
      new Option('--token <token>', 'token clients must present (prefer IPT_TAP_TOKEN)').env('IPT_TAP_TOKEN'),
    )
    .addOption(new Option('--generate-token', 'no token given: make a random one and print it once'))
    .addOption(
      new Option('--allow-origin <list>', 'browser origins allowed to connect, comma-separated; * for any')
        .env('IPT_TAP_ALLOW_ORIGIN')
        .argParser(commaList),
    )
    .addOption(
      new Option('--max-clients <n>', 'WebSocket clients at once; more are refused (503)')
        .env('IPT_TAP_MAX_CLIENTS')
        .argParser(positiveInt)
        .default(TAP_DEFAULTS.maxClients),
    )
    .addOption(
      new Option('--max-message-bytes <n>', 'largest client message; larger closes the connection (1009)')
        .env('IPT_TAP_MAX_MESSAGE_BYTES')
        .argParser(positiveInt)
        .default(TAP_DEFAULTS.maxMessageBytes),
    )
    .addOption(
      new Option('--queue-bytes <n>', "bytes of records a client's queue holds; past it records are dropped")
        .env('IPT_TAP_QUEUE_BYTES')
        .argParser(positiveInt)
        .default(TAP_DEFAULTS.queue.maxQueueBytes),
    )
    .addOption(
      new Option('--max-dropped <n>', 'records a client may lose in a row before it is disconnected')
        .env('IPT_TAP_MAX_DROPPED')
        .argParser(positiveInt)
        .default(TAP_DEFAULTS.queue.maxDropped),
    )
    .addOption(
      new Option('--heartbeat-ms <ms>', 'ping period; a client that misses a pong is disconnected')
        .env('IPT_TAP_HEARTBEAT_MS')
        .argParser(positiveInt)
        .default(TAP_DEFAULTS.heartbeatMs),
    )
    .addOption(
      new Option('--max-positional <n>', 'subscriptions from a position (own Kafka reader each) at once')
        .env('IPT_TAP_MAX_POSITIONAL')
        .argParser(positiveInt)
        .default(TAP_DEFAULTS.maxPositional),
    );
}

async function runTap(flags: TapFlags, cmd: Command): Promise<void> {
  let token = flags.token;
  if (!token && flags.generateToken) token = randomBytes(24).toString('base64url');
  if (!token) {
    cmd.error(
      'error: the tap needs a token: set IPT_TAP_TOKEN (or "token" in --config, or --token), or pass --generate-token to have one made and printed once',
    );
  }
  const { brokers, registryUrl, topics } = resolveConnections(flags);
  let tap: Awaited<ReturnType<typeof startTap>>;
  try {
    tap = await startTap({
      brokers,
      registryUrl,
      topics,
      token,
      host: flags.host,
      port: flags.port,
      maxClients: flags.maxClients,
      maxMessageBytes: flags.maxMessageBytes,
      maxJsonDepth: flags.maxJsonDepth,
      http: httpLimitsOf(flags),
      queue: { maxQueueBytes: flags.queueBytes, maxDropped: flags.maxDropped },
      heartbeatMs: flags.heartbeatMs,
      maxPositional: flags.maxPositional,
      ...(flags.allowOrigin?.length ? { allowedOrigins: flags.allowOrigin } : {}),
    });
  } catch (error) {
    if (error instanceof MissingTopicsError) cmd.error(`error: ${error.message}`);
    throw error;
  }
  const ws = tap.url.replace(/^http/, 'ws');
  const lines = [
    `ipt tap: page ${tap.url}/  stream ${ws}/stream  probes ${tap.url}/readyz`,
    `  topics: ${[topics.raw, topics.rounds, topics.augmented, topics.dlq].join(', ')}`,
  ];
  // A generated token is shown once, here, and nowhere else (never logged).
  if (!flags.token) lines.push(`  token: ${token}`, `  open: ${tap.url}/#token=${token}`);
  console.log(lines.join('\n'));
  stopOnSignals(() => tap.stop());
}
