// ipt-templates-3 draws the way the reference does (LMOps instruction_pretrain): every draw starts
// a fresh generator from the same seed, so one chain's draws are not independent: a list's index
// and a weighted choice both come from the stream's first words, which is why the reference writes
// pairs first only inside its classic framing and why its pattern kinds go together (see
// ARCHITECTURE.md §2). The derivations follow CPython's `random.Random` (choice by rejection on
// the top bits of a 32-bit word, random() from two words, Fisher–Yates shuffle); the 32-bit words
// come from mulberry32 instead of the Mersenne Twister: same distribution and same coupling
// between draws, not the same stream.

import { mulberry32 } from '../../prng.ts';

/** Number of bits needed to write n (CPython's int.bit_length). */
const bitLength = (n: number): number => (n === 0 ? 0 : 32 - Math.clz32(n));

/** A generator that yields CPython-style values from one fresh 32-bit stream. */
class Stream {
  private readonly next: () => number;
  constructor(seed: number) {
    const floats = mulberry32(seed);
    this.next = () => Math.floor(floats() * 4294967296) >>> 0;
  }
  /** The top k bits of the next word (0 < k ≤ 32). */
  bits(k: number): number {
    return k === 32 ? this.next() : this.next() >>> (32 - k);
  }
  /** Uniform integer in [0, n) by rejection, as CPython's _randbelow. */
  below(n: number): number {
    const k = bitLength(n);
    let r = this.bits(k);
    while (r >= n) r = this.bits(k);
    return r;
  }
  /** A double in [0, 1) from two words, as CPython's random(). */
  float(): number {
    const a = this.next() >>> 5;
    const b = this.next() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
}

/** Draws that all restart from one seed: the same list length always gives the same index. */
export class ReplayedDraws {
  constructor(readonly seed: number) {}

  /** Index into a list of n items (n ≥ 1). */
  index(n: number): number {
    if (n < 1) throw new RangeError('index into an empty list');
    return new Stream(this.seed).below(n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.index(items.length)] as T;
  }

  /** Index chosen with probability proportional to its weight (cumulative weights, bisect right). */
  weighted(weights: readonly number[]): number {
    const cumulative: number[] = [];
    let total = 0;
    for (const w of weights) {
      total += w;
      cumulative.push(total);
    }
    if (!(total > 0)) throw new RangeError('no positive weight');
    const x = new Stream(this.seed).float() * total;
    let lo = 0;
    let hi = weights.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (x < (cumulative[mid] as number)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Fisher–Yates from the last item down, on a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const s = new Stream(this.seed);
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = s.below(i + 1);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }
}
