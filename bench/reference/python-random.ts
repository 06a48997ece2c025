// CPython's `random.Random(seed)` for integer seeds, written for the fidelity bench's model of the
// reference (LMOps instruction_pretrain) so that it makes the very draws the reference makes:
// MT19937 seeded by init_by_array over the seed's 32-bit words, choice() by rejection on the top
// bits of one word, random() from two words, choices() by bisecting cumulative weights, shuffle()
// from the last item down. Written from the algorithms' published descriptions.

const N = 624;
const M = 397;

class MersenneTwister {
  private readonly mt = new Uint32Array(N);
  private i = N;

  constructor(key: readonly number[]) {
    const mt = this.mt;
    mt[0] = 19650218;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] as number;
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1] as number;
      mt[i] = ((mt[i] as number) ^ Math.imul(prev ^ (prev >>> 30), 1664525)) + (key[j] as number) + j;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1] as number;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1] as number;
      mt[i] = ((mt[i] as number) ^ Math.imul(prev ^ (prev >>> 30), 1566083941)) - i;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1] as number;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  private twist(): void {
    const mt = this.mt;
    for (let k = 0; k < N; k++) {
      const y = ((mt[k] as number) & 0x80000000) | ((mt[(k + 1) % N] as number) & 0x7fffffff);
      mt[k] = (mt[(k + M) % N] as number) ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.i = 0;
  }

  next(): number {
    if (this.i >= N) this.twist();
    let y = this.mt[this.i++] as number;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

/** The 32-bit words of a non-negative integer seed, least significant first (at least one). */
function seedWords(seed: number): number[] {
  let n = Math.abs(Math.trunc(seed));
  const words: number[] = [];
  do {
    words.push(n % 4294967296);
    n = Math.floor(n / 4294967296);
  } while (n > 0);
  return words;
}

const bitLength = (n: number): number => (n === 0 ? 0 : 32 - Math.clz32(n));

export class PythonRandom {
  private readonly mt: MersenneTwister;
  constructor(seed: number) {
    this.mt = new MersenneTwister(seedWords(seed));
  }
  private bits(k: number): number {
    return k === 32 ? this.mt.next() : this.mt.next() >>> (32 - k);
  }
  randbelow(n: number): number {
    const k = bitLength(n);
    let r = this.bits(k);
    while (r >= n) r = this.bits(k);
    return r;
  }
  random(): number {
    const a = this.mt.next() >>> 5;
    const b = this.mt.next() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
  choiceIndex(n: number): number {
    return this.randbelow(n);
  }
  choicesIndex(weights: readonly number[]): number {
    const cum: number[] = [];
    let total = 0;
    for (const w of weights) {
      total += w;
      cum.push(total);
    }
    const x = this.random() * total;
    let lo = 0;
    let hi = weights.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (x < (cum[mid] as number)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }
}
