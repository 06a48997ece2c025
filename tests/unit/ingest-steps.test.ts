// Ingest's step runner without a broker: the real steps (decode … produce) over a fake sink that
// records what would have gone to Kafka. Counting per step and per input, routing of rejections to
// the DLQ with the same reasons and fields as before, a throwing step costing its document only,
// a remembering step's entry undone for a document that never reaches Kafka, and the dedup step
// handing the stage one candidate per document.

import { describe, expect, it } from 'vitest';
import type { TokenCounter } from '../../core/tokens.ts';
import type { DeadLetter, DedupMessage, RawDocument } from '../../core/types.ts';
import { createLogger } from '../../lib/log.ts';
import type { SourceEvent } from '../../services/ingest/events.ts';
import { plainDoc } from '../../services/ingest/events.ts';
import { contentHash, docIdFor } from '../../services/ingest/ids.ts';
import { createIngestMetrics } from '../../services/ingest/metrics.ts';
import { DEFAULT_NORMALIZE, type NormalizeOptions } from '../../services/ingest/normalize.ts';
import { deadLetterWriter } from '../../services/ingest/steps/dead-letters.ts';
import { ingestSteps } from '../../services/ingest/steps/pipeline.ts';
import { StepRunner } from '../../services/ingest/steps/runner.ts';
import { docIdOf, keep, type Step } from '../../services/ingest/steps/step.ts';
import { emptyStats, Tally } from '../../services/ingest/steps/tally.ts';
import { FakeSink, keeping } from '../helpers/record-sink.ts';

const words: TokenCounter = { count: (t) => t.split(/\s+/).filter(Boolean).length };
const log = createLogger('ingest-steps-test', 'silent');

interface HarnessOptions {
  normalize?: Partial<NormalizeOptions>;
  maxTokens?: number;
  /** The dedup step and candidates for the stage instead of raw records. */
  stage?: boolean;
  /** Extra steps, put in after the step named `after`. */
  insert?: { after: string; steps: Step[] };
}

function harness(options: HarnessOptions = {}) {
  const sink = new FakeSink();
  const raw = keeping<RawDocument>();
  const dlq = keeping<DeadLetter>();
  const metrics = createIngestMetrics();
  const tally = new Tally(emptyStats(), metrics);
  const candidates = keeping<DedupMessage>();
  const built = ingestSteps({
    normalize: { ...DEFAULT_NORMALIZE, ...options.normalize },
    ...(options.stage ? { stage: { nearDup: true } } : {}),
    chunk: { maxTokens: options.maxTokens ?? 1000, tokenizer: words },
    produce: {
      sink,
      topic: 'raw',
      serde: raw,
      ...(options.stage ? { candidates: { topic: 'candidates', serde: candidates } } : {}),
    },
  });
  const repeats = remembering();
  const steps = [...built.steps];
  steps.splice(steps.findIndex((s) => s.name === 'length') + 1, 0, repeats);
  if (options.insert) {
    const at = steps.findIndex((s) => s.name === options.insert?.after) + 1;
    steps.splice(at, 0, ...options.insert.steps);
  }
  const runner = new StepRunner({
    decode: built.decode,
    steps,
    deadLetters: deadLetterWriter(sink, 'dlq', dlq, log),
    tally,
    log,
  });
  const metric = async (name: string, labels: Record<string, string>) => {
    const values = (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
    const match = values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
    return match?.value ?? 0;
  };
  return {
    runner,
    sink,
    raw: raw.records,
    candidates: candidates.records,
    dlq: dlq.records,
    stats: tally.stats,
    seen: repeats.seen,
    metric,
  };
}

/**
 * A step that drops a repeat of a text it let through and forgets the text on undo: the runner's
 * contract with a step that remembers what it kept (counting duplicates, undoing on failure).
 */
function remembering(): Step & { seen: Set<string> } {
  const seen = new Set<string>();
  return {
    name: 'repeats',
    seen,
    process(d) {
      if (seen.has(d.text)) return { kind: 'duplicate', docId: docIdOf(d) };
      seen.add(d.text);
      return keep(d, () => seen.delete(d.text));
    },
  };
}

const doc = (text: string, n: number): SourceEvent =>
  plainDoc(
    text,
    { source: 'jsonl:test', origin: `line ${n}` },
    { url: `http://example.com/${n}`, original: () => Buffer.from(JSON.stringify({ text })) },
  );

const readerReject: SourceEvent = {
  kind: 'reject',
  reason: 'malformed_json',
  message: 'line 9: Unexpected end of JSON input',
  source: 'jsonl:test',
  origin: 'line 9',
  original: Buffer.from('{"text": "unterminated'),
};

const throwing = (name: string, when: string): Step => ({
  name,
  process(d) {
    if (d.text.includes(when)) throw new TypeError(`cannot handle ${when}`);
    return { kind: 'keep', doc: d };
  },
});

describe('the step runner counts', () => {
  it("each step's documents in, out and dropped by reason, and each input's outcome", async () => {
    const h = harness();
    await h.runner.run(doc('a good text', 1));
    await h.runner.run(doc('a good text', 2)); // same text, another url: a repeat
    await h.runner.run(doc(' \n\t ', 3));
    await h.runner.run(doc('ab\u0000cd', 4));
    await h.runner.run(readerReject);
    await h.runner.run({ kind: 'skip', why: 'warc_request', source: 'warc:test' });

    expect(Object.keys(h.stats.steps)).toEqual([
      'decode',
      'extract',
      'validity',
      'length',
      'repeats',
      'chunk',
      'produce',
    ]);
    expect(h.stats.steps).toEqual({
      decode: { in: 6, out: 4, dropped: { malformed_json: 1, warc_request: 1 } },
      extract: { in: 4, out: 4, dropped: {} },
      validity: { in: 4, out: 3, dropped: { binary: 1 } },
      length: { in: 3, out: 2, dropped: { empty_text: 1 } },
      repeats: { in: 2, out: 1, dropped: { duplicate: 1 } },
      chunk: { in: 1, out: 1, dropped: {} },
      produce: { in: 1, out: 1, dropped: {} },
    });
    expect(h.stats).toMatchObject({
      inputs: 6,
      accepted: 1,
      produced: 1,
      duplicates: 1,
      rejected: 3,
      rejectedByReason: { malformed_json: 1, binary: 1, empty_text: 1 },
      skipped: 1,
    });
    expect(await h.metric('ipt_ingest_step_in_total', { step: 'validity' })).toBe(4);
    expect(await h.metric('ipt_ingest_step_out_total', { step: 'repeats' })).toBe(1);
    expect(await h.metric('ipt_ingest_step_dropped_total', { step: 'repeats', reason: 'duplicate' })).toBe(1);
    expect(await h.metric('ipt_ingest_step_dropped_total', { step: 'length', reason: 'empty_text' })).toBe(1);
    expect(await h.metric('ipt_ingest_inputs_total', { outcome: 'rejected' })).toBe(3);
    expect(await h.metric('ipt_ingest_rejected_total', { reason: 'binary' })).toBe(1);
    expect(await h.metric('ipt_ingest_skipped_total', { why: 'warc_request' })).toBe(1);
    expect(await h.metric('ipt_ingest_raw_documents_total', {})).toBe(1);
  });

  it('leaves out switched-off steps: normalize only when asked, dedup only with the stage', () => {
    const names = (o: HarnessOptions) => Object.keys(harness(o).stats.steps);
    expect(names({ normalize: { steps: ['trim'] } })).toEqual([
      'decode',
      'extract',
      'validity',
      'normalize',
      'length',
      'repeats',
      'chunk',
      'produce',
    ]);
    expect(names({ stage: true })).toEqual([
      'decode',
      'extract',
      'validity',
      'length',
      'repeats',
      'dedup',
      'chunk',
      'produce',
    ]);
  });
});

describe('the step runner routes', () => {
  it('rejections to the DLQ with the reason, where the input was and its original bytes', async () => {
    const h = harness({ normalize: { maxChars: 10 } });
    const outcomes = [await h.runner.run(doc('much longer than ten', 1)), await h.runner.run(readerReject)];
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(h.dlq).toHaveLength(2);
    expect(h.sink.on('dlq').map((m) => m.key)).toEqual(['jsonl:test@line 1', 'jsonl:test@line 9']);
    const [tooLong, malformed] = h.dlq;
    expect(tooLong).toMatchObject({
      stage: 'INGEST',
      error_class: 'REJECTED_TEXT',
      error_name: 'IngestRejection',
      message: 'line 1: text has 20 code points (limit 10)',
      source_topic: 'jsonl:test',
      context: {
        reason: 'too_long',
        source: 'jsonl:test',
        origin: 'line 1',
        limit: '10',
        length: '20',
        step: 'length',
      },
    });
    expect(tooLong?.value?.toString()).toBe('{"text":"much longer than ten"}');
    expect(malformed).toMatchObject({
      error_class: 'DESERIALIZATION',
      message: 'line 9: Unexpected end of JSON input',
      context: { reason: 'malformed_json', origin: 'line 9', step: 'decode' },
    });
    expect(malformed?.value?.toString()).toBe('{"text": "unterminated');
  });

  it('a kept document to the raw topic, whole or as chunk i of n keyed by its parent', async () => {
    const h = harness({ maxTokens: 4 });
    const text = 'one two three four five six seven eight nine';
    const outcome = await h.runner.run(doc(text, 1));
    const parent = docIdFor(null, 'http://example.com/1', text);
    expect(outcome).toMatchObject({ status: 'accepted', docId: parent, tokens: 9 });
    const n = h.raw.length;
    expect(n).toBeGreaterThan(1);
    expect(outcome.status === 'accepted' && outcome.chunks).toBe(n);
    h.raw.forEach((r, i) => {
      expect(r).toMatchObject({
        doc_id: `${parent}#${i}`,
        chunk_index: i,
        chunk_count: n,
        parent_doc_id: parent,
      });
      expect(r.token_count).toBeLessThanOrEqual(4);
      expect(r.metadata.parent_content_hash).toBe(contentHash(text));
    });
    for (const m of h.sink.on('raw')) expect(m.key).toBe(parent);
    expect(h.stats).toMatchObject({ accepted: 1, produced: n, chunked: 1 });
  });

  it('names the opted-in normalization steps that changed a text', async () => {
    const h = harness({ normalize: { steps: ['trim', 'nfc'] } });
    await h.runner.run(doc('  padded text  ', 1));
    await h.runner.run(doc('as given', 2));
    expect(h.raw.map((r) => [r.text, r.metadata.normalized])).toEqual([
      ['padded text', 'trim'],
      ['as given', undefined],
    ]);
  });
});

describe('with the dedup stage', () => {
  it('sends one candidate per document, keyed by its content hash, with its records and signature', async () => {
    const h = harness({ stage: true, maxTokens: 4 });
    const text = 'one two three four five six seven eight nine';
    const outcome = await h.runner.run(doc(text, 1));
    expect(outcome).toMatchObject({ status: 'accepted' });
    expect(h.sink.on('raw')).toEqual([]);
    expect(h.sink.on('candidates').map((m) => m.key)).toEqual([contentHash(text)]);
    const [candidate] = h.candidates;
    expect(candidate).toMatchObject({
      kind: 'CANDIDATE',
      hash: contentHash(text),
      doc_id: docIdFor(null, 'http://example.com/1', text),
    });
    expect(candidate?.records.length).toBe(h.raw.length);
    expect(h.raw.length).toBeGreaterThan(1);
    expect(candidate?.signature?.length).toBe(4 * 14 * 8);
    expect(h.stats.steps.dedup).toEqual({ in: 1, out: 1, dropped: {} });
  });
});

describe('a failing step', () => {
  it('costs its document a step_failed dead letter, not the run', async () => {
    const h = harness({ insert: { after: 'repeats', steps: [throwing('fragile', 'boom')] } });
    const failed = await h.runner.run(doc('a boom text', 1));
    const next = await h.runner.run(doc('a quiet text', 2));
    expect(failed).toMatchObject({ status: 'rejected', reason: 'step_failed' });
    expect(next).toMatchObject({ status: 'accepted' });
    expect(h.dlq).toHaveLength(1);
    expect(h.dlq[0]).toMatchObject({
      stage: 'INGEST',
      error_class: 'INTERNAL',
      message: 'fragile step failed: cannot handle boom',
      context: { reason: 'step_failed', step: 'fragile', error: 'TypeError', origin: 'line 1' },
    });
    expect(h.dlq[0]?.value?.toString()).toBe('{"text":"a boom text"}');
    expect(h.stats.steps.fragile).toEqual({ in: 2, out: 1, dropped: { step_failed: 1 } });
    expect(h.stats.rejectedByReason).toEqual({ step_failed: 1 });
  });

  it("undoes a remembering step's entry, so the same text later is not a duplicate", async () => {
    const h = harness({ insert: { after: 'repeats', steps: [throwing('fragile', 'boom')] } });
    await h.runner.run(doc('a boom text', 1));
    expect(h.seen.size).toBe(0);
  });

  it('a rejection by a later step also undoes the entry', async () => {
    const picky: Step = { name: 'picky', process: () => ({ kind: 'skip', why: 'not_wanted' }) };
    const h = harness({ insert: { after: 'repeats', steps: [picky] } });
    expect(await h.runner.run(doc('a text', 1))).toEqual({ status: 'skipped', why: 'not_wanted' });
    expect(await h.runner.run(doc('a text', 2))).toEqual({ status: 'skipped', why: 'not_wanted' });
    expect(h.stats.duplicates).toBe(0);
  });

  it('an unacknowledged document is forgotten by a remembering step, so a retry goes through', async () => {
    const h = harness();
    h.sink.failDeliveries = new Error('broker gone');
    const first = await h.runner.run(doc('a text', 1));
    expect(first.status).toBe('accepted');
    await expect(first.status === 'accepted' ? first.delivered : null).rejects.toThrow('broker gone');
    h.sink.failDeliveries = null;
    expect(await h.runner.run(doc('a text', 1))).toMatchObject({ status: 'accepted' });
  });

  it('a sink that failed for good fails the run (its dead letter cannot be written either)', async () => {
    const h = harness();
    h.sink.failPushes = new Error('producer failed');
    await expect(h.runner.run(doc('a text', 1))).rejects.toThrow('producer failed');
  });

  it('closing closes every step, even after one fails to', async () => {
    const closed: string[] = [];
    const closing = (name: string, fail: boolean): Step => ({
      name,
      process: (d) => ({ kind: 'keep', doc: d }),
      close: async () => {
        closed.push(name);
        if (fail) throw new Error(`${name} would not close`);
      },
    });
    const h = harness({ insert: { after: 'decode', steps: [closing('a', true), closing('b', false)] } });
    await expect(h.runner.close()).rejects.toThrow('a would not close');
    expect(closed).toEqual(['a', 'b']);
  });
});

describe('parallelism', () => {
  it('an input passes the steps before a Kafka send before run() first yields, so they see inputs in read order', async () => {
    const h = harness();
    const first = h.runner.run(doc('same text', 1));
    expect(h.seen.has('same text')).toBe(true);
    const second = h.runner.run(doc('same text', 2));
    expect((await first).status).toBe('accepted');
    expect((await second).status).toBe('duplicate');
  });

  it('is one without worker threads', () => {
    expect(harness().runner.parallelism).toBe(1);
  });
});
