// `ipt crawl follow <dir>`: publishes each file a crawler finishes in a directory, once.
//
// When a file is finished: its name is not hidden (.x) and has no in-progress suffix (.open, as
// Heritrix writes WARCs, .tmp, .part, .partial), and its size and modification time have not changed
// over `stableChecks` further scans `intervalMs` apart. A crawler that writes under a temporary name
// and renames the file into place is seen complete at once; give it --stable-checks 0.
//
// Once: a file's input id is its absolute path; ids already on the inputs topic (read at start,
// read_committed) or published by this run are never published again. One follower per directory.

import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CrawlInput } from '../../core/types.ts';
import type { Logger } from '../../lib/log.ts';
import type { Format } from '../ingest/sniff.ts';
import { describeInput } from './descriptor.ts';
import type { InputPublisher } from './publish.ts';

export const DEFAULT_STABLE_CHECKS = 2;
export const DEFAULT_FOLLOW_INTERVAL_MS = 1_000;
const IN_PROGRESS = /\.(open|tmp|part|partial)$/i;

export interface FollowOptions {
  dir: string;
  stableChecks: number;
  intervalMs: number;
  format?: Format;
  publisher: InputPublisher;
  /** Input ids already published (from the inputs topic). Grows as this run publishes. */
  published: Set<string>;
  signal: AbortSignal;
  log: Logger;
  onPublished?(input: CrawlInput): void;
  /** After each scan (tests wait on scans instead of time). */
  onScan?(): void;
}

interface Seen {
  size: number;
  mtimeMs: number;
  unchanged: number;
}

/** Scans until `signal` aborts. */
export async function followDirectory(options: FollowOptions): Promise<void> {
  const seen = new Map<string, Seen>();
  while (!options.signal.aborted) {
    const ready = await finishedFiles(options, seen);
    if (ready.length > 0) {
      await options.publisher.publish(ready);
      for (const input of ready) {
        options.published.add(input.input_id);
        seen.delete(input.location);
        options.log.info({ input: input.location, size: input.size }, 'published');
        options.onPublished?.(input);
      }
    }
    options.onScan?.();
    await sleep(options.intervalMs, undefined, { signal: options.signal }).catch(() => {});
  }
}

/** One scan: the unpublished files found finished, as descriptors; `seen` keeps what earlier scans saw. */
async function finishedFiles(options: FollowOptions, seen: Map<string, Seen>): Promise<CrawlInput[]> {
  const ready: CrawlInput[] = [];
  for (const path of await candidateFiles(options.dir)) {
    const input = describeInput(path, { format: options.format ?? null });
    if (options.published.has(input.input_id)) continue;
    const info = await stat(path).catch(() => null);
    if (!info) continue;
    const before = seen.get(path);
    const same = before && before.size === info.size && before.mtimeMs === info.mtimeMs;
    const now: Seen = { size: info.size, mtimeMs: info.mtimeMs, unchanged: same ? before.unchanged + 1 : 0 };
    seen.set(path, now);
    if (now.unchanged >= options.stableChecks) ready.push({ ...input, size: info.size });
  }
  return ready;
}

/** Absolute paths of the files under `dir` that may be finished (no hidden or in-progress names). */
async function candidateFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !IN_PROGRESS.test(e.name))
    .map((e) => resolve(join(e.parentPath ?? e.path, e.name)))
    .filter(
      (path) =>
        !path
          .slice(resolve(dir).length)
          .split('/')
          .some((part) => part.startsWith('.')),
    )
    .sort();
}
