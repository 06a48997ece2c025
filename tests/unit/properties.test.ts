// Property tests over random chains and model outputs (fast-check). A word-count tokenizer
// stands in for Mistral so hundreds of chains run in well under a second; the budget rules
// only see counts.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BudgetConfig, promptLimit, promptTokenModel } from '../../core/budget.ts';
import { compactRound, followedByNext, inheritFromPrev, planPrompt } from '../../core/chain.ts';
import { pairBlocks, readingBlock } from '../../core/format.ts';
import { parseOutput } from '../../core/parse.ts';
import { renderChain } from '../../core/templates/render.ts';
import { pairFragments } from '../../core/templates/structure.ts';
import { TEMPLATE_VERSIONS } from '../../core/templates/version.ts';
import type { TokenCounter } from '../../core/tokens.ts';
import type { CompactRound, QAPair } from '../../core/types.ts';

const words: TokenCounter = { count: (t) => t.split(/\s+/).filter(Boolean).length };
const model = promptTokenModel(words);

const word = fc.stringMatching(/^[A-Za-z0-9'’é,.;:?!()-]{1,8}$/);
const phrase = fc.array(word, { minLength: 1, maxLength: 8 }).map((w) => w.join(' '));
const plainPair = fc.record({ question: phrase, answer: phrase });
const mcPair = fc
  .tuple(phrase, fc.uniqueArray(phrase, { minLength: 2, maxLength: 5 }), fc.nat(), fc.boolean())
  .map(([stem, opts, k, named]) => ({
    question: `${stem}\nOptions:\n${opts.map((o) => `- ${o}`).join('\n')}`,
    answer: named ? (opts[k % opts.length] as string) : 'something else',
  }));
const cotPair = fc.tuple(phrase, phrase, phrase).map(([q, r, x]) => ({
  question: `${q}\nLet's think step by step.`,
  answer: `${r}\nTherefore, the answer is ${x}`,
}));
const pair: fc.Arbitrary<QAPair> = fc.oneof({ weight: 4, arbitrary: plainPair }, mcPair, cotPair);

/** A model output built from pairs, sometimes damaged the ways real outputs are. */
const output = fc
  .tuple(
    fc.array(pair, { maxLength: 4 }),
    fc.constantFrom('', '<QUE> cut off <ANS> mid', '<QUE> half a question'),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([pairs, tail, dupe, emptyAnswer]) => {
    let out = pairBlocks(pairs);
    if (dupe && pairs[0]) out += `\n\n<QUE> ${pairs[0].question.toUpperCase()} <ANS> again </END>`;
    if (emptyAnswer) out += '\n\n<QUE> nothing? <ANS>  </END>';
    return out + tail;
  });

const chainInput = fc.record({
  texts: fc.array(phrase, { minLength: 1, maxLength: 5 }),
  outputs: fc.array(output, { minLength: 5, maxLength: 5 }),
  limit: fc.integer({ min: 20, max: 400 }),
  seed: fc.nat({ max: 0xffffffff }),
});

interface Simulated {
  rounds: CompactRound[];
  used: number[];
}

function simulate(texts: string[], outputs: string[], budget: BudgetConfig): Simulated {
  const rounds: CompactRound[] = [];
  const used: number[] = [];
  texts.forEach((text, i) => {
    const text_tokens = words.count(text);
    const plan = planPrompt(rounds, { text, text_tokens }, budget, model);
    expect(plan.prompt.endsWith(readingBlock(text))).toBe(true);
    expect(plan.historyRoundsUsed).toBeLessThanOrEqual(plan.historyRoundsAvailable);
    if (!plan.overBudget) expect(plan.promptTokens).toBeLessThanOrEqual(promptLimit(budget));
    const pairs = parseOutput(outputs[i] ?? '');
    used.push(plan.historyRoundsUsed);
    rounds.push(
      compactRound(
        {
          round_index: i,
          doc_id: `d${i}`,
          text,
          pairs,
          inherit_from_prev: inheritFromPrev(i, plan.prevFollowedByNext, pairs),
          text_tokens,
        },
        model,
      ),
    );
  });
  return { rounds, used };
}

const budgetOf = (limit: number): BudgetConfig => ({
  maxModelLen: limit + 400,
  maxNewTokens: 400,
  margin: 0,
});

describe('chain properties', () => {
  it('round 0 never inherits; inherit implies the previous round was followed and has pairs', () => {
    fc.assert(
      fc.property(chainInput, ({ texts, outputs, limit }) => {
        const { rounds, used } = simulate(texts, outputs, budgetOf(limit));
        const followed = followedByNext(used.map((u) => ({ history_rounds_used: u })));
        expect(rounds[0]?.inherit_from_prev).toBe(false);
        rounds.forEach((r, i) => {
          if (!r.inherit_from_prev) return;
          expect(followed[i - 1]).toBe(true);
          expect(rounds[i - 1]?.pairs.length).toBeGreaterThan(0);
          expect(r.pairs.length).toBeGreaterThan(0);
        });
      }),
      { numRuns: 300, seed: 20261121 },
    );
  });

  it.each(TEMPLATE_VERSIONS)(
    '%s: every round, and every pair it keeps, appears in the rendered texts',
    (version) => {
      fc.assert(
        fc.property(chainInput, ({ texts, outputs, limit, seed }) => {
          const { rounds } = simulate(texts, outputs, budgetOf(limit));
          const rendered = renderChain(rounds, seed, version);
          // Each round in exactly one text (ipt-templates-2 puts a round whose pairs it all dropped
          // in a text of its own, after its segment's).
          const placed = rendered.flatMap((t) => t.round_indexes);
          expect([...placed].sort((a, b) => a - b)).toEqual(rounds.map((_, i) => i));
          for (const t of rendered) {
            for (const i of t.round_indexes) {
              const r = rounds[i] as CompactRound;
              expect(t.text).toContain(r.text);
              for (const p of r.pairs) for (const f of pairFragments(p, version)) expect(t.text).toContain(f);
            }
          }
        }),
        { numRuns: 300, seed: 20261122 },
      );
    },
  );

  it.each(TEMPLATE_VERSIONS)(
    '%s: rendering is a pure function of (chain, seed, template version)',
    (version) => {
      fc.assert(
        fc.property(chainInput, ({ texts, outputs, limit, seed }) => {
          const { rounds } = simulate(texts, outputs, budgetOf(limit));
          const copy = structuredClone(rounds);
          const a = renderChain(rounds, seed, version);
          renderChain(rounds, (seed + 1) >>> 0, version); // no hidden state carried between calls
          expect(renderChain(copy, seed, version)).toEqual(a);
          expect(rounds).toEqual(copy); // inputs untouched
        }),
        { numRuns: 200, seed: 20261123 },
      );
    },
  );

  it('parsed pairs are well-formed and unique by lower-cased question', () => {
    fc.assert(
      fc.property(output, (out) => {
        const pairs = parseOutput(out);
        const qs = pairs.map((p) => p.question.toLowerCase());
        expect(new Set(qs).size).toBe(qs.length);
        for (const p of pairs) {
          expect(p.answer.trim()).not.toBe('');
          expect(p.question).not.toContain('<QUE>');
        }
      }),
      { numRuns: 300, seed: 20261124 },
    );
  });
});
