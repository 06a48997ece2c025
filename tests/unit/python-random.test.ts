import { describe, expect, it } from 'vitest';
import { PythonRandom } from '../../bench/reference/python-random.ts';

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
