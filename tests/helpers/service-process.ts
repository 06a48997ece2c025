import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../stack/config.ts';
import { groupAlive, killGroup, signalGroup, startDetached, tail } from '../../stack/processes.ts';

/** An `ipt <command>` process in its own process group, as an operator would run it. */
export interface ServiceProcess {
  pid: number;
  log: string;
  alive(): boolean;
  /** SIGKILL: a crash, nothing flushed. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a clean exit. */
  stop(timeoutMs?: number): Promise<void>;
  tail(lines?: number): string;
}

export function spawnIpt(
  args: string[],
  name = args[0] ?? 'ipt',
  options: { nodeArgs?: string[]; logDir?: string } = {},
): ServiceProcess {
  const dir = options.logDir ?? mkdtempSync(join(tmpdir(), `ipt-${name}-`));
  const log = join(dir, `${name}.log`);
  const command = [process.execPath, ...(options.nodeArgs ?? []), join(REPO_ROOT, 'bin', 'ipt.js'), ...args];
  const { pid } = startDetached(command, {
    log,
    cwd: REPO_ROOT,
    env: { ...process.env, IPT_LOG_LEVEL: process.env.IPT_LOG_LEVEL ?? 'info' },
  });
  return {
    pid,
    log,
    alive: () => groupAlive(pid),
    kill: () => killGroup(pid),
    async stop(timeoutMs = 30_000) {
      signalGroup(pid, 'SIGTERM');
      const deadline = Date.now() + timeoutMs;
      while (groupAlive(pid)) {
        if (Date.now() > deadline) {
          await killGroup(pid);
          throw new Error(`${name} did not stop within ${timeoutMs} ms:\n${tail(log)}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    tail: (lines = 40) => tail(log, lines),
  };
}

export interface IptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `ipt <args>` to completion (no TTY), with optional stdin, and collects its output. */
export function runIpt(
  args: string[],
  options: { stdin?: Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<IptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'ipt.js'), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, IPT_LOG_LEVEL: 'warn', NO_COLOR: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? Buffer.alloc(0));
  });
}
