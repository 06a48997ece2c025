import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const VERSIONS = {
  kafka: '3.9.1',
  apicurio: '3.3.3',
} as const;

export interface StackConfig {
  /** Data, logs, pid files and endpoints.json of the running stack. */
  stateDir: string;
  /** Downloaded jars and unpacked distributions; shared across clones, never inside the repo. */
  cacheDir: string;
  /** The project virtualenv that holds PyTriton. */
  venvDir: string;
  /**
   * `brokers` KRaft nodes, each broker and controller in one process (as the compose profile kafka3
   * runs them); node i (1-based) listens on port + 2(i − 1) and its controller on the port after.
   */
  kafka: { port: number; controllerPort: number; heapMb: number; brokers: number };
  registry: { port: number; heapMb: number };
  /** engineStatsPort: the engine sim's accounting as JSON (GET http://127.0.0.1:<port>/). */
  triton: {
    httpPort: number;
    grpcPort: number;
    metricsPort: number;
    engineStatsPort: number;
    args: string[];
  };
}

export interface StackOverrides {
  stateDir?: string;
  kafkaPort?: number;
  registryPort?: number;
  tritonPort?: number;
  /** Kafka nodes: 1, or 3 for a cluster that survives losing one. */
  kafkaBrokers?: number;
}

/** The sizes of Kafka cluster the stack runs: one node, or three (replication 3, min.insync.replicas 2). */
export const BROKER_COUNTS = [1, 3] as const;

/** Where `up` records how many Kafka nodes this state directory's data was formatted for. */
export const clusterFile = (stateDir: string) => join(stateDir, 'kafka-cluster.json');

/** The Kafka node count a state directory was brought up with, if any. */
export function savedBrokerCount(stateDir: string): number | undefined {
  const file = clusterFile(stateDir);
  // Stacks from before the cluster option kept their single node's data under kafka/.
  if (!existsSync(file)) return existsSync(join(stateDir, 'kafka', 'data')) ? 1 : undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { brokers: number }).brokers;
}

function brokerCount(raw: number | string | undefined, from: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!(BROKER_COUNTS as readonly number[]).includes(n)) {
    throw new Error(`${from}=${raw}: the stack runs ${BROKER_COUNTS.join(' or ')} Kafka brokers`);
  }
  return n;
}

function envPort(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name}=${raw} is not a TCP port (1–65535)`);
  }
  return port;
}

export function stackConfig(overrides: StackOverrides = {}): StackConfig {
  const kafkaPort = overrides.kafkaPort ?? envPort('IPT_KAFKA_PORT', 19092);
  const tritonPort = overrides.tritonPort ?? envPort('IPT_TRITON_PORT', 18000);
  const stateDir = resolve(
    overrides.stateDir ?? (process.env.IPT_STATE_DIR || join(REPO_ROOT, '.ipt', 'stack')),
  );
  // Asked for, else what this state directory was brought up with, else one node.
  const brokers =
    brokerCount(overrides.kafkaBrokers, '--brokers') ??
    brokerCount(process.env.IPT_STACK_BROKERS, 'IPT_STACK_BROKERS') ??
    savedBrokerCount(stateDir) ??
    1;
  return {
    stateDir,
    cacheDir: resolve(process.env.IPT_CACHE_DIR || join(homedir(), '.cache', 'ipt')),
    venvDir: resolve(process.env.IPT_VENV || join(REPO_ROOT, '.venv')),
    kafka: { port: kafkaPort, controllerPort: kafkaPort + 1, heapMb: brokers === 1 ? 768 : 512, brokers },
    registry: { port: overrides.registryPort ?? envPort('IPT_REGISTRY_PORT', 18081), heapMb: 512 },
    triton: {
      httpPort: tritonPort,
      grpcPort: tritonPort + 1,
      metricsPort: tritonPort + 2,
      engineStatsPort: tritonPort + 3,
      args: (process.env.IPT_TRITON_ARGS ?? '').split(' ').filter(Boolean),
    },
  };
}
