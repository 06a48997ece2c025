import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from '../../stack/config.ts';
import { groupAlive, killGroup, portFree, startDetached, terminateGroup } from '../../stack/processes.ts';

export interface ObservedBatch {
  model: string;
  batch_size: number;
  requests: number;
  prompts: string[];
  time: number;
}

/**
 * A PyTriton server (triton/serve.py) started by a test or benchmark on free
 * ports, in its own process group and its own PYTRITON_HOME, so stopping or
 * killing it reaches tritonserver and its Python stubs and leaves nothing behind.
 */
export interface SpawnedTriton {
  url: string;
  httpPort: number;
  observeFile: string;
  log: string;
  pid: number;
  /** Every batch the server executed so far (from its --observe-file). */
  observed(): ObservedBatch[];
  /** SIGKILL to the whole group: a crash, connections drop mid-request. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL if it lingers; removes its scratch directory. */
  stop(): Promise<void>;
}

/**
 * A base port P with P, P+1, P+2 free (HTTP, gRPC, metrics), below Linux's ephemeral range (32768+)
 * so an outgoing connection cannot take the port between this check and the server's bind.
 */
export async function freePortTriple(): Promise<number> {
  return freePortRun(3);
}

/** A base port P with P … P+n−1 free, as freePortTriple (an engine sim adds its stats port at P+3). */
export async function freePortRun(n: number): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    let free = true;
    for (let k = 0; k < n && free; k++) free = await portFree(base + k);
    if (free) return base;
  }
  throw new Error(`no ${n} consecutive free ports found`);
}

export interface SpawnTritonOptions {
  /** Extra serve.py flags, e.g. ['--sim-batch-delay-ms', '200']. */
  args?: string[];
  /** Reuse these ports (to restart a killed server where clients expect it). */
  httpPort?: number;
  readyTimeoutMs?: number;
}

export async function spawnTriton(opts: SpawnTritonOptions = {}): Promise<SpawnedTriton> {
  const httpPort = opts.httpPort ?? (await freePortTriple());
  const dir = mkdtempSync(join(tmpdir(), `ipt-triton-${httpPort}-`));
  const observeFile = join(dir, 'observe.jsonl');
  const log = join(dir, 'server.log');
  const python = join(REPO_ROOT, '.venv', 'bin', 'python');
  const args = [
    join(REPO_ROOT, 'triton', 'serve.py'),
    '--http-port',
    String(httpPort),
    '--grpc-port',
    String(httpPort + 1),
    '--metrics-port',
    String(httpPort + 2),
    '--observe-file',
    observeFile,
    ...(opts.args ?? []),
  ];
  const { pid } = startDetached([python, ...args], {
    log,
    cwd: REPO_ROOT,
    env: { ...process.env, PYTRITON_HOME: join(dir, 'pytriton') },
  });
  const url = `http://127.0.0.1:${httpPort}`;

  const server: SpawnedTriton = {
    url,
    httpPort,
    observeFile,
    log,
    pid,
    observed() {
      if (!existsSync(observeFile)) return [];
      return readFileSync(observeFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as ObservedBatch);
    },
    kill: () => killGroup(pid),
    async stop() {
      if (groupAlive(pid)) await terminateGroup(pid, 10_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 90_000);
  while (Date.now() < deadline) {
    if (!groupAlive(pid)) break;
    try {
      const res = await fetch(`${url}/v2/health/ready`);
      if (res.ok) return server;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2_000) : '';
  await server.stop();
  throw new Error(`Triton (serve.py ${args.slice(1).join(' ')}) did not become ready:\n${tail}`);
}
