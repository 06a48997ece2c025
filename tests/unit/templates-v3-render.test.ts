// ipt-templates-3 rendering: one test per layout of the reference (each finds a seed whose
// replayed draws pick that layout and checks the written text), the list lengths the draws depend
// on, and the variety of ipt's own wording.

import { describe, expect, it } from 'vitest';
import { renderChain } from '../../core/templates/render.ts';
import type { RenderRound } from '../../core/templates/segments.ts';
import * as F from '../../core/templates/v3/framings.ts';
import { joinersOf, LIST_SHAPES, ordersOf } from '../../core/templates/v3/layout.ts';
import {
  COT_PATTERNS,
  OPTION_COT_PATTERNS,
  OPTION_PATTERNS,
  type PairPattern,
  PLAIN_PATTERNS,
} from '../../core/templates/v3/pairs.ts';
import { renderChainV3Traced, type SegmentTrace } from '../../core/templates/v3/render.ts';
import type { QAPair } from '../../core/types.ts';

const T = "\nLet's think step by step.";
const C = '\nTherefore, the answer is ';
const PLAIN: QAPair = { question: 'What pulls the sea?', answer: 'The moon pulls it.' };
const PLAIN2: QAPair = { question: 'How often is high tide?', answer: 'Twice daily.' };
const COT: QAPair = {
  question: `Why are there two tides?${T}`,
  answer: `The earth turns under the bulge.${C}rotation`,
};
const MC: QAPair = {
  question: 'Which body pulls most?\nOptions:\n- the sun\n- the moon',
  answer: 'the moon',
};
const MC_COT: QAPair = {
  question: `Which is closer?\nOptions:\n- the sun\n- the moon${T}`,
  answer: `The moon is far nearer.${C}the moon`,
};
const NONE: QAPair = { question: 'Which planet?\nOptions:\n- Mars\n- Venus', answer: 'None' };
const round = (text: string, pairs: QAPair[], inherit = false): RenderRound => ({
  text,
  pairs,
  inherit_from_prev: inherit,
});

/** The first seed whose rendering satisfies `want`, with its texts and trace. */
function find(rounds: RenderRound[], want: (s: SegmentTrace) => boolean) {
  for (let seed = 1; seed < 200_000; seed++) {
    const r = renderChainV3Traced(rounds, seed);
    if (r.segments[0] && want(r.segments[0])) return { ...r, text: r.texts[0]?.text ?? '' };
  }
  throw new Error('no seed gives that layout');
}
const orderOf = (s: SegmentTrace, pair = 0, rnd = 0) => s.rounds[rnd]?.pairs[pair]?.order;
const inOrder = (text: string, a: string, b: string) => {
  expect(text).toContain(a);
  expect(text).toContain(b);
  expect(text.indexOf(a)).toBeLessThan(text.indexOf(b));
};

describe('ipt-templates-3 layouts', () => {
  const one = (p: QAPair) => [round('The sea rises and falls.', [p])];

  it('plain: the question then its answer', () => {
    const r = find(one(PLAIN), (s) => orderOf(s) === 'q|a');
    inOrder(r.text, PLAIN.question, PLAIN.answer);
  });

  it('plain: the answer written before its question', () => {
    const r = find(one(PLAIN), (s) => orderOf(s) === 'a|q');
    inOrder(r.text, PLAIN.answer, PLAIN.question);
  });

  it('plain: question-only patterns leave the answer out', () => {
    const r = find(one(PLAIN), (s) => orderOf(s) === '|q');
    expect(r.text).toContain(PLAIN.question);
    expect(r.text).not.toContain(PLAIN.answer);
  });

  it.each([
    ['q|ra', ['Why are there two tides?', 'The earth turns', 'rotation']],
    ['q|ar', ['Why are there two tides?', 'rotation', 'The earth turns']],
    ['qa|r', ['Why are there two tides?', 'rotation', 'The earth turns']],
    ['ra|q', ['The earth turns', 'rotation', 'Why are there two tides?']],
    ['a|qr', ['rotation', 'Why are there two tides?', 'The earth turns']],
    ['r|qa', ['The earth turns', 'Why are there two tides?', 'rotation']],
  ])('chain of thought, order %s', (order, parts) => {
    const r = find(one(COT), (s) => s.framing === 'classic' && orderOf(s) === order);
    inOrder(r.text, parts[0] as string, parts[1] as string);
    inOrder(r.text, parts[1] as string, parts[2] as string);
    expect(r.text).not.toContain('under the bulge..');
  });

  it('multiple choice: options listed before the question', () => {
    const r = find(one(MC), (s) => orderOf(s) === 'oq|a');
    inOrder(r.text, 'the sun', 'Which body pulls most?');
  });

  it('multiple choice: patterns without the options give the answer itself', () => {
    const r = find(one(MC), (s) => s.framing === 'classic' && orderOf(s) === 'q|a');
    expect(r.text).not.toContain('the sun');
    inOrder(r.text, 'Which body pulls most?', 'the moon');
  });

  it('multiple choice + reasoning: reasoning, or options, before the question', () => {
    const r = find(one(MC_COT), (s) => orderOf(s) === 'ra|qo');
    inOrder(r.text, 'far nearer', 'Which is closer?');
    const o = find(one(MC_COT), (s) => orderOf(s) === 'oq|ra');
    inOrder(o.text, 'the sun', 'Which is closer?');
  });

  it('listed options: the answer cited by its label, or by its text with bullets', () => {
    const label = find(one(MC), (s) => s.rounds[0]?.pairs[0]?.cited === 'label');
    const style = F.OPTION_ITEM_STYLES[label.segments[0]?.choices?.optionItems ?? -1];
    expect(style?.enumerated).toBe(true);
    const text = find(one(MC), (s) => s.rounds[0]?.pairs[0]?.cited === 'text');
    expect(text.segments[0]?.choices?.optionItems).toBeLessThan(23);
  });

  it('a "none" answer is stated in ipt\'s words and never listed as an option', () => {
    const r = find(one(NONE), (s) => s.rounds[0]?.pairs[0]?.cited === 'none');
    expect(r.text).toContain('Mars');
    expect(r.text.split('\n').some((l) => /^\s*\W*\s*None$/.test(l))).toBe(false);
  });

  const two = (text: string) => round(text, [PLAIN, PLAIN2]);

  it('numbered: answers before their questions', () => {
    const r = find([two('Tides.')], (s) => s.framing === 'numbered' && s.rounds[0]?.frameOrder === 'ca|q');
    inOrder(r.text, PLAIN2.answer, PLAIN.question);
  });

  it('numbered: questions then answers', () => {
    const r = find([two('Tides.')], (s) => s.framing === 'numbered' && s.rounds[0]?.frameOrder === 'cq|a');
    inOrder(r.text, PLAIN2.question, PLAIN.answer);
  });

  it('next turn: the last turn written first, then the history', () => {
    const r = find([two('Tides.')], (s) => s.framing === 'next_turn' && s.rounds[0]?.frameOrder === 'a|d');
    inOrder(r.text, PLAIN2.question, PLAIN.question);
    const h = find([two('Tides.')], (s) => s.framing === 'next_turn' && s.rounds[0]?.frameOrder === 'd|a');
    inOrder(h.text, PLAIN.question, PLAIN2.question);
  });

  it('dialogue: every pair between the same two speakers', () => {
    const r = find([two('Tides.')], (s) => s.framing === 'dialog');
    const speakers = F.SPEAKER_STYLES[r.segments[0]?.choices?.speakers ?? -1];
    expect(r.text.split(speakers?.q as string).length).toBeGreaterThan(2);
  });

  it('inline few-shot: reasoning shown only when every pair has it', () => {
    const withCot = find([round('Tides.', [COT, COT])], (s) => s.framing === 'fewshot');
    expect(withCot.text).toContain('The earth turns under the bulge');
    const mixed = find([round('Tides.', [COT, PLAIN])], (s) => s.framing === 'fewshot');
    expect(mixed.text).not.toContain('The earth turns under the bulge');
  });

  it('pairs first: only inside the classic framing, pairs before the text', () => {
    const r = find([two('The sea text.')], (s) => s.framing === 'pairs_first');
    inOrder(r.text, PLAIN.question, 'The sea text.');
    expect(r.segments[0]?.choices?.mode).toBe('classic');
  });

  it('classic: without a comprehension opener the text goes straight to the pairs', () => {
    const r = find(
      [two('The sea text.')],
      (s) => s.framing === 'classic' && s.comprehensionOpener === false && s.readingOpener === false,
    );
    const sep = PLAIN_PATTERNS[r.segments[0]?.choices?.plain ?? -1]?.separator as string;
    expect(r.text.startsWith(`The sea text.${sep}`)).toBe(true);
  });

  it('every segment of a chain is rendered with the same choices', () => {
    const rounds = [two('One.'), round('Two.', [PLAIN, COT]), two('Three.')];
    rounds[2] = { ...(rounds[2] as RenderRound), inherit_from_prev: false };
    rounds[1] = { ...(rounds[1] as RenderRound), inherit_from_prev: false };
    for (let seed = 1; seed < 300; seed++) {
      const { segments } = renderChainV3Traced(rounds, seed);
      expect(segments[1]?.choices).toEqual(segments[0]?.choices);
      expect(segments[2]?.choices).toEqual(segments[0]?.choices);
    }
  });

  it('rounds of a segment are joined by the separator the next seed draws', () => {
    const rounds = [two('One.'), { ...two('Two.'), inherit_from_prev: true }];
    const r = find(rounds, (s) => s.framing === 'classic');
    expect(r.texts).toHaveLength(1);
    expect(r.text).toContain('One.');
    expect(r.text).toContain('Two.');
  });

  it('keeps every round text and every kept question verbatim; the default version is v3', () => {
    const rounds = [
      round('A {text} with braces.', [PLAIN, MC, COT, NONE]),
      round('B.', [MC_COT, PLAIN], true),
    ];
    for (let seed = 1; seed < 400; seed++) {
      const all = renderChain(rounds, seed)
        .map((t) => t.text)
        .join('\n');
      for (const s of [
        'A {text} with braces.',
        'B.',
        'What pulls the sea?',
        'Which body pulls most?',
        'Which is closer?',
      ])
        expect(all).toContain(s);
    }
  });
});

const slotsOf = (p: PairPattern, side: 'inputs' | 'targets') =>
  [...p[side].matchAll(/\{([qoar])\}/g)].map((m) => m[1]).join('');

describe('ipt-templates-3 pattern lists', () => {
  it.each([
    ['plain', PLAIN_PATTERNS, LIST_SHAPES.PLAIN],
    ['multiple choice', OPTION_PATTERNS, LIST_SHAPES.OPTIONS],
    ['chain of thought', COT_PATTERNS, LIST_SHAPES.COT],
    ['multiple choice + chain of thought', OPTION_COT_PATTERNS, LIST_SHAPES.OPTIONS_COT],
  ] as const)('%s: the reference shape position by position, every pattern distinct', (_n, list, shape) => {
    const orders = ordersOf(shape);
    const joiners = joinersOf(shape);
    expect(list).toHaveLength(orders.length);
    list.forEach((p, k) => {
      expect(p.order).toBe(orders[k]);
      expect(`${slotsOf(p, 'inputs')}|${slotsOf(p, 'targets')}`).toBe(orders[k]);
      expect({ delimiter: p.delimiter, separator: p.separator }).toEqual(joiners[k]);
    });
    expect(new Set(list.map((p) => JSON.stringify(p))).size).toBe(list.length);
  });

  it('the other lists have the reference lengths (the draws depend on them) and their kinds where they matter', () => {
    expect(F.READING_OPENERS).toHaveLength(100);
    expect(F.READING_OPENERS.slice(0, 50).every((s) => s === '{text}')).toBe(true);
    expect(new Set(F.READING_OPENERS.slice(50)).size).toBe(50);
    expect(F.COMPREHENSION_OPENERS).toHaveLength(168);
    expect(new Set(F.COMPREHENSION_OPENERS.slice(0, 84)).size).toBe(84);
    expect(F.COMPREHENSION_OPENERS.slice(84).every((s) => s === '')).toBe(true);
    expect(F.OPTION_ITEM_STYLES).toHaveLength(87);
    expect(F.OPTION_ITEM_STYLES.map((s) => s.enumerated).indexOf(true)).toBe(23);
    expect(new Set(F.OPTION_ITEM_STYLES.map((s) => s.marker(0) + s.marker(1))).size).toBe(87);
    expect(new Set(F.OPTION_HEADINGS).size).toBe(16);
    expect(new Set(F.SPEAKER_STYLES.map((s) => s.q + s.a)).size).toBe(50);
    expect(new Set(F.QUESTION_ITEM_STYLES.map((s) => s.marker(1))).size).toBe(64);
    expect(new Set(F.NUMBERED_FRAMES.map((f) => f.inputs + f.targets)).size).toBe(11);
    expect(new Set(F.NEXT_TURN_FRAMES.map((f) => f.inputs + f.targets)).size).toBe(15);
    expect(new Set(F.INLINE_EXPLAINED.map((p) => JSON.stringify(p))).size).toBe(10);
    expect(new Set(F.INLINE_PLAIN.map((p) => JSON.stringify(p))).size).toBe(10);
    expect([F.PAIRS_FIRST_OPENERS.length, F.PAIRS_FIRST_ENDS.length, F.TEXT_AFTER_PAIRS.length]).toEqual([
      42, 8, 60,
    ]);
    expect([F.DIALOG_JOINS.length, F.DIALOG_HEADINGS.length, F.DIALOG_ENDS.length]).toEqual([4, 15, 3]);
  });
});
