import { describe, expect, it } from 'vitest';
import { ReplayedDraws } from '../../core/templates/v3/draws.ts';
import { joinersOf, LIST_SHAPES, ordersOf } from '../../core/templates/v3/layout.ts';
import { isNoneAnswer } from '../../core/templates/v3/none.ts';
import { judgePair, matchOption, pyStrip } from '../../core/templates/v3/rules.ts';

const T = "\nLet's think step by step.";
const C = '\nTherefore, the answer is ';
const mc = (q: string, opts: string[]) => `${q}\nOptions:\n- ${opts.join('\n- ')}`;

describe('ipt-templates-3 keep/drop rules', () => {
  it('keeps a plain pair as it is', () => {
    expect(judgePair({ question: 'Why?', answer: 'Because.' })).toEqual({
      keep: true,
      pair: {
        kind: 'plain',
        question: 'Why?',
        answer: 'Because.',
        reasoning: null,
        options: null,
        none: false,
      },
    });
  });

  it('splits chain of thought; the reasoning loses one final period', () => {
    const v = judgePair({ question: `Why? ${T}`, answer: `It rains..${C}wet ` });
    expect(v).toMatchObject({
      keep: true,
      pair: { kind: 'cot', question: 'Why?', reasoning: 'It rains.', answer: 'wet' },
    });
  });

  it('drops chain of thought whose trigger is not at the end, whose conclusion is missing or twice', () => {
    expect(judgePair({ question: `Why?${T} more`, answer: `r${C}a` })).toEqual({
      keep: false,
      reason: 'cot_malformed',
    });
    expect(judgePair({ question: `Why?${T}`, answer: 'no conclusion' })).toEqual({
      keep: false,
      reason: 'cot_malformed',
    });
    expect(judgePair({ question: `Why?${T}`, answer: `r${C}a${C}b` })).toEqual({
      keep: false,
      reason: 'cot_malformed',
    });
    expect(judgePair({ question: 'Why?', answer: `r${C}a` })).toEqual({
      keep: false,
      reason: 'cot_malformed',
    });
  });

  it('drops chain of thought with an empty question, reasoning (after its period) or answer', () => {
    expect(judgePair({ question: ` ${T}`, answer: `r${C}a` })).toMatchObject({ keep: false });
    expect(judgePair({ question: `Q${T}`, answer: ` .${C}a` })).toMatchObject({ keep: false });
    expect(judgePair({ question: `Q${T}`, answer: `r${C} ` })).toMatchObject({ keep: false });
  });

  it('keeps multiple choice whose answer equals an option once both are stripped', () => {
    const v = judgePair({ question: mc('Pick', ['red ', 'blue']), answer: 'red' });
    expect(v).toMatchObject({
      keep: true,
      pair: { kind: 'options', question: 'Pick', options: ['red ', 'blue'], none: false },
    });
    expect(matchOption(['a', ' b\t'], 'b')).toBe(1);
  });

  it('drops multiple choice with the marker twice, an empty stem, or no matching option', () => {
    expect(judgePair({ question: `${mc('Q', ['a'])}\nOptions:\n- b`, answer: 'a' })).toEqual({
      keep: false,
      reason: 'options_malformed',
    });
    expect(judgePair({ question: mc('', ['a']), answer: 'a' })).toEqual({
      keep: false,
      reason: 'options_malformed',
    });
    expect(judgePair({ question: mc('Q', ['a', 'b']), answer: 'c' })).toEqual({
      keep: false,
      reason: 'no_matching_option',
    });
  });

  it('reads options and reasoning together', () => {
    const v = judgePair({ question: mc('Q', ['a', 'b']) + T, answer: `since b.${C}b` });
    expect(v).toMatchObject({ keep: true, pair: { kind: 'options_cot', reasoning: 'since b', answer: 'b' } });
  });

  it('"no option fits": exactly the reference list, as written or lower-cased, nothing else', () => {
    for (const kept of [
      'None',
      'none',
      'None of the above choices',
      'No option works',
      'None are right',
      'nothing fits',
    ]) {
      expect(isNoneAnswer(kept), kept).toBe(true);
      expect(judgePair({ question: mc('Q', ['a', 'b']), answer: kept })).toMatchObject({
        keep: true,
        pair: { none: true },
      });
    }
    for (const dropped of [
      'None of the above',
      'None of these',
      'Not listed',
      'Unknown',
      'Neither',
      'NONE',
      'None of the options fit',
    ]) {
      expect(isNoneAnswer(dropped), dropped).toBe(false);
      expect(judgePair({ question: mc('Q', ['a', 'b']), answer: dropped })).toEqual({
        keep: false,
        reason: 'no_matching_option',
      });
    }
    // The reference's glued entry matches whole.
    expect(
      isNoneAnswer(
        'None of the available choices adequately meet the specified conditionsNone of the options fit',
      ),
    ).toBe(true);
  });

  it('a "none" answer that is itself an option is that option', () => {
    expect(judgePair({ question: mc('Q', ['a', 'None']), answer: 'None' })).toMatchObject({
      keep: true,
      pair: { none: false },
    });
  });

  it("strips whitespace as Python's str.strip() does", () => {
    expect(pyStrip('\u001f a \u0085')).toBe('a');
    expect(pyStrip('\ufeffa')).toBe('\ufeffa');
    expect(matchOption(['x\u001c'], 'x')).toBe(0);
  });
});

describe('ipt-templates-3 draws', () => {
  it('every draw restarts from the seed: the same list length gives the same index', () => {
    const d = new ReplayedDraws(12345);
    expect(d.index(79)).toBe(d.index(79));
    expect(d.shuffle([1, 2, 3, 4])).toEqual(d.shuffle([1, 2, 3, 4]));
  });

  it('couples a weighted choice with list indexes, as the reference: the 5 % side implies the 95 % side', () => {
    for (let seed = 0; seed < 5000; seed++) {
      const d = new ReplayedDraws(seed);
      if (d.weighted([5, 95]) === 0) expect(d.weighted([95, 5])).toBe(0);
    }
  });

  it('indexes are uniform over seeds (rejection keeps them unbiased)', () => {
    const counts = new Array(3).fill(0);
    for (let seed = 0; seed < 30000; seed++) counts[new ReplayedDraws(seed).index(3)]++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(400);
  });

  it('weighted choices follow their weights', () => {
    let low = 0;
    for (let seed = 0; seed < 20000; seed++) low += new ReplayedDraws(seed).weighted([5, 95]) === 0 ? 1 : 0;
    expect(Math.abs(low / 20000 - 0.05)).toBeLessThan(0.006);
  });
});

describe('ipt-templates-3 list shapes', () => {
  it('has the reference lengths, and a delimiter and separator per position', () => {
    const lengths = { PLAIN: 79, OPTIONS: 48, COT: 210, OPTIONS_COT: 240, NUMBERED: 11, NEXT_TURN: 15 };
    for (const [name, n] of Object.entries(lengths)) {
      const shape = LIST_SHAPES[name as keyof typeof LIST_SHAPES];
      expect(ordersOf(shape), name).toHaveLength(n);
      const joiners = joinersOf(shape);
      expect(joiners, name).toHaveLength(n);
      for (const j of joiners)
        expect(typeof j.delimiter === 'string' && typeof j.separator === 'string').toBe(true);
    }
  });

  it('half the multiple-choice list shows the options; answers first close the plain list', () => {
    const options = ordersOf(LIST_SHAPES.OPTIONS);
    expect(options.slice(0, 24).every((o) => o.includes('o'))).toBe(true);
    expect(options.slice(24).every((o) => o === 'q|a')).toBe(true);
    expect(ordersOf(LIST_SHAPES.PLAIN).slice(69)).toEqual(new Array(10).fill('a|q'));
  });
});
