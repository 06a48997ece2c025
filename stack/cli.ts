import { Command, InvalidArgumentError, Option } from 'commander';
import { BROKER_COUNTS, type StackOverrides, stackConfig } from './config.ts';
import { ComponentStartError, down, type StackStatus, status, up } from './stack.ts';

const say = (line: string) => console.error(line);

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('not a TCP port (1–65535)');
  return n;
}

function brokers(value: string): number {
  const n = Number(value);
  if (!(BROKER_COUNTS as readonly number[]).includes(n))
    throw new InvalidArgumentError(`the stack runs ${BROKER_COUNTS.join(' or ')} Kafka brokers`);
  return n;
}

function withStackOptions(command: Command): Command {
  return command
    .option('--state-dir <dir>', 'data, logs and pid files (env IPT_STATE_DIR; default <repo>/.ipt/stack)')
    .option(
      '--kafka-port <port>',
      'Kafka listener on 127.0.0.1; the controller takes port+1, further nodes port+2… (env IPT_KAFKA_PORT)',
      port,
    )
    .option(
      '--registry-port <port>',
      'schema registry HTTP port; its management interface takes port+1 (env IPT_REGISTRY_PORT)',
      port,
    )
    .option(
      '--triton-port <port>',
      'Triton HTTP port; GRPC and metrics take +1 and +2 (env IPT_TRITON_PORT)',
      port,
    );
}

function overrides(opts: Record<string, unknown>): StackOverrides {
  return {
    stateDir: opts.stateDir as string | undefined,
    kafkaPort: opts.kafkaPort as number | undefined,
    registryPort: opts.registryPort as number | undefined,
    tritonPort: opts.tritonPort as number | undefined,
    kafkaBrokers: opts.brokers as number | undefined,
  };
}

function printStatus(s: StackStatus): void {
  const line = (
    name: string,
    c: { running: boolean; ready: boolean; pid: number | null; log: string },
    where: string,
  ) =>
    console.log(
      `${name.padEnd(9)} ${c.ready ? 'ready' : c.running ? 'starting' : 'stopped'}`.padEnd(20) +
        `${where.padEnd(48)} pid ${c.pid ?? '-'}  log ${c.log}`,
    );
  if (s.kafka.nodes.length === 1) line('kafka', s.kafka, s.kafka.brokers.join(','));
  else for (const [i, node] of s.kafka.nodes.entries()) line(node.name, node, s.kafka.brokers[i] ?? '');
  line('registry', s.registry, s.registry.url);
  line('triton', s.triton, s.triton.urls.join(','));
  console.log(`endpoints file: ${s.endpointsFile}`);
}

async function guarded(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (error instanceof ComponentStartError) {
      console.error(`\n✗ ${error.component}: ${error.message}`);
      if (error.logTail) console.error(`--- last lines of the ${error.component} log ---\n${error.logTail}`);
    } else {
      console.error(`✗ ${(error as Error).message}`);
    }
    process.exitCode = 1;
  }
}

export function stackCommand(): Command {
  const stack = new Command('stack').description(
    'the local real stack: Apache Kafka (KRaft), Apicurio Registry and Triton (PyTriton, CPU)',
  );
  withStackOptions(stack.command('up'))
    .description('fetch what is missing, start what is not running, wait until all are ready')
    .addOption(
      new Option(
        '--brokers <n>',
        'Kafka nodes: 1, or 3 for a cluster with replication 3 and min.insync.replicas 2 (env IPT_STACK_BROKERS; default: what this state directory was started with, else 1)',
      ).argParser(brokers),
    )
    .action((opts) =>
      guarded(async () => {
        const s = await up(stackConfig(overrides(opts)), say);
        printStatus(s);
      }),
    );
  withStackOptions(stack.command('down'))
    .description('stop the processes the stack started')
    .option('--wipe', 'also delete the data (topics, schemas) and logs', false)
    .action((opts) => guarded(() => down(stackConfig(overrides(opts)), { wipe: Boolean(opts.wipe) }, say)));
  withStackOptions(stack.command('status'))
    .description('report each component: endpoint, pid, readiness, log file')
    .option('--json', 'print JSON for scripts', false)
    .action((opts) =>
      guarded(async () => {
        const s = await status(stackConfig(overrides(opts)));
        if (opts.json) console.log(JSON.stringify(s, null, 2));
        else printStatus(s);
        if (!(s.kafka.ready && s.registry.ready && s.triton.ready)) process.exitCode = 3;
      }),
    );
  return stack;
}
