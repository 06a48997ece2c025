import { describe, expect, it } from 'vitest';
import type { BudgetConfig, PromptTokenModel } from '../../core/budget.ts';
import { followedByNext, historyCandidates, inheritFromPrev, planPrompt } from '../../core/chain.ts';
import { finishedRound, readingBlock } from '../../core/format.ts';
import { parseOutput } from '../../core/parse.ts';
import { segmentsOf } from '../../core/templates/render.ts';
import type { CompactRound, QAPair } from '../../core/types.ts';

// A token model where every round of history costs exactly what we say, to pin the rules.
const fakeModel: PromptTokenModel = {
  readingBlock: (t) => t + 10,
  pairs: (p) => p.length * 5,
  history: (t, p) => t + 10 + p + 1,
};
const roomy: BudgetConfig = { maxModelLen: 100_000, maxNewTokens: 400, margin: 0 };
const P = (n: number): QAPair[] =>
  Array.from({ length: n }, (_, i) => ({ question: `q${i}`, answer: `a${i}` }));
const round = (i: number, pairs: number, inherit: boolean, tokens = 50): CompactRound => ({
  round_index: i,
  doc_id: `d${i}`,
  text: `text ${i}`,
  pairs: P(pairs),
  inherit_from_prev: inherit,
  text_tokens: tokens,
  history_tokens: tokens + 10 + pairs * 5 + 1,
});
const next = { text: 'new', text_tokens: 3 };

describe('history selection', () => {
  it('round 0: no history, previous not followed', () => {
    const p = planPrompt([], next, roomy, fakeModel);
    expect(p).toMatchObject({ historyRoundsUsed: 0, historyRoundsAvailable: 0, prevFollowedByNext: false });
    expect(p.prompt).toBe(readingBlock('new'));
  });

  it('previous round with pairs is the history', () => {
    const r0 = round(0, 2, false);
    const p = planPrompt([r0], next, roomy, fakeModel);
    expect(p.historyRoundsUsed).toBe(1);
    expect(p.prevFollowedByNext).toBe(true);
    expect(p.prompt).toBe(finishedRound(r0.text, r0.pairs) + readingBlock('new'));
    expect(p.promptTokens).toBe(r0.history_tokens + 13);
  });

  it('previous round without pairs gives empty history', () => {
    const p = planPrompt([round(0, 2, false), round(1, 0, false)], next, roomy, fakeModel);
    expect(p.historyRoundsAvailable).toBe(0);
    expect(p.prevFollowedByNext).toBe(false);
    expect(p.prompt).toBe(readingBlock('new'));
  });

  it('walks back through inheriting rounds', () => {
    const rs = [round(0, 1, false), round(1, 1, true), round(2, 1, true)];
    expect(historyCandidates(rs)).toEqual(rs);
    expect(
      historyCandidates([round(0, 1, false), round(1, 1, false), round(2, 1, true)]).map(
        (r) => r.round_index,
      ),
    ).toEqual([1, 2]);
    expect(
      historyCandidates([round(0, 1, false), round(1, 1, true), round(2, 1, false)]).map(
        (r) => r.round_index,
      ),
    ).toEqual([2]);
  });

  it('drops oldest rounds first until the history fits', () => {
    const rs = [round(0, 1, false, 100), round(1, 1, true, 100), round(2, 1, true, 100)];
    const each = rs[0]?.history_tokens ?? 0;
    const budget = (limit: number): BudgetConfig => ({
      maxModelLen: limit + 400,
      maxNewTokens: 400,
      margin: 0,
    });
    expect(planPrompt(rs, next, budget(3 * each + 13), fakeModel).historyRoundsUsed).toBe(3);
    const two = planPrompt(rs, next, budget(3 * each + 12), fakeModel);
    expect(two.historyRoundsUsed).toBe(2);
    expect(two.prompt.startsWith(finishedRound('text 1', P(1)))).toBe(true);
    expect(planPrompt(rs, next, budget(each + 13), fakeModel).historyRoundsUsed).toBe(1);
    expect(planPrompt(rs, next, budget(each + 12), fakeModel)).toMatchObject({
      historyRoundsUsed: 0,
      prevFollowedByNext: false,
      historyRoundsAvailable: 3,
    });
  });
});

describe('inherit_from_prev', () => {
  it('round 0 never inherits', () => {
    expect(inheritFromPrev(0, true, P(3))).toBe(false);
  });
  it('needs the previous round followed and this round to have pairs', () => {
    expect(inheritFromPrev(1, true, P(1))).toBe(true);
    expect(inheritFromPrev(1, false, P(1))).toBe(false);
    expect(inheritFromPrev(1, true, [])).toBe(false);
  });
});

describe('followed_by_next from the rounds', () => {
  it('round r is followed iff round r + 1 used history; the last never', () => {
    expect(
      followedByNext([{ history_rounds_used: 0 }, { history_rounds_used: 1 }, { history_rounds_used: 0 }]),
    ).toEqual([true, false, false]);
  });
});

describe('a chain of three where round 1 has no pairs', () => {
  it('round 2 gets no history and starts a new segment', () => {
    const outputs = ['<QUE> A? <ANS> a </END>', 'nothing useful', '<QUE> C? <ANS> c </END>'];
    const texts = ['first', 'second', 'third'];
    const rounds: CompactRound[] = [];
    const records: { history_rounds_used: number }[] = [];
    texts.forEach((text, i) => {
      const plan = planPrompt(rounds, { text, text_tokens: 5 }, roomy, fakeModel);
      const pairs = parseOutput(outputs[i] ?? '');
      const inherit = inheritFromPrev(i, plan.prevFollowedByNext, pairs);
      records.push({ history_rounds_used: plan.historyRoundsUsed });
      rounds.push({
        round_index: i,
        doc_id: `d${i}`,
        text,
        pairs,
        inherit_from_prev: inherit,
        text_tokens: 5,
        history_tokens: fakeModel.history(5, fakeModel.pairs(pairs)),
      });
      if (i === 2) expect(plan.prompt).toBe(readingBlock('third'));
    });
    expect(rounds.map((r) => r.inherit_from_prev)).toEqual([false, false, false]);
    expect(followedByNext(records)).toEqual([true, false, false]);
    expect(segmentsOf(rounds)).toEqual([[0], [1], [2]]);
  });
});
