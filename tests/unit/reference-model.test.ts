import { describe, expect, it } from 'vitest';
import { referenceChain, referenceKeeps } from '../../bench/reference/model.ts';
import { REFERENCE_NONE } from '../../bench/reference/none-answers.ts';
import { PythonRandom } from '../../bench/reference/python-random.ts';
import { judgePair } from '../../core/templates/v3/rules.ts';

// Expected values are what CPython 3.11 prints for random.Random(seed).choice(range(79)),
// .choice(range(240)), .choices(range(5), weights=[80, 5, 5, 5, 5])[0], .random() and
// .shuffle([0, 1, 2, 3, 4]), each on a fresh Random(seed).
const CPYTHON: [number, number, number, number, number, number[]][] = [
  [0, 49, 216, 1, 0.8444218515250481, [2, 1, 0, 4, 3]],
  [1, 17, 34, 0, 0.13436424411240122, [2, 3, 4, 0, 1]],
  [12345, 53, 106, 0, 0.41661987254534116, [4, 2, 1, 0, 3]],
  [99999, 15, 30, 0, 0.12049047611259744, [1, 4, 3, 2, 0]],
  [5000000000, 11, 22, 0, 0.08666010167354754, [3, 2, 1, 4, 0]],
];

describe("the fidelity bench's model of Python's random.Random", () => {
  it('draws exactly what CPython draws for the same integer seed', () => {
    for (const [seed, c79, c240, weighted, float, shuffled] of CPYTHON) {
      expect(new PythonRandom(seed).choiceIndex(79), `seed ${seed}`).toBe(c79);
      expect(new PythonRandom(seed).choiceIndex(240)).toBe(c240);
      expect(new PythonRandom(seed).choicesIndex([80, 5, 5, 5, 5])).toBe(weighted);
      expect(new PythonRandom(seed).random()).toBe(float);
      expect(new PythonRandom(seed).shuffle([0, 1, 2, 3, 4])).toEqual(shuffled);
    }
  });
});

describe("the fidelity bench's model of the reference", () => {
  const q = 'Q?\nOptions:\n- a\n- b';
  it('keeps and drops "no option fits" answers as the reference does (and as ipt-templates-3 does)', () => {
    for (const a of ['None of the above choices', 'No option works', 'None are right', 'none']) {
      expect(referenceKeeps({ question: q, answer: a }, REFERENCE_NONE), a).toEqual({
        kind: 'options',
        none: true,
      });
      expect(judgePair({ question: q, answer: a }).keep, a).toBe(true);
    }
    for (const a of ['None of the above', 'None of these', 'Not listed', 'Unknown', 'Neither', 'NONE']) {
      expect(referenceKeeps({ question: q, answer: a }, REFERENCE_NONE), a).toBeNull();
      expect(judgePair({ question: q, answer: a }).keep, a).toBe(false);
    }
  });

  it('draws the same choices for every segment of a chain; pairs first only inside classic', () => {
    const pair = { question: 'Why?', answer: 'So.' };
    const rounds = [0, 1, 2].map(() => ({ pairs: [pair], inherit_from_prev: false }));
    for (let seed = 12345; seed < 13345; seed++) {
      const [a, b, c] = referenceChain(rounds, seed, REFERENCE_NONE);
      expect(b).toEqual(a);
      expect(c).toEqual(a);
      if (a?.inverted) expect(a.mode).toBe('classic');
    }
  });
});
