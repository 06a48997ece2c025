// The per-input loop without Kafka: which records a resumed input hands to the steps, where its
// transactions fall, and how an input that breaks off ends. The steps and the commit are stand-ins
// that record what they are given; the input is a real file.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import type { CrawlProgress } from '../../core/types.ts';
import { describeInput } from '../../services/crawl/descriptor.ts';
import { type InputRunDeps, runInput } from '../../services/crawl/input-run.ts';
import { createCrawlWorkerMetrics } from '../../services/crawl/metrics.ts';
import type { SourceEvent } from '../../services/ingest/events.ts';
import { DEFAULT_JSON_FIELDS } from '../../services/ingest/json-doc.ts';

const dir = mkdtempSync(join(tmpdir(), 'ipt-crawl-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = (n: number) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ id: `d${i}`, text: `text ${i}` })).join('\n');

function harness(commitRecords: number) {
  const handled: SourceEvent[] = [];
  const commits: { progress: CrawlProgress; final: boolean; handledSoFar: number }[] = [];
  const deps: InputRunDeps = {
    ingestor: {
      handle: async (event) => {
        handled.push(event);
        return event.kind === 'doc'
          ? { status: 'accepted', docId: 'x', chunks: 1, tokens: 1, delivered: Promise.resolve() }
          : { status: 'skipped', why: 'test' };
      },
    },
    fields: DEFAULT_JSON_FIELDS,
    maxRecordBytes: 1 << 20,
    workerId: 'w-test',
    commitRecords,
    commitIntervalMs: 60_000,
    metrics: createCrawlWorkerMetrics(new Registry()),
    commit: async (progress, final) => {
      commits.push({ progress, final, handledSoFar: handled.length });
    },
    heartbeat: async () => {},
    stopping: () => false,
  };
  return { deps, handled, commits };
}

describe('reading one crawl input', () => {
  it('resumes at the record after the committed position and commits every commitRecords', async () => {
    const path = join(dir, 'ten.jsonl');
    writeFileSync(path, lines(10));
    const { deps, handled, commits } = harness(3);
    const prior = { records_read: 4, documents: 4, state: 'RUNNING' } as CrawlProgress;
    expect(await runInput(deps, describeInput(path), prior)).toBe('DONE');
    expect(handled.map((e) => (e.kind === 'doc' ? e.id : e.kind))).toEqual([
      'd4',
      'd5',
      'd6',
      'd7',
      'd8',
      'd9',
    ]);
    expect(commits.map((c) => [c.progress.records_read, c.progress.state, c.final])).toEqual([
      [7, 'RUNNING', false],
      [10, 'RUNNING', false],
      [10, 'DONE', true],
    ]);
    // A transaction covers exactly the records before its position: all were handled when it went out.
    for (const c of commits) expect(c.handledSoFar).toBe(c.progress.records_read - 4);
    expect(commits.at(-1)?.progress.documents).toBe(10);
  });

  it('fails a truncated gzip input after committing what it read, with the reason dead-lettered', async () => {
    const path = join(dir, 'cut.jsonl.gz');
    const whole = gzipSync(Buffer.from(lines(2000)));
    writeFileSync(path, whole.subarray(0, Math.floor(whole.length / 2)));
    const { deps, handled, commits } = harness(100_000);
    expect(await runInput(deps, describeInput(path), undefined)).toBe('FAILED');
    const last = handled.at(-1);
    expect(last).toMatchObject({ kind: 'reject', reason: 'read_error' });
    expect(commits).toHaveLength(1);
    expect(commits[0]?.progress).toMatchObject({
      state: 'FAILED',
      reason: expect.stringMatching(/end of file/),
    });
    expect(commits[0]?.progress.records_read).toBe(handled.length - 1);
  });
});
