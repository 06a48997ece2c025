// How a benchmark writes its part of bench/RESULTS.md: a block between two markers of its own,
// made of a head and `### ` sections. A run replaces only the sections it measured, so one
// disturbed by other jobs can be re-run alone (--sections) without discarding the rest.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machine } from './proc.ts';

export const RESULTS_PATH = join(import.meta.dirname, 'RESULTS.md');

/** "Ran <when>, load average <…> as the section started; `<command>`." — put under each ### title. */
export function ranLine(script: string): string {
  const args = process.argv.slice(2).join(' ');
  return (
    `Ran ${new Date().toISOString()}, load average ${machine().load} as the section started; ` +
    `\`node bin/run-ts.js ${script}${args ? ` ${args}` : ''}\`.`
  );
}

/** Formats a figure, `n/a` when it could not be measured. */
export const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

/** The q-quantile (nearest rank below) of `xs`; NaN when empty. */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor(q * s.length))] as number) : Number.NaN;
}

/**
 * Replaces the block between `<!-- <marker>:start -->` and `<!-- <marker>:end -->` (appended
 * when absent). `text` is the run's head followed by its `### ` sections; sections this run did
 * not measure keep their earlier text (and their own "Ran …" line), and the earlier head is kept
 * unless `newHead` (the run measured every section) or there was none.
 */
export function writeResultsBlock(marker: string, text: string, newHead: boolean, path = RESULTS_PATH): void {
  const START = `<!-- ${marker}:start -->`;
  const END = `<!-- ${marker}:end -->`;
  const old = readFileSync(path, 'utf8');
  const i = old.indexOf(START);
  const j = old.indexOf(END);
  const split = (t: string) => {
    const [first, ...rest] = t.trim().split(/\n(?=### )/);
    return { head: first ?? '', subs: new Map(rest.map((p) => [p.slice(0, p.indexOf('\n')), p.trim()])) };
  };
  const fresh = split(text);
  const kept = i >= 0 && j > i ? split(old.slice(i + START.length, j)) : { head: '', subs: new Map() };
  const subs = new Map(kept.subs);
  for (const [title, body] of fresh.subs) subs.set(title, body);
  const inner = [newHead || !kept.head ? fresh.head : kept.head, ...subs.values()].join('\n\n');
  const block = `${START}\n${inner}\n${END}`;
  writeFileSync(
    path,
    i >= 0 && j > i ? old.slice(0, i) + block + old.slice(j + END.length) : `${old.trimEnd()}\n\n${block}\n`,
  );
  console.log(`wrote ${path}`);
}
