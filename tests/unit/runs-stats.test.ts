// ipt runs: per-run summaries and the per-document diff, from hand-made records with known answers.

import { describe, expect, it } from 'vitest';
import { chainPlace } from '../../core/chain-id.ts';
import type { AugmentedRecord, QAPair, Run, SynthRound } from '../../core/types.ts';
import { type DocFacts, diffFacts, lengthStats, RunsIndex } from '../../services/run-stats/stats.ts';
import { sampleAugmentedRecord, sampleDeadLetter, sampleRun, sampleSynthRound } from '../fixtures/records.ts';

const run = (run_id: string, over: Partial<Run> = {}): Run => ({ ...sampleRun, run_id, ...over });
const pair = (q: string, a: string): QAPair => ({ question: q, answer: a });

/** Round r of chain j (block 0, partition 0) of a run, for document `doc`. */
function round(
  r: Run,
  j: number,
  index: number,
  doc: string,
  pairs: QAPair[],
  output = `out ${doc}`,
): SynthRound {
  return {
    ...sampleSynthRound,
    run: r,
    chain_id: `${r.run_id}/ipt.docs.raw/0/0/${j}`,
    round_index: index,
    doc_id: doc,
    source_offset: 2 * j + index,
    prompt: `prompt of ${doc}`,
    raw_output: output,
    pairs,
    history_rounds_used: index,
  };
}

function record(r: Run, rounds: SynthRound[], chainRun = r.run_id): AugmentedRecord {
  const chainId = (rounds[0] as SynthRound).chain_id.replace(/^[^/]+/, chainRun);
  return {
    ...sampleAugmentedRecord,
    id: chainRun === r.run_id ? chainId : `${r.run_id}/${chainId}`,
    run: r,
    chain_id: chainId,
    doc_ids: rounds.map((x) => x.doc_id),
    rounds: rounds.map((x) => ({
      round_index: x.round_index,
      doc_id: x.doc_id,
      text: x.text,
      pairs: x.pairs,
      history_rounds_used: x.history_rounds_used,
      inherit_from_prev: false,
      followed_by_next: false,
      text_tokens: 1,
    })),
    texts: [{ text: 't', round_indexes: [0], framing: 'classic', token_count: 1 }],
    close: null,
  };
}

describe('lengthStats', () => {
  it('gives count, mean, median, nearest-rank p90 and max', () => {
    expect(lengthStats([])).toEqual({ count: 0, mean: 0, median: 0, p90: 0, max: 0 });
    expect(lengthStats([5])).toEqual({ count: 1, mean: 5, median: 5, p90: 5, max: 5 });
    expect(lengthStats([4, 1, 3, 2])).toEqual({ count: 4, mean: 2.5, median: 2.5, p90: 4, max: 4 });
    const tens = Array.from({ length: 10 }, (_, i) => (i + 1) * 10);
    expect(lengthStats(tens)).toMatchObject({ median: 55, p90: 90, max: 100 });
  });

  it('chainPlace drops the run from a chain id', () => {
    expect(chainPlace('r1/ipt.docs.raw/3/7/2')).toBe('ipt.docs.raw/3/7/2');
  });
});

describe('RunsIndex', () => {
  const a = run('a', { started_at: 1 });
  const b = run('b', { started_at: 2, model_version: '2' });
  const re = run('re', { started_at: 3 });
  // Run a: chain 0 = d1 (2 pairs), d2 (1 pair); chain 1 = d3 (0 pairs).
  const a0 = [
    round(a, 0, 0, 'd1', [pair('q1', 'abcd'), pair('q2', 'ab')]),
    round(a, 0, 1, 'd2', [pair('q3', 'abcdef')]),
  ];
  const a1 = [round(a, 1, 0, 'd3', [])];
  // Run b: the same documents; d1 the same, d2 a different output and answer, d3 elsewhere.
  const b0 = [
    round(b, 0, 0, 'd1', [pair('q1', 'abcd'), pair('q2', 'ab')]),
    round(b, 0, 1, 'd2', [pair('q3', 'xyz')], 'other output'),
  ];
  const b2 = [round(b, 2, 0, 'd3', [pair('q4', 'a')])];

  function load(detail: string[]) {
    const index = new RunsIndex(new Set(detail));
    // Records and dead letters first, then rounds — the order runs.ts reads the topics in.
    index.addRecord(record(a, a0));
    index.addRecord(record(a, a0)); // a duplicate counts once
    index.addRecord(record(a, a1));
    index.addRecord(record(b, b0));
    index.addRecord(record(b, b2));
    index.addRecord(record(re, a0, 'a'));
    index.addRecord(record(re, a1, 'a'));
    index.addDeadLetter({ ...sampleDeadLetter, run_id: 'b', error_class: 'INFERENCE_TIMEOUT' });
    index.addDeadLetter({ ...sampleDeadLetter, run_id: 'ghost' });
    for (const r of [...a0, ...a1, ...b0, ...b2]) index.addRound(r);
    index.addRound({ ...sampleSynthRound, run: a, kind: 'CLOSE', chain_id: 'a/ipt.docs.raw/0/0/1' });
    return index;
  }

  it('lists every run with its counts, pairs per document and answer lengths', () => {
    const list = load([]).list();
    expect(list.map((s) => s.run_id)).toEqual(['a', 'b', 're']);
    expect(list[0]).toMatchObject({
      rounds: 3,
      closes: 1,
      chains: 2,
      full_chains: 1,
      documents: 3,
      pairs: 3,
      pairs_per_document: 1,
      answer_chars: { count: 3, mean: 4, median: 4, p90: 6, max: 6 },
      dead_letters: 0,
      derived_from: null,
    });
    expect(list[1]).toMatchObject({ model_version: '2', documents: 3, pairs: 4, dead_letters: 1 });
    expect(list[2]).toMatchObject({ rounds: 0, chains: 2, documents: 3, pairs: 3, derived_from: 'a' });
  });

  it('shows a run in detail', () => {
    const d = load([]).show('a');
    expect(d.pairs_per_document_histogram).toEqual({ 0: 1, 1: 1, 2: 1 });
    expect(d.history_rounds_used).toEqual({ 0: 2, 1: 1 });
    expect(d.framings).toEqual({ classic: 2 });
    expect(d.source_offsets).toEqual({ 0: { first: 0, last: 2 } });
    expect(() => load([]).show('nope')).toThrow('no run "nope" on the topics');
  });

  it('diffs two synthesized runs document by document', () => {
    const d = load(['a', 'b']).diff('a', 'b');
    expect(d.documents).toEqual({ a: 3, b: 3, both: 3, only_a: 0, only_b: 0 });
    expect(d.pairs_per_document).toEqual({ a: 1, b: 4 / 3 });
    // Prompts are the same text in both (they name only the document); outputs differ for d2.
    expect(d.identical_prompts).toEqual({ compared: 3, identical: 3, share: 1 });
    expect(d.identical_outputs).toEqual({ compared: 3, identical: 2, share: 2 / 3 });
    expect(d.identical_pairs).toEqual({ compared: 3, identical: 1, share: 1 / 3 });
    expect(d.same_place).toEqual({ compared: 3, identical: 2, share: 2 / 3 });
    expect(d.answer_chars.a).toMatchObject({ count: 3, mean: 4 });
    expect(d.answer_chars.b).toMatchObject({ count: 4, mean: 2.5 });
  });

  it('diffs a re-assembled run through its source run’s rounds', () => {
    const d = load(['a', 're']).diff('a', 're');
    for (const share of [d.same_place, d.identical_prompts, d.identical_outputs, d.identical_pairs]) {
      expect(share).toEqual({ compared: 3, identical: 3, share: 1 });
    }
    expect(() => load(['a']).diff('a', 'b')).toThrow('run "b" was read without per-document detail');
  });
});

describe('diffFacts', () => {
  const facts = (over: Partial<DocFacts> = {}): DocFacts => ({
    place: 'p#0',
    pairs: 1,
    answerLengths: [3],
    pairsDigest: 'x',
    promptDigest: 'p',
    outputDigest: 'o',
    ...over,
  });
  it('compares only documents both runs have, and prompts only where both recorded them', () => {
    const d = diffFacts(
      'a',
      'b',
      new Map([
        ['d1', facts()],
        ['d2', facts({ promptDigest: null })],
        ['only-a', facts()],
      ]),
      new Map([
        ['d1', facts({ outputDigest: 'changed' })],
        ['d2', facts()],
      ]),
    );
    expect(d.documents).toEqual({ a: 3, b: 2, both: 2, only_a: 1, only_b: 0 });
    expect(d.identical_prompts).toEqual({ compared: 1, identical: 1, share: 1 });
    expect(d.identical_outputs).toEqual({ compared: 2, identical: 1, share: 0.5 });
    expect(diffFacts('a', 'b', new Map(), new Map()).identical_prompts).toEqual({
      compared: 0,
      identical: 0,
      share: null,
    });
  });
});
