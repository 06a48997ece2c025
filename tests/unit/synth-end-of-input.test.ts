// PartitionChains.endOfInput: a bounded run (replay) closes its partial last block as soon as the
// block's work is done — not after an idle time — so where blocks end depends on the records only.

import { describe, expect, it } from 'vitest';
import { DEFAULT_BUDGET, promptTokenModel } from '../../core/budget.ts';
import { mistralTokenizer } from '../../core/mistral.ts';
import { type Effect, PartitionChains, type RoundStart } from '../../services/synth/partition-chains.ts';

const tokenizer = mistralTokenizer();
const OUTPUT = '<QUE> Why do rivers matter? <ANS> Because they do. </END>';
const doc = (i: number) => {
  const text = `Document ${i} is about rivers because rivers matter.`;
  return { offset: 40 + i, doc_id: `d${i}`, text, text_tokens: tokenizer.count(text) };
};
const starts = (effects: Effect[]): RoundStart[] =>
  effects.flatMap((e) => (e.kind === 'start' ? [e.start] : []));
const done = { output: OUTPUT, attempts: 1, latencyMs: 1 };

function chains() {
  return new PartitionChains(
    {
      runId: 'r',
      topic: 'raw',
      partition: 0,
      layout: { chainsPerBlock: 2, roundsPerChain: 2 },
      budget: DEFAULT_BUDGET,
      promptTokens: promptTokenModel(tokenizer),
      idleMs: Number.POSITIVE_INFINITY,
      keepAnswers: false,
    },
    { counters: null, chains: [] },
    0,
  );
}

describe('PartitionChains.endOfInput', () => {
  it('waits for the partial block to finish its rounds, then closes it at once as END_OF_INPUT', () => {
    const c = chains();
    for (let i = 0; i < 3; i++) c.admit(doc(i), 0); // block 0 holds 3 of 4: chain 0 gets 2 rounds, chain 1 one
    const [a, b] = starts(c.takeEffects()) as [RoundStart, RoundStart];
    c.endOfInput(1); // rounds are running: nothing closes yet
    expect(c.takeEffects()).toEqual([]);
    c.finish(a, done, 2);
    c.finish(b, done, 2);
    const [second] = starts(c.takeEffects()) as [RoundStart];
    c.endOfInput(3);
    expect(c.takeEffects()).toEqual([]);
    c.finish(second, done, 4);
    c.takeEffects();
    c.tick(Number.MAX_SAFE_INTEGER); // with idleMs infinite, time never closes a block
    expect(c.takeEffects()).toEqual([]);
    c.endOfInput(5);
    const closes = c.takeEffects();
    expect(
      closes.map((e) => e.kind === 'close' && [e.chainId, e.close.reason, e.close.rounds_total]),
    ).toEqual([['r/raw/0/0/1', 'END_OF_INPUT', 1]]);
    expect(c.openChains).toBe(0);
    expect(c.takeStateChanges().counters).toEqual({ next_seq: 4, next_offset: 43 });
    c.endOfInput(6); // idempotent
    expect(c.takeEffects()).toEqual([]);
  });

  it('does nothing at a block boundary', () => {
    const c = chains();
    c.endOfInput(0);
    expect(c.takeEffects()).toEqual([]);
    expect(c.takeStateChanges().counters).toBeNull();
  });
});
