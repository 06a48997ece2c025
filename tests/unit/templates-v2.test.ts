// ipt-templates-2: the reference's rules for keeping and dropping pairs, its framing frequencies,
// and at least as many distinct patterns per family as the reference (LMOps instruction_pretrain,
// read_compre_pt.py: the list lengths below were counted there).

import { describe, expect, it } from 'vitest';
import { type Framing, type RenderRound, renderChain, templateSeed } from '../../core/templates/render.ts';
import { fill } from '../../core/templates/v2/fill.ts';
import {
  COMPREHENSION_OPENERS,
  DIALOG_HEADINGS,
  INLINE_EXPLAINED,
  INLINE_PLAIN,
  type InlinePattern,
  NEXT_TURN_FRAMES,
  NUMBERED_FRAMES,
  PAIRS_FIRST_OPENERS,
  READING_OPENERS,
  SPEAKER_STYLES,
  TEXT_AFTER_PAIRS,
} from '../../core/templates/v2/framings.ts';
import { NONE_ANSWERS, NONE_WORDINGS } from '../../core/templates/v2/none.ts';
import {
  citedLabel,
  ITEM_ENDS,
  type ItemStyle,
  OPTION_HEADINGS,
  OPTION_ITEM_STYLES,
  optionBlock,
  QUESTION_ITEM_STYLES,
} from '../../core/templates/v2/options.ts';
import {
  COT_PATTERNS,
  OPTION_COT_PATTERNS,
  OPTION_PATTERNS,
  OPTION_PATTERNS_ALONE,
  OPTION_PATTERNS_LISTED,
  type PairPattern,
  PLAIN_PATTERNS,
} from '../../core/templates/v2/pairs.ts';
import { renderChainV2Traced } from '../../core/templates/v2/render.ts';
import { judgePair, keptFragments } from '../../core/templates/v2/rules.ts';
import type { QAPair } from '../../core/types.ts';

const V2 = 'ipt-templates-2';
const render = (rounds: readonly RenderRound[], seed: number) => renderChain(rounds, seed, V2);
const seeds = (n: number, tag = 'chain') =>
  Array.from({ length: n }, (_, i) => templateSeed(`${tag}-${i}`, V2));
const round = (text: string, pairs: QAPair[], inherit = false): RenderRound => ({
  text,
  pairs,
  inherit_from_prev: inherit,
});

const TRIGGER = "\nLet's think step by step.";
const CONCLUSION = '\nTherefore, the answer is ';
const MC: QAPair = {
  question: 'How often do tides rise?\nOptions:\n- once a day\n- twice a day\n- never',
  answer: 'twice a day',
};
const MC_NONE: QAPair = {
  question: 'Which gas do plants take in?\nOptions:\n- oxygen\n- nitrogen',
  answer: 'None of the above',
};
const COT: QAPair = {
  question: `Do tides depend on the moon?${TRIGGER}`,
  answer: `The text says the moon causes them.${CONCLUSION}yes`,
};
const COT2: QAPair = {
  question: `Are spring tides stronger?${TRIGGER}`,
  answer: `Sun and moon pull together then.${CONCLUSION}yes, they are`,
};
const PLAIN: QAPair = { question: 'What causes tides?', answer: 'The moon.' };

describe('ipt-templates-2 rules: which pairs are kept', () => {
  it('a plain pair is kept as it is', () => {
    expect(judgePair(PLAIN)).toEqual({
      keep: true,
      pair: {
        kind: 'plain',
        question: PLAIN.question,
        answer: PLAIN.answer,
        reasoning: null,
        options: null,
        none: false,
      },
    });
  });

  it('multiple choice: options split on "\\n- ", answer matched after stripping both', () => {
    expect(judgePair(MC)).toEqual({
      keep: true,
      pair: {
        kind: 'options',
        question: 'How often do tides rise?',
        answer: 'twice a day',
        reasoning: null,
        options: ['once a day', 'twice a day', 'never'],
        none: false,
      },
    });
    const spaced = judgePair({ question: 'Q?\nOptions:\n- a \n- b', answer: 'a' });
    expect(spaced.keep && spaced.pair.options).toEqual(['a ', 'b']);
  });

  it('an answer that matches no option exactly is dropped (case and punctuation count)', () => {
    for (const answer of ['sometimes', 'Twice a day', 'twice a day.', 'twice'])
      expect(judgePair({ ...MC, answer }), answer).toEqual({ keep: false, reason: 'no_matching_option' });
  });

  it('a "none" answer is kept, marked, and not one of the options', () => {
    const v = judgePair(MC_NONE);
    expect(v).toMatchObject({
      keep: true,
      pair: { kind: 'options', none: true, options: ['oxygen', 'nitrogen'] },
    });
    expect(judgePair({ ...MC_NONE, answer: 'none of these' })).toMatchObject({
      keep: true,
      pair: { none: true },
    });
    // An option that says "none" is an option like any other.
    const listed = judgePair({ question: 'Q?\nOptions:\n- red\n- None', answer: 'None' });
    expect(listed).toMatchObject({ keep: true, pair: { none: false } });
    expect(NONE_ANSWERS.length).toBeGreaterThanOrEqual(20);
  });

  it('two Options markers: not multiple choice, dropped', () => {
    const twice = { question: 'Q?\nOptions:\n- a\n- b\nOptions:\n- c', answer: 'a' };
    expect(judgePair(twice)).toEqual({ keep: false, reason: 'options_malformed' });
    expect(judgePair({ question: '\nOptions:\n- a\n- b', answer: 'a' })).toEqual({
      keep: false,
      reason: 'options_malformed',
    });
    // Without "- " right after the marker it is no marker at all.
    expect(judgePair({ question: 'Q?\nOptions:\na\nb', answer: 'a' })).toMatchObject({
      keep: true,
      pair: { kind: 'plain' },
    });
  });

  it('chain-of-thought: question ends with the trigger, answer splits in two; the final period goes', () => {
    expect(judgePair(COT)).toEqual({
      keep: true,
      pair: {
        kind: 'cot',
        question: 'Do tides depend on the moon?',
        answer: 'yes',
        reasoning: 'The text says the moon causes them',
        options: null,
        none: false,
      },
    });
    // Only one period goes.
    const two = judgePair({ ...COT, answer: `Hmm..${CONCLUSION}yes` });
    expect(two.keep && two.pair.reasoning).toBe('Hmm.');
  });

  it('a chain-of-thought answer split in three is dropped', () => {
    const three = { ...COT, answer: `A.${CONCLUSION}yes${CONCLUSION}no` };
    expect(judgePair(three)).toEqual({ keep: false, reason: 'cot_malformed' });
  });

  it('a trigger not at the end is no chain-of-thought: dropped', () => {
    const mid = { question: `Why?${TRIGGER}\nOptions:\n- a\n- b`, answer: `R.${CONCLUSION}a` };
    expect(judgePair(mid)).toEqual({ keep: false, reason: 'cot_malformed' });
    expect(judgePair({ question: `Why?${TRIGGER} Please.`, answer: 'Because.' })).toEqual({
      keep: false,
      reason: 'cot_malformed',
    });
  });

  it('other malformed chain-of-thought is dropped too', () => {
    const cases: QAPair[] = [
      { question: 'No trigger?', answer: `R.${CONCLUSION}x` }, // conclusion without trigger
      { ...COT, answer: 'No conclusion.' }, // trigger without conclusion
      { ...COT, answer: `.${CONCLUSION}yes` }, // reasoning only a period
      { ...COT, answer: `Reason.${CONCLUSION}  ` }, // no final answer
      { question: `  ${TRIGGER}`, answer: `R.${CONCLUSION}x` }, // no question
    ];
    for (const c of cases)
      expect(judgePair(c), JSON.stringify(c)).toEqual({ keep: false, reason: 'cot_malformed' });
  });

  it('multiple choice with chain-of-thought', () => {
    const v = judgePair({
      question: `Which?\nOptions:\n- red\n- blue${TRIGGER}`,
      answer: `The sky is blue.${CONCLUSION}blue`,
    });
    expect(v).toEqual({
      keep: true,
      pair: {
        kind: 'options_cot',
        question: 'Which?',
        answer: 'blue',
        reasoning: 'The sky is blue',
        options: ['red', 'blue'],
        none: false,
      },
    });
    const unmatched = {
      question: `Which?\nOptions:\n- red\n- blue${TRIGGER}`,
      answer: `Hm.${CONCLUSION}green`,
    };
    expect(judgePair(unmatched)).toEqual({ keep: false, reason: 'no_matching_option' });
  });
});

describe('ipt-templates-2 rendering', () => {
  const S = seeds(600);

  it('dropped pairs are not written; a round left without pairs stands alone after its segment', () => {
    const bad = { ...MC, answer: 'sometimes' };
    const rounds = [
      round('ONE', [PLAIN, bad]),
      round('TWO', [{ ...COT, answer: 'x' }], true),
      round('THREE', [PLAIN], true),
    ];
    for (const seed of S.slice(0, 100)) {
      const out = render(rounds, seed);
      expect(out.map((t) => t.round_indexes)).toEqual([[0, 2], [1]]);
      expect(out[1]).toEqual({ text: 'TWO', round_indexes: [1], framing: 'plain' });
      expect(out[0]?.text).not.toContain('How often');
      expect(out[0]?.text).not.toContain('Do tides');
      expect(out[0]?.text.indexOf('ONE')).toBeLessThan(out[0]?.text.indexOf('THREE') ?? -1);
    }
    expect(render([round('ONLY', [bad])], 1)).toEqual([
      { text: 'ONLY', round_indexes: [0], framing: 'plain' },
    ]);
  });

  it('a segment whose rounds hold fewer than two kept pairs is only classic or dialog', () => {
    // Round 1 has two pairs but one is dropped.
    const rounds = [round('A', [PLAIN, COT]), round('B', [PLAIN, { ...MC, answer: 'no' }], true)];
    const framings = new Set(S.map((s) => render(rounds, s)[0]?.framing));
    expect([...framings].sort()).toEqual(['classic', 'dialog', 'pairs_first']);
  });

  it('half the multiple-choice patterns leave the options out', () => {
    expect(OPTION_PATTERNS_LISTED.length).toBe(OPTION_PATTERNS_ALONE.length);
    for (const p of OPTION_PATTERNS_LISTED) expect(p.q).toContain('{o}');
    for (const p of OPTION_PATTERNS_ALONE) expect(`${p.q}${p.a}`).not.toContain('{o}');
    for (const p of OPTION_COT_PATTERNS) expect(p.q).toContain('{o}');
    let listed = 0;
    for (const seed of S) if (render([round('T', [MC])], seed)[0]?.text.includes('once a day')) listed++;
    expect(listed / S.length).toBeGreaterThan(0.4);
    expect(listed / S.length).toBeLessThan(0.6);
  });

  it('listed options are shuffled, and the answer cites the right one’s label (or repeats its text)', () => {
    const orders = new Set<string>();
    let cited = 0;
    for (const seed of seeds(1500, 'mc')) {
      const text = render([round('T', [MC])], seed)[0]?.text ?? '';
      if (!text.includes('once a day')) continue;
      const pos = ['once a day', 'twice a day', 'never'].map((o) => text.indexOf(o));
      orders.add(
        pos
          .map((p, i) => [p, i] as const)
          .sort((a, b) => a[0] - b[0])
          .map((x) => x[1])
          .join(''),
      );
      const end = Math.max(...pos);
      // The answer comes after the list: the correct option's label, or its text for bullets.
      const styles = OPTION_ITEM_STYLES.filter(
        (s) => s.enumerated && [0, 1, 2].some((k) => text.includes(`${s.marker(k)}twice a day`)),
      );
      const after = text.slice(end + 5);
      if (styles.length === 0) expect(after).toContain('twice a day');
      else {
        const s = styles[styles.length - 1] as ItemStyle;
        const k = [0, 1, 2].find((j) => text.includes(`${s.marker(j)}twice a day`)) as number;
        expect(after).toContain(citedLabel(s, k));
        cited++;
      }
    }
    expect(orders.size).toBe(6);
    expect(cited).toBeGreaterThan(100);
  });

  it('a "none" answer is written in the template’s words and never listed as an option', () => {
    let listed = 0;
    for (const seed of seeds(400, 'none')) {
      const { texts, segments } = renderChainV2Traced([round('T', [MC_NONE])], seed);
      const text = texts[0]?.text ?? '';
      expect(text).toContain('Which gas do plants take in?');
      if (!text.includes('nitrogen')) {
        expect(text).toContain('None of the above'); // options left out: the plain answer
        continue;
      }
      listed++;
      // The listed block holds exactly the two options, and the answer is a "none" wording.
      const used = segments[0]?.used ?? {};
      const style = OPTION_ITEM_STYLES[used.option_items ?? -1] as ItemStyle;
      const heading = OPTION_HEADINGS[used.option_headings ?? -1] as string;
      const blocks = [
        ['oxygen', 'nitrogen'],
        ['nitrogen', 'oxygen'],
      ].flatMap((o) => ITEM_ENDS.map((end) => optionBlock(o, heading, style, end)));
      const block = blocks.find((b) => text.includes(b)) as string;
      expect(block, text).toBeDefined();
      const after = text.slice(text.indexOf(block) + block.length);
      expect(NONE_WORDINGS.some((w) => after.startsWith(`${style.marker(2)}${w}`))).toBe(false);
      expect(NONE_WORDINGS.some((w) => after.includes(w))).toBe(true);
    }
    expect(listed).toBeGreaterThan(100);
  });

  it('chain-of-thought: reasoning shown without its final period doubled', () => {
    for (const seed of S.slice(0, 300)) {
      const text = render([round('T', [COT])], seed)[0]?.text ?? '';
      expect(text).toContain('Do tides depend on the moon?');
      expect(text).not.toContain(TRIGGER);
      expect(text).not.toContain('them..');
      expect(text).toMatch(/yes/);
    }
  });

  it('inline few-shot shows reasoning only when every pair of the round has it', () => {
    let all = 0;
    let mixed = 0;
    for (const seed of seeds(3000, 'fewshot')) {
      const both = render([round('T', [COT2, COT, COT2])], seed)[0];
      if (both?.framing === 'fewshot') {
        all++;
        // The worked examples explain themselves; the exercise does not.
        expect(both.text).toContain('Sun and moon pull together then');
      }
      const some = render([round('T', [COT2, PLAIN, COT])], seed)[0];
      if (some?.framing === 'fewshot') {
        mixed++;
        expect(some.text).not.toContain('Sun and moon pull together then');
        expect(some.text).not.toContain('The text says the moon');
        expect(some.text).toContain('yes, they are');
      }
    }
    expect(all).toBeGreaterThan(50);
    expect(mixed).toBeGreaterThan(50);
  });

  it('keeps every kept pair’s question and answer and every round’s text verbatim', () => {
    const rounds = [
      round('one', [PLAIN, MC, COT, MC_NONE]),
      round('two', [{ question: 'Q {a} {o}?', answer: 'A {q}!' }, PLAIN, { ...MC, answer: 'x' }], true),
    ];
    for (const seed of S) {
      const out = render(rounds, seed);
      for (const t of out) for (const i of t.round_indexes) expect(t.text).toContain(rounds[i]?.text);
      const all = out.map((t) => t.text).join('\n');
      for (const r of rounds)
        for (const p of r.pairs) for (const f of keptFragments(p)) expect(all).toContain(f);
    }
  });

  it('is a pure function of (rounds, seed, version); the seed is per chain and per version', () => {
    const rounds = [round('one', [PLAIN, MC, COT]), round('two', [PLAIN, COT], true)];
    for (const seed of S.slice(0, 50)) expect(render(rounds, seed)).toEqual(render(rounds, seed));
    expect(new Set(S.slice(0, 50).map((s) => render(rounds, s)[0]?.text)).size).toBeGreaterThan(45);
    expect(templateSeed('a', V2)).not.toBe(templateSeed('a', 'ipt-templates-1'));
    expect(templateSeed('a', V2)).not.toBe(templateSeed('a', 'ipt-templates-3'));
    expect(() => render(rounds, 1)).not.toThrow();
    expect(() => renderChain(rounds, 1, 'ipt-templates-9')).toThrow(
      'template version "ipt-templates-9" is not available (this build has ipt-templates-1, ipt-templates-2, ipt-templates-3)',
    );
  });
});

describe('ipt-templates-2 frequencies (the reference’s, within sampling error)', () => {
  const N = 10_000;
  const shares = (rounds: readonly RenderRound[]) => {
    const counts: Partial<Record<Framing, number>> = {};
    for (const seed of seeds(N, 'freq')) {
      const f = render(rounds, seed)[0]?.framing as Framing;
      counts[f] = (counts[f] ?? 0) + 1;
    }
    return (f: Framing) => (counts[f] ?? 0) / N;
  };

  it('fewer than two pairs: classic 95 %, dialog 5 %; pairs first ≈ 5 % of classic', () => {
    const share = shares([round('T', [PLAIN])]);
    expect(share('classic') + share('pairs_first')).toBeCloseTo(0.95, 1);
    expect(Math.abs(share('dialog') - 0.05)).toBeLessThan(0.01);
    expect(Math.abs(share('pairs_first') - 0.95 * 0.05)).toBeLessThan(0.01);
    for (const f of ['numbered', 'fewshot', 'next_turn'] as const) expect(share(f)).toBe(0);
  });

  it('two or more pairs: classic 80 %, dialog, numbered, few-shot and next turn 5 % each', () => {
    const share = shares([round('T', [PLAIN, COT]), round('U', [MC, PLAIN], true)]);
    expect(Math.abs(share('classic') + share('pairs_first') - 0.8)).toBeLessThan(0.015);
    expect(Math.abs(share('pairs_first') - 0.8 * 0.05)).toBeLessThan(0.01);
    for (const f of ['dialog', 'numbered', 'fewshot', 'next_turn'] as const)
      expect(Math.abs(share(f) - 0.05), f).toBeLessThan(0.01);
  });

  it('classic: half without a reading opener, half without a comprehension opener', () => {
    let bareReading = 0;
    let noComprehension = 0;
    let classic = 0;
    for (const seed of seeds(N, 'open')) {
      const { texts, segments } = renderChainV2Traced([round('T', [PLAIN])], seed);
      if (texts[0]?.framing !== 'classic') continue;
      classic++;
      if (segments[0]?.used.reading_opener === undefined) bareReading++;
      if (segments[0]?.used.comprehension_opener === undefined) noComprehension++;
    }
    expect(Math.abs(bareReading / classic - 0.5)).toBeLessThan(0.02);
    expect(Math.abs(noComprehension / classic - 0.5)).toBeLessThan(0.02);
  });

  it('between rounds: mostly one or two blank lines, sometimes a line break, rarely a rule', () => {
    const counts = new Map<string, number>();
    for (const seed of seeds(N, 'sep')) {
      const text = render([round('AAA', [PLAIN]), round('ZZZ', [PLAIN], true)], seed)[0]?.text ?? '';
      const a = text.indexOf('AAA');
      const z = text.indexOf('ZZZ');
      // Where the text comes first, the separator sits right before the second round's text or
      // its opener; count the blank-line runs and rules that end the first round.
      const between = text.slice(a < z ? text.indexOf('The moon.', a) + 'The moon.'.length : 0, z);
      const sep = ['\n-----\n', '\n---\n', '\n\n\n', '\n\n', '\n'].find((s) => between.startsWith(s)) ?? '?';
      counts.set(sep, (counts.get(sep) ?? 0) + 1);
    }
    const share = (s: string) => (counts.get(s) ?? 0) / N;
    // The reference's ratios are 36 : 34 : 7 : 2 out of 79 (openers and headings after the
    // separator may start with further blank lines, so the blank-line shares are lower bounds).
    expect(share('\n---\n') + share('\n-----\n')).toBeGreaterThan(0.015);
    expect(share('\n---\n') + share('\n-----\n')).toBeLessThan(0.04);
    expect(share('\n\n\n') + share('\n\n') + share('\n')).toBeGreaterThan(0.95);
  });
});

describe('ipt-templates-2 variety: at least the reference’s count per family, all distinct', () => {
  const key = (p: PairPattern) => JSON.stringify(p);
  const inline = (p: InlinePattern) => JSON.stringify(p);
  const item = (s: ItemStyle) => JSON.stringify([0, 1, 2, 3].map(s.marker));
  const speakers = (s: { q: string; a: string }) => JSON.stringify(s);
  // Reference list lengths (read_compre_pt.py), and ours.
  const families: [string, number, string[]][] = [
    ['plain Q/A', 79, PLAIN_PATTERNS.map(key)],
    ['multiple choice', 48, OPTION_PATTERNS.map(key)],
    ['chain-of-thought', 210, COT_PATTERNS.map(key)],
    ['multiple choice + chain-of-thought', 240, OPTION_COT_PATTERNS.map(key)],
    ['numbered questions', 11, [...NUMBERED_FRAMES]],
    ['next turn', 15, [...NEXT_TURN_FRAMES]],
    ['inline few-shot, explained', 10, INLINE_EXPLAINED.map(inline)],
    ['inline few-shot, answers only', 10, INLINE_PLAIN.map(inline)],
    ['reading openers', 100, [...READING_OPENERS]],
    ['comprehension openers', 168, [...COMPREHENSION_OPENERS]],
    ['dialog speaker styles', 50, SPEAKER_STYLES.map(speakers)],
    ['option item styles', 87, OPTION_ITEM_STYLES.map(item)],
    ['option headings', 16, [...OPTION_HEADINGS]],
    ['numbered question items', 64, QUESTION_ITEM_STYLES.map(item)],
    ['pairs-first openers', 42, [...PAIRS_FIRST_OPENERS]],
    ['text-after-pairs openers', 60, [...TEXT_AFTER_PAIRS]],
    ['dialog headings', 15, [...DIALOG_HEADINGS]],
  ];
  it.each(families)('%s: ≥ %i, all distinct', (_name, reference, ours) => {
    expect(ours.length).toBeGreaterThanOrEqual(reference);
    expect(new Set(ours).size).toBe(ours.length);
  });

  it('every pattern has exactly the slots its family fills', () => {
    const slots = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    const pairSlots = (p: PairPattern) => slots(p.q + p.a);
    for (const p of PLAIN_PATTERNS) expect(pairSlots(p)).toEqual(['a', 'q']);
    for (const p of OPTION_PATTERNS_LISTED) expect(pairSlots(p)).toEqual(['a', 'o', 'q']);
    for (const p of OPTION_PATTERNS_ALONE) expect(pairSlots(p)).toEqual(['a', 'q']);
    for (const p of COT_PATTERNS) expect(pairSlots(p)).toEqual(['a', 'q', 'r']);
    for (const p of OPTION_COT_PATTERNS) expect(pairSlots(p)).toEqual(['a', 'o', 'q', 'r']);
    for (const p of [...PLAIN_PATTERNS, ...OPTION_PATTERNS, ...COT_PATTERNS, ...OPTION_COT_PATTERNS])
      expect(slots(p.qp + p.mid + p.ap + p.sep)).toEqual([]);
    for (const t of READING_OPENERS) expect(slots(t)).toEqual(['text']);
    for (const t of TEXT_AFTER_PAIRS) expect(slots(t)).toEqual(['text']);
    for (const t of PAIRS_FIRST_OPENERS) expect(slots(t)).toEqual(['pairs']);
    for (const t of COMPREHENSION_OPENERS) expect(slots(t)).toEqual([]);
    for (const t of NUMBERED_FRAMES) expect(slots(t)).toEqual(['as', 'qs', 'text']);
    for (const t of NEXT_TURN_FRAMES) expect(slots(t)).toEqual(['history', 'text', 'turn']);
    for (const [list, explained] of [
      [INLINE_EXPLAINED, true],
      [INLINE_PLAIN, false],
    ] as const)
      for (const p of list) {
        expect(slots(p.intro)).toEqual(['text']);
        expect(slots(p.exIn + p.testIn)).toEqual(['x', 'x']);
        expect(slots(p.exOut)).toEqual(explained ? ['r', 'y'] : ['y']);
        expect(slots(p.testOut)).toEqual(['y']);
      }
  });

  it('enumerated option styles label each option uniquely; bullets do not', () => {
    for (const s of OPTION_ITEM_STYLES) {
      const labels = Array.from({ length: 30 }, (_, i) => s.marker(i));
      expect(new Set(labels).size).toBe(s.enumerated ? 30 : 1);
    }
    const roman = OPTION_ITEM_STYLES.find((s) => s.marker(3) === '\n(IV) ') as ItemStyle;
    expect(optionBlock(['a', 'b'], 'Choices:', roman, ';')).toBe('Choices:\n(I) a;\n(II) b;');
    expect(citedLabel(roman, 1)).toBe('(II)');
  });

  it('a slot value is never read as a slot', () => {
    expect(fill('Q: {q}\nA: {a}', { q: 'what is {a}?', a: '{q}' })).toBe('Q: what is {a}?\nA: {q}');
    expect(() => fill('{nope}', {})).toThrow(/\{nope\}/);
  });
});
