// Document texts for benchmarks. English-like text whose words follow Zipf's law (s = 1) over
// 200 000 word types — the demo corpus's ~3 000 real words by frequency, then made-up words — with
// capitals, punctuation, numbers and paragraph breaks: the token counter's piece cache sees a long
// tail of rare words, as it would on web text (a small vocabulary would make counting look free).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../core/prng.ts';

const TYPES = 200_000;

function vocabulary(rng: Rng): string[] {
  const corpus = readFileSync(join(import.meta.dirname, '../demo/corpus/sample.jsonl'), 'utf8');
  const freq = new Map<string, number>();
  for (const w of corpus.toLowerCase().match(/[a-z']+/g) ?? []) freq.set(w, (freq.get(w) ?? 0) + 1);
  const words = [...freq.entries()].sort((a, b) => b[1] - a[1]).map(([w]) => w);
  const seen = new Set(words);
  const syll =
    'ba be ca co de di fa ge ha in jo ka la le ma mo na ne or pa pe ra re sa se ta ti to un ve wa'.split(' ');
  while (words.length < TYPES) {
    let w = '';
    for (let k = 2 + rng.int(3); k > 0; k--) w += rng.pick(syll);
    if (!seen.has(w)) {
      seen.add(w);
      words.push(w);
    }
  }
  return words;
}

/** Draws ranks with P(r) ∝ 1/r. */
function zipf(rng: Rng, n: number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let r = 0; r < n; r++) {
    sum += 1 / (r + 1);
    cdf[r] = sum;
  }
  return () => {
    const u = rng.float() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export class WebText {
  readonly rng: Rng;
  private readonly words: string[];
  private readonly rank: () => number;

  constructor(seed = 1) {
    this.rng = new Rng(seed);
    this.words = vocabulary(this.rng);
    this.rank = zipf(this.rng, this.words.length);
  }

  readonly zipfWord = (): string => this.words[this.rank()] as string;

  /** About `bytes` UTF-16 units of sentences made of `word()`s. */
  make(bytes: number, word: () => string = this.zipfWord): string {
    const rng = this.rng;
    let s = '';
    let capital = true;
    while (s.length < bytes) {
      let w = word();
      if (capital) w = w.charAt(0).toUpperCase() + w.slice(1);
      capital = false;
      const r = rng.float();
      if (r < 0.005) w = `${1 + rng.int(2030)}`;
      s += w;
      if (r < 0.04) s += ', ';
      else if (r < 0.1) {
        s += rng.chance(0.15) ? '.\n\n' : '. ';
        capital = true;
      } else s += ' ';
    }
    return s.slice(0, bytes).trim();
  }
}

/**
 * 54 common words: text drawn from them is nearly all token-cache hits, so counting it is almost
 * free — what a pipeline costs apart from the tokenizer (bench/ingest.ts uses the same words).
 */
export const NARROW_WORDS =
  'the of and to in a is that for it as was with be by on not he this are or his from at which but have an they you were her she there one all we their can has been if more when will would who so no tides moon because however therefore protein market harbor council engine'.split(
    ' ',
  );
