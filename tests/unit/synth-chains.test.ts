import { describe, expect, it } from 'vitest';
import { DEFAULT_BUDGET, promptTokenModel } from '../../core/budget.ts';
import { readingBlock } from '../../core/format.ts';
import { mistralTokenizer } from '../../core/mistral.ts';
import type { OpenChain, PartitionCounters } from '../../core/types.ts';
import {
  type Effect,
  PartitionChains,
  type PartitionChainsConfig,
  type RoundStart,
} from '../../services/synth/partition-chains.ts';

const tokenizer = mistralTokenizer();
const config = (over: Partial<PartitionChainsConfig> = {}): PartitionChainsConfig => ({
  runId: 'run',
  topic: 'raw',
  partition: 3,
  layout: { chainsPerBlock: 2, roundsPerChain: 2 },
  budget: DEFAULT_BUDGET,
  promptTokens: promptTokenModel(tokenizer),
  idleMs: 1_000,
  keepAnswers: false,
  ...over,
});
const doc = (i: number, text = `Document ${i} is about rivers because rivers matter.`) => ({
  offset: 100 + i,
  doc_id: `d${i}`,
  text,
  text_tokens: tokenizer.count(text),
});
const starts = (effects: Effect[]): RoundStart[] =>
  effects.flatMap((e) => (e.kind === 'start' ? [e.start] : []));
const OUTPUT = '<QUE> Why do rivers matter? <ANS> Because they do. </END>';

function fresh(over: Partial<PartitionChainsConfig> = {}) {
  return new PartitionChains(config(over), { counters: null, chains: [] }, 0);
}

describe('PartitionChains', () => {
  it('places records by the block layout and starts round 0 of each chain at once', () => {
    const chains = fresh();
    for (let i = 0; i < 4; i++) chains.admit(doc(i), 0);
    const started = starts(chains.takeEffects());
    // K = 2, M = 2: records 0, 1 are round 0 of chains 0, 1; records 2, 3 wait for them.
    expect(started.map((s) => [s.chainId, s.roundIndex, s.record.doc_id])).toEqual([
      ['run/raw/3/0/0', 0, 'd0'],
      ['run/raw/3/0/1', 0, 'd1'],
    ]);
    expect(started[0]?.plan.prompt).toBe(readingBlock(doc(0).text));
    expect(chains.buffered).toBe(4);
    expect(chains.running).toBe(2);
    const state = chains.takeStateChanges();
    expect(state.counters).toEqual({ next_seq: 4, next_offset: 104 });
    expect([...state.chains.keys()]).toEqual(['run/raw/3/0/0', 'run/raw/3/0/1']);
  });

  it('runs round 1 with round 0 as history once round 0 has pairs, then forgets the finished chain', () => {
    const chains = fresh();
    for (let i = 0; i < 4; i++) chains.admit(doc(i), 0);
    const [first] = starts(chains.takeEffects()) as [RoundStart];
    chains.takeStateChanges();
    chains.finish(first, { output: OUTPUT, attempts: 1, latencyMs: 5 }, 1);
    const effects = chains.takeEffects();
    const round = effects.find((e) => e.kind === 'round');
    expect(round?.kind === 'round' && round.round.pairs).toEqual([
      { question: 'Why do rivers matter?', answer: 'Because they do.' },
    ]);
    const [next] = starts(effects) as [RoundStart];
    expect(next.record.doc_id).toBe('d2');
    expect(next.plan.historyRoundsUsed).toBe(1);
    expect(next.plan.prompt).toBe(
      `${readingBlock(doc(0).text)}<QUE> Why do rivers matter? <ANS> Because they do. </END></s>${readingBlock(doc(2).text)}`,
    );
    expect(chains.takeStateChanges().chains.get('run/raw/3/0/0')?.rounds).toHaveLength(1);

    chains.finish(next, { output: '', attempts: 1, latencyMs: 5 }, 2);
    const done = chains.takeEffects();
    expect(done.map((e) => e.kind)).toEqual(['round']);
    const last = done[0];
    expect(last?.kind === 'round' && last.round.inheritFromPrev).toBe(false); // no pairs → no inheritance
    // Complete after M rounds: the chain's state is deleted.
    expect(chains.takeStateChanges().chains.get('run/raw/3/0/0')).toBeNull();
    expect(chains.openChains).toBe(1);
  });

  it('ignores a stale result for a round that is no longer running', () => {
    const chains = fresh();
    chains.admit(doc(0), 0);
    const [start] = starts(chains.takeEffects()) as [RoundStart];
    chains.finish(start, { output: OUTPUT, attempts: 1, latencyMs: 1 }, 1);
    chains.takeEffects();
    chains.finish(start, { output: OUTPUT, attempts: 1, latencyMs: 1 }, 2);
    expect(chains.takeEffects()).toEqual([]);
  });

  it('on a permanent failure dead-letters the record and the chain’s later records, and closes the chain', () => {
    const chains = fresh({ layout: { chainsPerBlock: 1, roundsPerChain: 3 } });
    for (let i = 0; i < 2; i++) chains.admit(doc(i), 0);
    const [r0] = starts(chains.takeEffects()) as [RoundStart];
    chains.finish(r0, { output: OUTPUT, attempts: 1, latencyMs: 1 }, 1);
    const [r1] = starts(chains.takeEffects()) as [RoundStart];
    chains.fail(r1, 'INFERENCE_ERROR', new Error('boom'), 4, 2);
    const effects = chains.takeEffects();
    expect(effects.map((e) => e.kind)).toEqual(['dead', 'close']);
    const close = effects[1];
    expect(close?.kind === 'close' && close.close).toMatchObject({
      reason: 'PERMANENT_FAILURE',
      rounds_total: 1,
    });
    // Round 2 of the closed chain arrives later: dead-lettered, and the chain (all slots seen) is forgotten.
    chains.admit(doc(2), 3);
    const late = chains.takeEffects();
    expect(late.map((e) => e.kind === 'dead' && e.failed.record.doc_id)).toEqual(['d2']);
    expect(late[0]?.kind === 'dead' && late[0].failed.error).toBeInstanceOf(Error);
    expect(chains.takeStateChanges().chains.get('run/raw/3/0/0')).toBeNull();
  });

  it('refuses a text over the budget without calling the model', () => {
    const chains = fresh({ budget: { maxModelLen: 40, maxNewTokens: 10, margin: 9 } });
    chains.admit(doc(0, 'word '.repeat(200)), 0);
    const effects = chains.takeEffects();
    expect(effects.map((e) => e.kind)).toEqual(['dead']);
    expect(effects[0]?.kind === 'dead' && effects[0].failed.errorClass).toBe('PROMPT_OVER_BUDGET');
  });

  it('closes a partial block after idleMs and starts the next record in a fresh block', () => {
    const chains = fresh();
    for (let i = 0; i < 3; i++) chains.admit(doc(i), 0); // block 0 holds 3 of 4
    const [a, b] = starts(chains.takeEffects()) as [RoundStart, RoundStart];
    chains.finish(a, { output: OUTPUT, attempts: 1, latencyMs: 1 }, 10);
    chains.finish(b, { output: OUTPUT, attempts: 1, latencyMs: 1 }, 10);
    const [c] = starts(chains.takeEffects()) as [RoundStart];
    chains.tick(5_000); // chain 0 still running round 1: not idle yet
    expect(chains.takeEffects()).toEqual([]);
    chains.finish(c, { output: OUTPUT, attempts: 1, latencyMs: 1 }, 20);
    chains.takeEffects();
    chains.tick(500); // not idle for idleMs yet
    expect(chains.takeEffects()).toEqual([]);
    chains.tick(5_000);
    const closes = chains.takeEffects();
    expect(
      closes.map((e) => e.kind === 'close' && [e.chainId, e.close.reason, e.close.rounds_total]),
    ).toEqual([['run/raw/3/0/1', 'IDLE_TIMEOUT', 1]]);
    chains.admit(doc(3), 6_000);
    expect(starts(chains.takeEffects()).map((s) => s.chainId)).toEqual(['run/raw/3/1/0']);
  });

  it('restores open chains and restarts their ready rounds', () => {
    const counters: PartitionCounters = { next_seq: 3, next_offset: 103 };
    const chain: OpenChain = {
      chain_id: 'run/raw/3/0/0',
      block: 0,
      chain_index: 0,
      rounds: [
        {
          round_index: 0,
          doc_id: 'd0',
          text: doc(0).text,
          pairs: [{ question: 'Q?', answer: 'A.' }],
          inherit_from_prev: false,
          text_tokens: doc(0).text_tokens,
          history_tokens: 30,
        },
      ],
      pending: [
        {
          seq: 2,
          offset: 102,
          round_index: 1,
          doc_id: 'd2',
          text: doc(2).text,
          text_tokens: doc(2).text_tokens,
        },
      ],
      opened_at: 0,
      last_activity_at: 0,
      closed_reason: null,
      engine: null,
    };
    const chains = new PartitionChains(config(), { counters, chains: [chain] }, 0);
    const [start] = starts(chains.takeEffects()) as [RoundStart];
    expect(start.record.doc_id).toBe('d2');
    expect(start.plan.prompt.startsWith(readingBlock(doc(0).text))).toBe(true);
    expect(chains.nextOffset).toBe(103);
  });
});
