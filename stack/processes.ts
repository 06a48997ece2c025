import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** What we remember about a process we started, so `down` stops exactly it and nothing that reused its pid. */
export interface PidRecord {
  pid: number;
  command: string[];
  startedAt: string;
  log: string;
}

export function readPidFile(path: string): PidRecord | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PidRecord;
  } catch {
    return undefined;
  }
}

/** True when `record.pid` is alive and still runs the program we started (guards against pid reuse). */
export function isOurs(record: PidRecord | undefined): record is PidRecord {
  if (!record) return false;
  try {
    process.kill(record.pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').split('\0');
    return cmdline[0] === record.command[0] || cmdline.includes(record.command[0] ?? '');
  } catch {
    return true;
  }
}

/**
 * Starts a long-running server detached in its own process group, stdout and stderr appended to `log`.
 * The group lets `stop` reach children the server spawns (tritonserver and its Python stubs).
 */
export function startDetached(
  command: string[],
  opts: { log: string; pidFile?: string; cwd?: string; env?: NodeJS.ProcessEnv },
): PidRecord {
  const [exe, ...args] = command;
  if (!exe) throw new Error('empty command');
  mkdirSync(dirname(opts.log), { recursive: true });
  const out = openSync(opts.log, 'a');
  const child = spawn(exe, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  if (child.pid === undefined) throw new Error(`could not start ${exe}`);
  child.unref();
  const record: PidRecord = { pid: child.pid, command, startedAt: new Date().toISOString(), log: opts.log };
  if (opts.pidFile) writeFileSync(opts.pidFile, `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGroupGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
  return !groupAlive(pid);
}

/** SIGTERM a process group, wait up to `graceMs` for a clean exit, then SIGKILL what is left. */
export async function terminateGroup(pid: number, graceMs = 30_000): Promise<void> {
  signalGroup(pid, 'SIGTERM');
  if (await waitGroupGone(pid, graceMs)) return;
  await killGroup(pid);
}

/** SIGKILL a whole process group (a crash, as far as its peers can tell) and wait until it is gone. */
export async function killGroup(pid: number): Promise<void> {
  signalGroup(pid, 'SIGKILL');
  await waitGroupGone(pid, 10_000);
}

/** Stops the process group recorded in `pidFile` if it is still ours. */
export async function stop(pidFile: string, graceMs = 30_000): Promise<'stopped' | 'not running'> {
  const record = readPidFile(pidFile);
  const running = isOurs(record);
  if (running) await terminateGroup(record.pid, graceMs);
  rmSync(pidFile, { force: true });
  return running ? 'stopped' : 'not running';
}

export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The last lines of a log file, for error messages when a component fails to start. */
export function tail(path: string, lines = 40): string {
  if (!existsSync(path)) return `(no log at ${path})`;
  return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
}
