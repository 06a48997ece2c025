import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { brokerAddresses, type Component, components, kafkaNodeList } from './components.ts';
import { clusterFile, type StackConfig, savedBrokerCount } from './config.ts';
import {
  isOurs,
  killGroup,
  portFree,
  readPidFile,
  signalGroup,
  startDetached,
  stop,
  tail,
} from './processes.ts';

type Say = (line: string) => void;

export interface ComponentStatus {
  pid: number | null;
  running: boolean;
  ready: boolean;
  log: string;
  [endpoint: string]: unknown;
}

export interface StackStatus {
  stateDir: string;
  endpointsFile: string;
  /** The cluster as a whole (running and ready when every node is), and each node of it. */
  kafka: ComponentStatus & { brokers: string[]; nodes: (ComponentStatus & { name: string; id: number })[] };
  registry: ComponentStatus & { url: string };
  triton: ComponentStatus & { urls: string[]; grpc: string[] };
}

export class ComponentStartError extends Error {
  constructor(
    readonly component: string,
    message: string,
    readonly logTail: string,
  ) {
    super(message);
  }
}

const paths = (cfg: StackConfig, c: Component) => ({
  pidFile: join(cfg.stateDir, `${c.name}.pid`),
  log: join(cfg.stateDir, 'logs', `${c.name}.log`),
});

export const endpointsFile = (cfg: StackConfig) => join(cfg.stateDir, 'endpoints.json');

async function waitReady(c: Component, pidFile: string, log: string): Promise<void> {
  const deadline = Date.now() + c.startTimeoutMs;
  while (Date.now() < deadline) {
    if (await c.ready()) return;
    if (!isOurs(readPidFile(pidFile))) {
      throw new ComponentStartError(c.name, `${c.title} exited during start-up; its log: ${log}`, tail(log));
    }
    await sleep(500);
  }
  throw new ComponentStartError(
    c.name,
    `${c.title} was not ready after ${c.startTimeoutMs / 1000}s; its log: ${log}`,
    tail(log),
  );
}

/** Starts what is not running (idempotent), waits until every component is ready, writes endpoints.json. */
export async function up(cfg: StackConfig, say: Say): Promise<StackStatus> {
  const saved = savedBrokerCount(cfg.stateDir);
  if (saved !== undefined && saved !== cfg.kafka.brokers) {
    throw new ComponentStartError(
      'kafka',
      `the stack in ${cfg.stateDir} holds a ${saved}-broker Kafka's data, not ${cfg.kafka.brokers}: ` +
        '`npx ipt stack down --wipe` deletes it, or choose another --state-dir',
      '',
    );
  }
  mkdirSync(join(cfg.stateDir, 'logs'), { recursive: true });
  writeFileSync(clusterFile(cfg.stateDir), `${JSON.stringify({ brokers: cfg.kafka.brokers })}\n`);
  const starting: Promise<void>[] = [];
  for (const c of components(cfg)) {
    const { pidFile, log } = paths(cfg, c);
    if (isOurs(readPidFile(pidFile))) {
      say(`${c.name}: already running`);
      starting.push(waitReady(c, pidFile, log));
      continue;
    }
    for (const port of c.ports) {
      if (!(await portFree(port))) {
        throw new ComponentStartError(
          c.name,
          `${c.title}: port ${port} on 127.0.0.1 is taken by a process this stack did not start ` +
            '(stop it, or choose other ports: IPT_KAFKA_PORT, IPT_REGISTRY_PORT, IPT_TRITON_PORT)',
          '',
        );
      }
    }
    // Fetching is sequential (Maven and pip share the network and disk); the servers then boot side by side.
    const { command, env } = c.prepare(say);
    startDetached(command, { log, pidFile, env, cwd: cfg.stateDir });
    say(`${c.name}: starting (log ${log})`);
    starting.push(waitReady(c, pidFile, log).then(() => say(`${c.name}: ready`)));
  }
  const results = await Promise.allSettled(starting);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const current = await status(cfg);
  writeFileSync(endpointsFile(cfg), `${JSON.stringify(current, null, 2)}\n`);
  return current;
}

/** Stops exactly the processes this stack started (by pid); `wipe` also deletes their data. */
export async function down(cfg: StackConfig, opts: { wipe: boolean }, say: Say): Promise<void> {
  for (const c of components(cfg).reverse()) {
    const result = await stop(paths(cfg, c).pidFile);
    say(`${c.name}: ${result}`);
  }
  rmSync(endpointsFile(cfg), { force: true });
  if (opts.wipe && existsSync(cfg.stateDir)) {
    rmSync(cfg.stateDir, { recursive: true, force: true });
    say(`wiped ${cfg.stateDir}`);
  }
}

export async function status(cfg: StackConfig): Promise<StackStatus> {
  const entries = await Promise.all(
    components(cfg).map(async (c) => {
      const { pidFile, log } = paths(cfg, c);
      const record = readPidFile(pidFile);
      const running = isOurs(record);
      const ready = running && (await c.ready());
      return [c.name, { ...c.endpoint(), pid: running ? record.pid : null, running, ready, log }] as const;
    }),
  );
  const byName = Object.fromEntries(entries) as Record<string, ComponentStatus>;
  const nodes = kafkaNodeList(cfg).map((n) => {
    const { pid, running, ready, log } = byName[n.name] as ComponentStatus;
    return { name: n.name, id: n.id, pid, running, ready, log };
  });
  const first = nodes[0] as ComponentStatus;
  return {
    stateDir: cfg.stateDir,
    endpointsFile: endpointsFile(cfg),
    kafka: {
      brokers: brokerAddresses(cfg),
      pid: first.pid,
      log: first.log,
      running: nodes.every((n) => n.running),
      ready: nodes.every((n) => n.ready),
      nodes,
    },
    registry: byName.registry as StackStatus['registry'],
    triton: byName.triton as StackStatus['triton'],
  };
}

function component(cfg: StackConfig, name: Component['name']): Component {
  const c = components(cfg).find((x) => x.name === name);
  if (!c) throw new Error(`no stack component ${name}`);
  return c;
}

/**
 * Stops one component of a running stack (SIGTERM, then SIGKILL after `graceMs`), leaving the
 * others and every component's data alone; endpoints.json stays, since clients should find the
 * component at the same address once it is back. For failure drills (the reliability suite
 * restarts the broker and takes Triton away), not for normal operation.
 */
export async function stopComponent(
  cfg: StackConfig,
  name: Component['name'],
  opts: { graceMs?: number } = {},
): Promise<'stopped' | 'not running'> {
  return stop(paths(cfg, component(cfg, name)).pidFile, opts.graceMs);
}

/** SIGKILLs one component's process group, as a crash or a lost machine would end it; its data stays. */
export async function killComponent(cfg: StackConfig, name: Component['name']): Promise<void> {
  const { pidFile } = paths(cfg, component(cfg, name));
  const record = readPidFile(pidFile);
  if (isOurs(record)) await killGroup(record.pid);
  rmSync(pidFile, { force: true });
}

/**
 * Freezes (SIGSTOP) or thaws (SIGCONT) one component: alive to the operating system, silent to its
 * peers, as a long GC pause or a hung disk leaves a broker. For failure drills.
 */
export function pauseComponent(cfg: StackConfig, name: Component['name'], paused: boolean): void {
  const record = readPidFile(paths(cfg, component(cfg, name)).pidFile);
  if (!isOurs(record)) throw new Error(`${name} is not running`);
  signalGroup(record.pid, paused ? 'SIGSTOP' : 'SIGCONT');
}

/** Starts one stopped component on its configured ports and waits until it is ready (as `up` does). */
export async function startComponent(cfg: StackConfig, name: Component['name'], say: Say): Promise<void> {
  const c = component(cfg, name);
  const { pidFile, log } = paths(cfg, c);
  if (!isOurs(readPidFile(pidFile))) {
    // A port lingers briefly after its process exits; wait for it rather than fail the restart.
    const deadline = Date.now() + 30_000;
    for (const port of c.ports) {
      while (!(await portFree(port))) {
        if (Date.now() > deadline) {
          throw new ComponentStartError(c.name, `${c.title}: port ${port} still taken after 30 s`, '');
        }
        await sleep(250);
      }
    }
    const { command, env } = c.prepare(say);
    startDetached(command, { log, pidFile, env, cwd: cfg.stateDir });
    say(`${c.name}: starting (log ${log})`);
  }
  await waitReady(c, pidFile, log);
  say(`${c.name}: ready`);
}
