// What benchmarks read about processes: CPU seconds and RSS from /proc (Linux), and Prometheus
// counters from a service's /metrics. A process group is summed because some servers are several
// processes (tritonserver and its Python model stubs); an ipt service is one Node process.

import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream architecture. */
const TICKS_PER_S = 100;

interface ProcStat {
  pid: number;
  pgrp: number;
  cpuSeconds: number;
}

function procStat(pid: number, path = `/proc/${pid}/stat`): ProcStat | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: fields start after the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state): field n is rest[n - 3].
    return {
      pid,
      pgrp: Number(rest[2]),
      cpuSeconds: (Number(rest[11]) + Number(rest[12])) / TICKS_PER_S,
    };
  } catch {
    return undefined; // gone
  }
}

/** user + system CPU seconds of one live process (threads included), 0 if it is gone. */
export const cpuSeconds = (pid: number): number => procStat(pid)?.cpuSeconds ?? 0;

/** user + system CPU seconds of this process's main thread alone (its worker threads not counted). */
export const mainThreadCpuSeconds = (): number =>
  procStat(process.pid, `/proc/${process.pid}/task/${process.pid}/stat`)?.cpuSeconds ?? 0;

/** `of` summed over every live process in a process group. */
function groupSum(pgrp: number, of: (pid: number) => number): number {
  let sum = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    if (procStat(Number(name))?.pgrp === pgrp) sum += of(Number(name));
  }
  return sum;
}

/** user + system CPU seconds of every live process in a process group. */
export const groupCpuSeconds = (pgrp: number): number => groupSum(pgrp, cpuSeconds);

/** RSS of every live process in a process group (a service: bin/ipt.js and the node it runs), MiB. */
export const groupRssMiB = (pgrp: number): number => groupSum(pgrp, rssMiB);

export function rssMiB(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The sum of a metric's samples whose labels contain `labels` (e.g. `event="emitted"`); 0 if unreachable. */
export async function metric(opsPort: number, name: string, labels?: string): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!(line.startsWith(`${name} `) || line.startsWith(`${name}{`))) continue;
      if (labels && !line.includes(labels)) continue;
      sum += Number(line.split(' ').pop());
    }
    return sum;
  } catch {
    return 0;
  }
}

/** A metric's samples by the value of one label (e.g. per `endpoint`), summed over its other labels; empty if unreachable. */
export async function metricBy(opsPort: number, name: string, label: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    const pattern = new RegExp(`${label}="([^"]*)"`);
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`)) continue;
      const key = pattern.exec(line)?.[1];
      if (key === undefined) continue;
      out.set(key, (out.get(key) ?? 0) + Number(line.split(' ').pop()));
    }
  } catch {
    // not reachable: nothing to report
  }
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function machine(): { cores: number; cpu: string; node: string; load: string } {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const cpu = /model name\s*:\s*(.+)/.exec(info)?.[1]?.trim() ?? 'unknown CPU';
  const cores = (info.match(/^processor\s*:/gm) ?? []).length;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return { cores, cpu, node: process.version, load };
}
