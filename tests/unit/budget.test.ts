import { describe, expect, it } from 'vitest';
import {
  type BudgetConfig,
  DEFAULT_BUDGET,
  DEFAULT_TOKEN_MARGIN,
  DRIFT_ALLOWANCE,
  maxTextTokens,
  promptLimit,
  promptTokenModel,
} from '../../core/budget.ts';
import { compactRound, planPrompt } from '../../core/chain.ts';
import { finishedRound, readingBlock } from '../../core/format.ts';
import { mistralTokenizer } from '../../core/mistral.ts';
import { Rng } from '../../core/prng.ts';
import type { CompactRound, QAPair } from '../../core/types.ts';

const tok = mistralTokenizer();
const model = promptTokenModel(tok);

const ORDINARY = [
  'the',
  'market',
  'protein',
  '.',
  'however',
  ',',
  'because',
  'Therefore',
  '🙂',
  '日本',
  "l'été",
  'x=3;',
  '\n',
  '\n\n',
  '  ',
  '-',
  '(1)',
  '?',
  "don't",
  'NASA',
  '1999',
  'é',
  '\t',
  '"quoted"',
  'end.',
  '<',
  '>',
  '</CON>',
  '\u00a0',
];
const MARKERS = ['<s>', '</s>'];

function randomText(rng: Rng, words: readonly string[], n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += (rng.chance(0.2) ? '' : ' ') + rng.pick(words);
  return rng.chance(0.5) ? s.trim() : s;
}

function randomChain(rng: Rng, words: readonly string[]): { rounds: CompactRound[]; text: string } {
  const rounds: CompactRound[] = [];
  const n = rng.int(4);
  for (let r = 0; r < n; r++) {
    const text = randomText(rng, words, 1 + rng.int(60));
    const pairs: QAPair[] = Array.from({ length: 1 + rng.int(3) }, () => ({
      question: randomText(rng, words, 1 + rng.int(10)).trim() || 'q',
      answer: randomText(rng, words, 1 + rng.int(10)).trim() || 'a',
    }));
    rounds.push(
      compactRound(
        {
          round_index: r,
          doc_id: `d${r}`,
          text,
          pairs,
          inherit_from_prev: r > 0,
          text_tokens: tok.count(text),
        },
        model,
      ),
    );
  }
  return { rounds, text: randomText(rng, words, 1 + rng.int(60)) };
}

const roomy: BudgetConfig = { maxModelLen: 1_000_000, maxNewTokens: 400, margin: 0 };

describe('prompt token model', () => {
  it('reading block = text tokens + fixed overhead; empty text is one token', () => {
    for (const t of ['Hello world!', 'a', 'Ünïcode  text\nwith lines']) {
      expect(model.readingBlock(tok.count(t))).toBe(tok.count(readingBlock(t)));
    }
    expect(model.readingBlock(0)).toBe(1);
  });

  it('history tokens of a finished round equal tokenizing it', () => {
    const pairs = [
      { question: 'Why?', answer: 'Because.' },
      { question: 'What\nOptions:\n- a\n- b', answer: 'a' },
    ];
    const text = 'Some text here.';
    expect(model.history(tok.count(text), model.pairs(pairs))).toBe(tok.count(finishedRound(text, pairs)));
  });

  it('defaults: 4096 − 400 − margin', () => {
    expect(DEFAULT_BUDGET).toEqual({ maxModelLen: 4096, maxNewTokens: 400, margin: DEFAULT_TOKEN_MARGIN });
    expect(promptLimit(DEFAULT_BUDGET)).toBe(4096 - 400 - DEFAULT_TOKEN_MARGIN);
    expect(model.readingBlock(maxTextTokens(DEFAULT_BUDGET, model))).toBe(promptLimit(DEFAULT_BUDGET));
  });
});

describe('sum of parts vs tokenizing the joined prompt', () => {
  it('is exact for ordinary text (no literal special tokens in texts)', () => {
    const rng = new Rng(7);
    let worst = 0;
    for (let i = 0; i < 300; i++) {
      const { rounds, text } = randomChain(rng, ORDINARY);
      const plan = planPrompt(rounds, { text, text_tokens: tok.count(text) }, roomy, model);
      worst = Math.max(worst, Math.abs(tok.count(plan.prompt) - plan.promptTokens));
    }
    expect(worst).toBe(0);
  });

  it('stays within DRIFT_ALLOWANCE when texts contain literal <s> / </s>', () => {
    const rng = new Rng(11);
    let worst = 0;
    for (let i = 0; i < 300; i++) {
      const { rounds, text } = randomChain(rng, [...ORDINARY, ...MARKERS]);
      const plan = planPrompt(rounds, { text, text_tokens: tok.count(text) }, roomy, model);
      worst = Math.max(worst, Math.abs(tok.count(plan.prompt) - plan.promptTokens));
    }
    expect(worst).toBeLessThanOrEqual(DRIFT_ALLOWANCE);
    expect(DEFAULT_TOKEN_MARGIN).toBeGreaterThan(DRIFT_ALLOWANCE);
  });
});

describe('budget boundary (real tokenizer)', () => {
  const mk = (i: number, text: string, inherit: boolean): CompactRound =>
    compactRound(
      {
        round_index: i,
        doc_id: `d${i}`,
        text,
        pairs: [{ question: `Question ${i}?`, answer: `Answer ${i}.` }],
        inherit_from_prev: inherit,
        text_tokens: tok.count(text),
      },
      model,
    );
  const rounds = [
    mk(0, 'The first text of the chain.', false),
    mk(1, 'The second text, a bit longer.', true),
  ];
  const next = { text: 'The third text.', text_tokens: tok.count('The third text.') };
  const full = planPrompt(rounds, next, roomy, model);
  const budgetFor = (limit: number): BudgetConfig => ({
    maxModelLen: limit + 400 + 3,
    maxNewTokens: 400,
    margin: 3,
  });

  it('uses the whole history when it is exactly at the budget', () => {
    expect(tok.count(full.prompt)).toBe(full.promptTokens);
    const p = planPrompt(rounds, next, budgetFor(full.promptTokens), model);
    expect(p.historyRoundsUsed).toBe(2);
    expect(p.prompt).toBe(full.prompt);
    expect(p.prevFollowedByNext).toBe(true);
  });

  it('drops the oldest round when one token over', () => {
    const p = planPrompt(rounds, next, budgetFor(full.promptTokens - 1), model);
    expect(p.historyRoundsAvailable).toBe(2);
    expect(p.historyRoundsUsed).toBe(1);
    expect(p.prompt).toBe(
      finishedRound(rounds[1]?.text ?? '', rounds[1]?.pairs ?? []) + readingBlock(next.text),
    );
    expect(p.prevFollowedByNext).toBe(true);
    expect(p.promptTokens).toBe(tok.count(p.prompt));
  });

  it('paper mode: one token over means no history and previous not followed', () => {
    const at = planPrompt(rounds, next, budgetFor(full.promptTokens), model, { dropOldest: false });
    expect(at.historyRoundsUsed).toBe(2);
    const over = planPrompt(rounds, next, budgetFor(full.promptTokens - 1), model, { dropOldest: false });
    expect(over.historyRoundsUsed).toBe(0);
    expect(over.prevFollowedByNext).toBe(false);
    expect(over.prompt).toBe(readingBlock(next.text));
  });

  it('no history fits: reading block alone, previous not followed', () => {
    const own = model.readingBlock(next.text_tokens);
    const p = planPrompt(rounds, next, budgetFor(own + (rounds[1]?.history_tokens ?? 0) - 1), model);
    expect(p.historyRoundsUsed).toBe(0);
    expect(p.prevFollowedByNext).toBe(false);
    expect(p.overBudget).toBe(false);
    expect(planPrompt(rounds, next, budgetFor(own - 1), model).overBudget).toBe(true);
  });
});
