// Golden chains: fixed texts and fixed model outputs → the exact prompt of every round and the
// exact rendered texts for the recorded seed. chain.json is checked in and was read by a person;
// regenerate it only on purpose (tests/fixtures/golden/make.ts) and review the diff.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TEMPLATE_VERSION } from '../../core/templates/version.ts';
import { computeGolden, GOLDEN_INPUTS, type GoldenCase } from '../fixtures/golden/chains.ts';

const golden: GoldenCase[] = JSON.parse(
  readFileSync(new URL('../fixtures/golden/chain.json', import.meta.url), 'utf8'),
);
const byName = (n: string): GoldenCase => golden.find((g) => g.name === n) as GoldenCase;

describe('golden chains', () => {
  it.each(GOLDEN_INPUTS.map((g) => [g.name, g] as const))(
    '%s: core reproduces chain.json exactly',
    (_n, input) => {
      expect(computeGolden(input)).toEqual(byName(input.name));
    },
  );

  it('are rendered with the current template version', () => {
    for (const g of golden) expect(g.template_version).toBe(TEMPLATE_VERSION);
  });

  it('connected: prompts spelled out by hand', () => {
    const g = byName('connected');
    const [t0, t1, t2] = g.texts;
    const r0 =
      `<s> <CON> ${t0} </CON>\n\n` +
      '<QUE> What mainly causes ocean tides? <ANS> The gravitational pull of the moon. </END>\n\n' +
      '<QUE> How many high tides do most coasts see every day?\nOptions:\n- one\n- two\n- four <ANS> two </END></s>';
    const r1 =
      `<s> <CON> ${t1} </CON>\n\n` +
      "<QUE> Why are spring tides stronger than neap tides?\nLet's think step by step. <ANS> During spring tides the sun and the moon line up, so their pulls add together. During neap tides they are at right angles.\nTherefore, the answer is the pulls of the sun and moon add up </END>\n\n" +
      '<QUE> When do neap tides occur? <ANS> When the sun and the moon are at right angles. </END></s>';
    expect(g.rounds.map((r) => r.prompt)).toEqual([
      `<s> <CON> ${t0} </CON>\n\n`,
      `${r0}<s> <CON> ${t1} </CON>\n\n`,
      `${r0}${r1}<s> <CON> ${t2} </CON>\n\n`,
    ]);
    expect(g.rounds.map((r) => r.history_rounds_used)).toEqual([0, 1, 2]);
    expect(g.rounds.map((r) => r.inherit_from_prev)).toEqual([false, true, true]);
    expect(g.rounds.map((r) => r.followed_by_next)).toEqual([true, true, false]);
    // Round 1: the case-only duplicate and the cut-off tail are dropped; round 2: <ANS> twice.
    expect(g.rounds.map((r) => r.pairs.length)).toEqual([2, 2, 2]);
    expect(g.rendered.map((t) => t.round_indexes)).toEqual([[0, 1, 2]]);
  });

  it('broken: round 1 has no pairs, so round 2 starts over', () => {
    const g = byName('broken');
    expect(g.rounds.map((r) => r.pairs.length)).toEqual([1, 0, 2]);
    expect(g.rounds.map((r) => r.history_rounds_used)).toEqual([0, 1, 0]);
    expect(g.rounds.map((r) => r.inherit_from_prev)).toEqual([false, false, false]);
    expect(g.rounds[2]?.prompt).toBe(`<s> <CON> ${g.texts[2]} </CON>\n\n`);
    expect(g.rendered.map((t) => t.round_indexes)).toEqual([[0], [1], [2]]);
    expect(g.rendered[1]).toEqual({ text: g.texts[1], round_indexes: [1], framing: 'plain' });
  });
});
