// Golden chains: fixed texts and fixed model outputs → the exact prompt of every round and the
// exact rendered texts for the recorded seed, one file per template version (chain.json is
// ipt-templates-1, kept so old runs keep rendering as they did). The files are checked in and
// were read by a person; regenerate them only on purpose (tests/fixtures/golden/make.ts) and
// review the diff.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TEMPLATE_VERSION, TEMPLATE_VERSIONS, type TemplateVersion } from '../../core/templates/version.ts';
import { computeGolden, GOLDEN_FILES, type GoldenCase, goldenInputs } from '../fixtures/golden/chains.ts';

const load = (version: TemplateVersion): GoldenCase[] =>
  JSON.parse(readFileSync(new URL(`../fixtures/golden/${GOLDEN_FILES[version]}`, import.meta.url), 'utf8'));
const files = Object.fromEntries(TEMPLATE_VERSIONS.map((v) => [v, load(v)])) as Record<
  TemplateVersion,
  GoldenCase[]
>;
const byName = (n: string, version: TemplateVersion = TEMPLATE_VERSION): GoldenCase =>
  files[version].find((g) => g.name === n) as GoldenCase;

describe('golden chains', () => {
  it.each(
    TEMPLATE_VERSIONS.flatMap((v) => goldenInputs(v).map((g) => [GOLDEN_FILES[v], g.name, v, g] as const)),
  )('%s, %s: core reproduces the file exactly', (_f, name, version, input) => {
    expect(computeGolden(input, version)).toEqual(byName(name, version));
  });

  it('each file is rendered with its version; new runs get the newest', () => {
    for (const v of TEMPLATE_VERSIONS) for (const g of files[v]) expect(g.template_version).toBe(v);
    expect(TEMPLATE_VERSION).toBe('ipt-templates-3');
  });

  it('prompts and pairs do not depend on the template version', () => {
    const strip = ({ template_version: _, template_seed: __, rendered: ___, ...rest }: GoldenCase) => rest;
    for (const g of files['ipt-templates-1']) expect(strip(byName(g.name))).toEqual(strip(g));
  });

  it('dropped: pairs breaking the multiple-choice or chain-of-thought rules are left out', () => {
    const g = byName('dropped', 'ipt-templates-2');
    expect(g.rounds.map((r) => r.pairs.length)).toEqual([3, 2]);
    expect(g.rounds.map((r) => r.inherit_from_prev)).toEqual([false, true]);
    // Round 0: the answer that matches no option is dropped, the "none" answer and the plain pair
    // stay. Round 1: a conclusion twice, a trigger before the options — nothing left, so the round
    // stands alone as its text, after its segment's text.
    expect(g.rendered.map((t) => t.round_indexes)).toEqual([[0], [1]]);
    const text = g.rendered[0]?.text ?? '';
    expect(text).not.toContain('saltiest');
    expect(text).toContain('Which gas do plants take in?');
    expect(text).toContain('What do plants release?');
    expect(g.rendered[1]).toEqual({ text: g.texts[1], round_indexes: [1], framing: 'plain' });
  });

  it('dropped, ipt-templates-3: "None of the above" is not in the reference\'s list, so that pair goes too', () => {
    const g = byName('dropped', 'ipt-templates-3');
    expect(g.rendered.map((t) => t.round_indexes)).toEqual([[0], [1]]);
    const text = g.rendered[0]?.text ?? '';
    expect(text).not.toContain('saltiest');
    expect(text).not.toContain('Which gas do plants take in?');
    expect(text).toContain('What do plants release?');
    expect(g.rendered[1]).toEqual({ text: g.texts[1], round_indexes: [1], framing: 'plain' });
  });

  it('ipt-templates-3 layouts: each picked chain shows the layout it is named after', () => {
    const framings = (n: string) => byName(`layout-${n}`).rendered.map((t) => t.framing);
    expect(framings('dialog')).toEqual(['dialog']);
    expect(framings('pairs-first')).toEqual(['pairs_first']);
    expect(framings('numbered-answers-first')).toEqual(['numbered']);
    expect(framings('next-turn-last-first')).toEqual(['next_turn']);
    expect(framings('inline-few-shot')).toEqual(['fewshot']);
    const first = byName('layout-answers-first').rendered[0]?.text ?? '';
    // The plain pair's answer stands before its question.
    expect(first.indexOf('The gravitational pull of the moon.')).toBeLessThan(
      first.indexOf('What mainly causes ocean tides?'),
    );
    const pairsFirst = byName('layout-pairs-first').rendered[0]?.text ?? '';
    expect(pairsFirst.indexOf('What mainly causes ocean tides?')).toBeLessThan(
      pairsFirst.indexOf('Ocean tides are'),
    );
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
