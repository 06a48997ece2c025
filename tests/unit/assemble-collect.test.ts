import { describe, expect, it } from 'vitest';
import type { AssembleState, SynthRound } from '../../core/types.ts';
import { applyRecord, ChainCollector, isReady, type Outcome } from '../../services/assemble/collect.ts';
import { chainRounds, closeOf, testRun } from '../fixtures/synth-rounds.ts';

const run = testRun('unit-run', 3);
/** The three rounds of chain `index` (M = 3). */
const chain = (index: number) => chainRounds({ run, index }) as [SynthRound, SynthRound, SynthRound];
const T = 1_000;

/** Feeds records through applyRecord the way the task does: keep pending state, stop at the first other outcome. */
function feed(records: Parameters<typeof applyRecord>[1][]): { outcomes: Outcome[]; state?: AssembleState } {
  let state: AssembleState | undefined;
  const outcomes: Outcome[] = [];
  for (const [i, record] of records.entries()) {
    const outcome = applyRecord(state, record, T + i);
    outcomes.push(outcome);
    if (outcome.kind === 'pending' || outcome.kind === 'ready') state = outcome.state;
  }
  return { outcomes, ...(state ? { state } : {}) };
}

describe('applyRecord', () => {
  it('waits for M rounds, then is ready with the rounds in index order', () => {
    const [r0, r1, r2] = chain(0);
    const { outcomes, state } = feed([r0, r2, r1]);
    expect(outcomes.map((o) => o.kind)).toEqual(['pending', 'pending', 'ready']);
    expect(state?.rounds.map((r) => r.round_index)).toEqual([0, 1, 2]);
    expect(state?.first_seen_at).toBe(T);
    expect(state?.updated_at).toBe(T + 2);
    expect(state?.rounds[1]).toMatchObject({
      doc_id: r1?.doc_id,
      text: r1?.text,
      pairs: r1?.pairs,
      history_rounds_used: r1?.history_rounds_used,
      prev_followed_by_next: r1?.prev_followed_by_next,
      inherit_from_prev: r1?.inherit_from_prev,
      text_tokens: r1?.text_tokens,
    });
  });

  it('keeps the first copy of a repeated round and reports the repeat as a duplicate', () => {
    const [r0, r1] = chain(1);
    const changed = { ...r0, text: 'a different text' };
    const { outcomes, state } = feed([r0, changed, r1, r1]);
    expect(outcomes.map((o) => o.kind)).toEqual(['pending', 'duplicate', 'pending', 'duplicate']);
    expect(state?.rounds.map((r) => r.text)).toEqual([r0?.text, r1?.text]);
    expect(isReady(state as AssembleState)).toBe(false);
  });

  it('a CLOSE makes the chain ready once the rounds it names are all there', () => {
    const [r0, r1] = chain(2);
    const close = closeOf(run, 2, 2);
    // CLOSE after its rounds: ready at once.
    expect(feed([r0, r1, close]).outcomes.map((o) => o.kind)).toEqual(['pending', 'pending', 'ready']);
    // A CLOSE that overtook a round (not expected from synth, but harmless): ready when the round lands.
    const late = feed([r0, close, r1]);
    expect(late.outcomes.map((o) => o.kind)).toEqual(['pending', 'pending', 'ready']);
    expect(late.state?.close).toEqual(close.close);
    expect(late.state?.rounds).toHaveLength(2);
  });

  it('a CLOSE with no rounds is empty; a second identical CLOSE is a duplicate, a different one invalid', () => {
    expect(applyRecord(undefined, closeOf(run, 3, 0), T)).toEqual({
      kind: 'empty',
      chainId: closeOf(run, 3, 0).chain_id,
      hadState: false,
    });
    const [r0] = chain(3);
    const { outcomes } = feed([r0, closeOf(run, 3, 2), closeOf(run, 3, 2), closeOf(run, 3, 1)]);
    expect(outcomes.map((o) => o.kind)).toEqual(['pending', 'pending', 'duplicate', 'invalid']);
  });

  it('rejects records that contradict the schema or the chain', () => {
    const [r0, r1] = chain(4);
    const reasons = (o: Outcome) => (o.kind === 'invalid' ? o.reason : o.kind);
    expect(reasons(applyRecord(undefined, { ...r0, round_index: 3 }, T))).toMatch(
      /round_index must be in 0…2/,
    );
    expect(reasons(applyRecord(undefined, { ...r0, round_index: -1 }, T))).toMatch(/round_index/);
    expect(reasons(applyRecord(undefined, { ...r0, chain_id: '' }, T))).toMatch(/empty chain_id/);
    expect(reasons(applyRecord(undefined, { ...r0, inherit_from_prev: true }, T))).toMatch(/round 0/);
    expect(reasons(applyRecord(undefined, { ...r0, run: { ...run, rounds_per_chain: 0 } }, T))).toMatch(
      /rounds_per_chain/,
    );
    expect(reasons(applyRecord(undefined, { ...closeOf(run, 4, 1), close: null }, T))).toMatch(
      /without close/,
    );
    expect(reasons(applyRecord(undefined, closeOf(run, 4, 4), T))).toMatch(/rounds_total must be in 0…3/);

    const { state } = feed([r0, r1]);
    expect(reasons(applyRecord(state, closeOf(run, 4, 1), T))).toMatch(
      /closed with 1 rounds but has round 1/,
    );
    const other = { ...r1, run: { ...run, run_id: 'other-run' } };
    expect(reasons(applyRecord(feed([r0]).state, other, T))).toMatch(/belongs to run unit-run/);
    const closed = feed([r0, closeOf(run, 4, 1)]);
    expect(closed.outcomes.at(-1)?.kind).toBe('ready');
    const halfClosed = feed([closeOf(run, 4, 2)]).state;
    expect(reasons(applyRecord(halfClosed, { ...r1, round_index: 2 }, T))).toMatch(/after the chain closed/);
  });

  it('does not mutate the state it is given', () => {
    const [r0, r1] = chain(5);
    const { state } = feed([r0]);
    const before = structuredClone(state);
    applyRecord(state, r1, T);
    applyRecord(state, closeOf(run, 5, 1), T);
    expect(state).toEqual(before);
  });
});

describe('ChainCollector', () => {
  it('forgets finished chains but still recognises their late duplicates', () => {
    const collector = new ChainCollector();
    const rounds = chain(6);
    expect(rounds.map((r) => collector.offer(r, T).kind)).toEqual(['pending', 'pending', 'ready']);
    expect(collector.open).toBe(0);
    expect(collector.offer(rounds[0], T).kind).toBe('duplicate');
    expect(collector.offer(closeOf(run, 6, 3), T).kind).toBe('duplicate');
    expect(collector.open).toBe(0);
  });

  it('remembers only the newest finished chains', () => {
    const collector = new ChainCollector(2);
    const chains = [7, 8, 9].map(
      (index) => chainRounds({ run: testRun('unit-run', 1), index })[0] as SynthRound,
    );
    for (const r0 of chains) expect(collector.offer(r0, T).kind).toBe('ready');
    expect(collector.offer(chains[0] as SynthRound, T).kind).toBe('ready'); // 7 fell out of the memory
    expect(collector.offer(chains[2] as SynthRound, T).kind).toBe('duplicate');
  });

  it('continues restored chains', () => {
    const rounds = chain(10);
    const first = new ChainCollector();
    const pending = first.offer(rounds[0], T);
    expect(pending.kind).toBe('pending');
    const second = new ChainCollector();
    second.restore((pending as { state: AssembleState }).state);
    expect(second.open).toBe(1);
    expect(second.offer(rounds[0], T).kind).toBe('duplicate');
    expect(second.offer(rounds[1], T).kind).toBe('pending');
    const done = second.offer(rounds[2], T);
    expect(done.kind).toBe('ready');
    expect((done as { state: AssembleState }).state.rounds.map((r) => r.doc_id)).toEqual(
      rounds.map((r) => r.doc_id),
    );
  });
});
