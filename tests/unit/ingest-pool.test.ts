// Ingest's worker threads (services/ingest/pool/) with the real steps (extraction, language,
// quality, MinHash signatures for the dedup stage, Mistral token counting) and no broker: two
// threads produce the same records in the same order as the main thread alone, however the threads
// finish; a step the threads cannot run, or a thread that dies (out of memory), costs its document
// (dead-lettered `step_failed`), not the run; a step that throws on a thread is reported as it
// would be on the main thread.

import { afterAll, describe, expect, it } from 'vitest';
import { mistralTokenizer } from '../../core/mistral.ts';
import type { DeadLetter, RawDocument } from '../../core/types.ts';
import { createLogger } from '../../lib/log.ts';
import { plainDoc, type SourceEvent } from '../../services/ingest/events.ts';
import { createIngestMetrics } from '../../services/ingest/metrics.ts';
import { DEFAULT_NORMALIZE } from '../../services/ingest/normalize.ts';
import { type StepPool, startStepPool } from '../../services/ingest/pool/pool.ts';
import { copyable, runSegment } from '../../services/ingest/pool/segment.ts';
import { deadLetterWriter } from '../../services/ingest/steps/dead-letters.ts';
import { InOrder } from '../../services/ingest/steps/in-order.ts';
import { languageOptions } from '../../services/ingest/steps/language.ts';
import { ingestSteps, type PipelineOptions } from '../../services/ingest/steps/pipeline.ts';
import { qualityOptions } from '../../services/ingest/steps/quality.ts';
import { StepRunner } from '../../services/ingest/steps/runner.ts';
import type { Step } from '../../services/ingest/steps/step.ts';
import { emptyStats, Tally } from '../../services/ingest/steps/tally.ts';
import { chromePages } from '../helpers/chrome-pages.ts';
import { prose } from '../helpers/ingest-fixtures.ts';
import { FakeSink, keeping } from '../helpers/record-sink.ts';

const log = createLogger('ingest-pool-test', 'silent');
const pools: StepPool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

async function pipelineOptions(): Promise<PipelineOptions> {
  return {
    extract: 'readability',
    normalize: DEFAULT_NORMALIZE,
    language: await languageOptions({ languages: 'all' }),
    ...qualityOptions({}),
    stage: { nearDup: true },
    chunk: { maxTokens: 300, tokenizer: mistralTokenizer() },
  };
}

/** The real steps over an in-memory sink; `pool`: with worker threads. */
async function harness(pool?: StepPool, extra?: { after: string; step: Step }) {
  const sink = new FakeSink();
  const raw = keeping<RawDocument>();
  const dlq = keeping<DeadLetter>();
  const built = ingestSteps({ ...(await pipelineOptions()), produce: { sink, topic: 'raw', serde: raw } });
  const steps = [...built.steps];
  if (extra) steps.splice(steps.findIndex((s) => s.name === extra.after) + 1, 0, extra.step);
  const tally = new Tally(emptyStats(), createIngestMetrics());
  const runner = new StepRunner({
    decode: built.decode,
    steps,
    deadLetters: deadLetterWriter(sink, 'dlq', dlq, log),
    tally,
    log,
    ...(pool ? { pool } : {}),
  });
  return { runner, raw: raw.records, dlq: dlq.records, stats: tally.stats };
}

/**
 * HTML pages of very different sizes (one page's article repeated 1 to 40 times), plain texts,
 * too-short texts, repeats and records that are not documents, interleaved: a large page takes a thread long enough that the next
 * documents finish first.
 */
function inputs(n: number): SourceEvent[] {
  const pages = chromePages();
  return Array.from({ length: n }, (_, i) => {
    const where = { source: 'test:pool', origin: `record ${i}` };
    // Dropped before the threads (as a WARC request record is), so it finishes before earlier inputs.
    if (i % 11 === 2) return { kind: 'skip', why: 'warc_request', source: where.source };
    const page = pages[i % pages.length];
    if (i % 7 === 3) return plainDoc('too short', where);
    if (i % 5 === 1 || !page)
      return plainDoc(prose(i, 400 + (i % 9) * 700), where, { url: `https://t.example/${i}` });
    const repeat = 1 + ((i * 13) % 40);
    const html = page.html.replace(/<p>/, `<p>${`${page.article.split('\n')[0] ?? ''} `.repeat(repeat)}`);
    return plainDoc(html, where, { url: `${page.url}?${i}`, html: true });
  });
}

/** Runs the inputs as ingest's reader does: several in flight, bounded by the runner's parallelism. */
async function runAll(runner: StepRunner, events: SourceEvent[]): Promise<void> {
  const inFlight = new Set<Promise<unknown>>();
  for (const event of events) {
    const p: Promise<unknown> = runner.run(event).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= runner.parallelism) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

const withoutTime = (records: RawDocument[]) => records.map(({ ingested_at: _, ...r }) => JSON.stringify(r));

describe('ingest worker threads', () => {
  it('produce the same records in the same order as the main thread alone', async () => {
    const events = inputs(240);
    const alone = await harness();
    await runAll(alone.runner, events);
    const pool = await startStepPool(await pipelineOptions(), 2);
    pools.push(pool);
    const threaded = await harness(pool);
    expect(threaded.runner.parallelism).toBeGreaterThan(1);
    await runAll(threaded.runner, events);

    expect(alone.raw.length).toBeGreaterThan(150);
    // Chunked texts are there too (several records per document, in order).
    expect(alone.raw.some((r) => r.chunk_count > 1)).toBe(true);
    expect(withoutTime(threaded.raw)).toEqual(withoutTime(alone.raw));
    expect(threaded.dlq.map((d) => [d.context.reason, d.context.origin])).toEqual(
      alone.dlq.map((d) => [d.context.reason, d.context.origin]),
    );
    expect(threaded.stats.steps).toEqual(alone.stats.steps);
  }, 120_000);

  it('dead-letters a document whose step the threads cannot run, and goes on', async () => {
    const pool = await startStepPool(await pipelineOptions(), 2);
    pools.push(pool);
    // Pure, so the runner sends it to the threads; they were not built with it.
    const unknown: Step = { name: 'only_here', pure: true, process: (doc) => ({ kind: 'keep', doc }) };
    const h = await harness(pool, { after: 'length', step: unknown });
    const outcome = await h.runner.run(plainDoc(prose(1, 900), { source: 'test:pool', origin: 'record 0' }));
    expect(outcome).toMatchObject({ status: 'rejected', reason: 'step_failed' });
    expect(h.dlq).toHaveLength(1);
    expect(h.dlq[0]?.context).toMatchObject({ reason: 'step_failed', step: 'only_here' });
    expect(h.dlq[0]?.message).toContain('no step only_here on this worker thread');
    expect(h.stats.steps.only_here).toMatchObject({ in: 1, out: 0 });
    // The steps before it ran on the thread and were counted.
    expect(h.stats.steps.extract).toMatchObject({ in: 1, out: 1 });
  }, 60_000);
});

describe('a worker thread that dies', () => {
  it('costs its document a step_failed dead letter, is replaced, and the next document goes through', async () => {
    // A heap too small for this page: the thread is stopped mid-extraction, as an out-of-memory
    // thread would be.
    const pool = await startStepPool(await pipelineOptions(), 1, 96);
    pools.push(pool);
    const h = await harness(pool);
    const where = (origin: string) => ({ source: 'test:pool', origin });
    const huge = `<html><body>${'<div><p>word word word</p>'.repeat(400_000)}${'</div>'.repeat(400_000)}</body></html>`;
    const died = await h.runner.run(plainDoc(huge, where('record 0'), { html: true }));
    expect(died).toMatchObject({ status: 'rejected', reason: 'step_failed' });
    expect(h.dlq[0]?.context).toMatchObject({ reason: 'step_failed', step: 'extract' });
    expect(h.dlq[0]?.message).toMatch(/worker thread died \(running extract, .*chunk\): .*memory limit/);
    const next = await h.runner.run(plainDoc(prose(2, 900), where('record 1')));
    expect(next.status).toBe('accepted');
    expect(h.raw).toHaveLength(1);
  }, 120_000);
});

describe('a segment of steps (what a thread runs)', () => {
  const keepAll: Step = {
    name: 'first',
    pure: true,
    process: (doc) => ({ kind: 'keep', doc, how: 'as_is' }),
  };
  const throwing: Step = {
    name: 'second',
    pure: true,
    process() {
      throw new RangeError('cannot handle this');
    },
  };
  const doc = plainDoc('some text', { source: 'test', origin: 'line 1' });

  it('stops at a step that throws, naming it and the error', () => {
    const answer = runSegment(
      new Map([
        ['first', keepAll],
        ['second', throwing],
      ]),
      {
        steps: ['first', 'second'],
        doc: copyable(doc),
      },
    );
    expect(answer.verdicts).toEqual([{ kind: 'keep', how: 'as_is' }]);
    expect(answer.failed).toEqual({ step: 'second', name: 'RangeError', message: 'cannot handle this' });
  });

  it('never sends the original bytes to a thread', () => {
    expect('original' in copyable(doc)).toBe(false);
    expect(() => structuredClone(copyable(doc))).not.toThrow();
  });
});

describe('turns in order', () => {
  it('are ready in the order taken, also when a later turn is released before it was ready', async () => {
    const order = new InOrder();
    const [a, b, c] = [order.take(), order.take(), order.take()];
    let cReady = false;
    void c.ready().then(() => {
      cReady = true;
    });
    await a.ready();
    // b is released at once (an input dropped before the threads); c must still wait for a.
    b.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(cReady).toBe(false);
    a.release();
    await c.ready();
    expect(cReady).toBe(true);
  });
});
