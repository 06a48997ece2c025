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
  kafka: { port: number; controllerPort: number; heapMb: number };
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
  return {
    stateDir: resolve(overrides.stateDir ?? process.env.IPT_STATE_DIR ?? join(REPO_ROOT, '.ipt', 'stack')),
    cacheDir: resolve(process.env.IPT_CACHE_DIR ?? join(homedir(), '.cache', 'ipt')),
    venvDir: resolve(process.env.IPT_VENV ?? join(REPO_ROOT, '.venv')),
    kafka: { port: kafkaPort, controllerPort: kafkaPort + 1, heapMb: 768 },
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
