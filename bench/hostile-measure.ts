// What each section of bench/hostile.ts measures per attack, whatever the service: the service's
// RSS before / peak / after, how the attackers were cut off (a status or close code, after how
// long), and what a legitimate client measured while they ran.

import { groupRssMiB, sleep } from './proc.ts';
import { fmt, quantile } from './results.ts';

/** How an attacking connection ended: the status (or close code) it got, after how long. */
export interface Cut {
  status: string;
  afterMs: number;
}

export const many = <T>(n: number, f: () => Promise<T>): Promise<T>[] => Array.from({ length: n }, f);

/**
 * An attacker neither answered nor closed by then counts as such (a SYN the kernel dropped from a
 * full accept backlog is retried by the client's kernel for minutes).
 */
const BOUND_MS = 30_000;

export interface Attacked<T> {
  /** What the legitimate client measured. */
  legit: T;
  /** MiB before, peak while the attackers ran, and a second after they ended. */
  rss: [number, number, number];
  /** "<n> × <status> after <p50> s (p50)", by status. */
  cut: string;
  seconds: number;
}

/** Runs the attackers `launch` starts against the service in process group `pgrp`, and the legitimate client beside them. */
export async function underAttack<T>(
  pgrp: number,
  launch: () => Promise<Cut>[],
  legitimate: (stop: () => boolean) => Promise<T>,
): Promise<Attacked<T>> {
  const before = groupRssMiB(pgrp);
  let peak = before;
  let done = false;
  const sampler = setInterval(() => {
    peak = Math.max(peak, groupRssMiB(pgrp));
  }, 200);
  const t0 = performance.now();
  const cuts = launch();
  const legit = legitimate(() => done);
  const bounded = cuts.map((c) =>
    Promise.race([c, sleep(BOUND_MS).then(() => ({ status: 'open at 30 s', afterMs: BOUND_MS }))]),
  );
  const results = await Promise.all(bounded);
  done = true;
  const measured = await legit;
  clearInterval(sampler);
  const seconds = (performance.now() - t0) / 1000;
  await sleep(1_000);
  return { legit: measured, rss: [before, peak, groupRssMiB(pgrp)], cut: cutSummary(results), seconds };
}

function cutSummary(results: Cut[]): string {
  const byStatus = new Map<string, number[]>();
  for (const c of results) byStatus.set(c.status, [...(byStatus.get(c.status) ?? []), c.afterMs]);
  return [...byStatus]
    .map(([status, after]) => `${after.length} × ${status} after ${fmt(quantile(after, 0.5) / 1000)} s (p50)`)
    .join(', ');
}

/** An attack: what it is called in the table, and what starts its attacking connections. */
export interface Attack {
  name: string;
  launch: () => Promise<Cut>[];
}

export interface Row {
  attack: string;
  /** Latencies the legitimate client measured: how many, their p50 and p99 (ms). */
  n: number;
  p50: number;
  p99: number;
  /** Legitimate requests retried during the attack (a closed keep-alive connection), when counted. */
  retried: number;
  rss: [number, number, number];
  cut: string;
}

/** Each attack in turn against the service in process group `pgrp`, the legitimate client beside it. */
export async function measureAttacks(
  service: string,
  pgrp: number,
  attacks: Attack[],
  legitimate: (stop: () => boolean) => Promise<number[]>,
  retries: () => number = () => 0,
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const { name, launch } of attacks) {
    const retriedBefore = retries();
    const r = await underAttack(pgrp, launch, legitimate);
    const [p50, p99] = [quantile(r.legit, 0.5), quantile(r.legit, 0.99)];
    rows.push({
      attack: name,
      n: r.legit.length,
      p50,
      p99,
      retried: retries() - retriedBefore,
      rss: r.rss,
      cut: r.cut,
    });
    console.log(
      `${service}, ${name}: ${r.legit.length} latencies p50 ${fmt(p50)} ms p99 ${fmt(p99)} ms; RSS ${r.rss.map((x) => fmt(x)).join(' / ')} MiB; ${r.cut}; ${fmt(r.seconds)} s`,
    );
  }
  return rows;
}

/** The table of a section: the first row is the baseline the others are divided by. */
export function attackTable(rows: Row[], countHeader: string, count: (r: Row) => string): string {
  const base = rows[0] as Row;
  return `| attack | ${countHeader} | p50 ms | p99 ms | p50 × baseline | RSS MiB before / peak / after | attackers cut off |
| ------ | ${'-'.repeat(countHeader.length)} | ------ | ------ | -------------- | ----------------------------- | ----------------- |
${rows.map((r) => `| ${r.attack} | ${count(r)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.p50 / base.p50, 2)} | ${r.rss.map((x) => fmt(x, 0)).join(' / ')} | ${r.cut} |`).join('\n')}
`;
}

/** Attackers that do nothing but wait `ms` (the baseline: the legitimate client alone). */
export const baseline = (ms: number): Attack => ({
  name: `none (baseline, ${ms / 1000} s)`,
  launch: () => [sleep(ms).then(() => ({ status: 'none', afterMs: 0 }))],
});
