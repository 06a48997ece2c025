// MinHash signatures and LSH banding for near-duplicate detection, as the fuzzy dedup of RefinedWeb
// and DataTrove does it: the text is simplified (lower case, words only), cut into word 5-grams,
// and each of `bands × rows` seeded hash functions keeps its smallest value over the shingles. Two
// texts agree on one function with probability equal to the Jaccard similarity of their shingle
// sets, so the share of equal values estimates it; LSH makes a document a candidate when all `rows`
// values of any one band agree, which only texts of high similarity do. Pure: no I/O, no state.

export interface MinHashParams {
  /** Words per shingle. */
  shingle: number;
  bands: number;
  rows: number;
  /** Seeds the hash family: signatures are comparable only between equal seeds. */
  seed: number;
}

/** DataTrove's MinhashConfig defaults: 5-grams, 14 bands of 8 hashes, seed 1. */
export const DEFAULT_MINHASH: MinHashParams = { shingle: 5, bands: 14, rows: 8, seed: 1 };

export type Signature = Uint32Array;

const WORD = /[\p{L}\p{N}]+/gu;

/** The words of a text, lower case, punctuation dropped (so boilerplate punctuation cannot differ). */
export const words = (text: string): string[] => text.toLowerCase().match(WORD) ?? [];

/** murmur3's 32-bit finalizer: spreads every input bit over the output. */
function fmix32(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** FNV-1a over the UTF-16 code units of a string, finalized. */
function hashString(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/** The hash family: n (multiplier, offset) pairs drawn from the seed; function i is fmix(a·x + b). */
function family(n: number, seed: number): Uint32Array {
  const out = new Uint32Array(2 * n);
  let state = fmix32(seed ^ 0x9e3779b9);
  for (let i = 0; i < out.length; i++) {
    state = fmix32(state + 0x6d2b79f5);
    out[i] = i % 2 === 0 ? state | 1 : state;
  }
  return out;
}

const families = new Map<string, Uint32Array>();
function familyOf(params: MinHashParams): Uint32Array {
  const n = params.bands * params.rows;
  const key = `${n}:${params.seed}`;
  let f = families.get(key);
  if (!f) {
    f = family(n, params.seed);
    families.set(key, f);
  }
  return f;
}

/** The hashes of the text's distinct word shingles (a text shorter than one shingle is one). */
export function shingleHashes(text: string, params: MinHashParams): Set<number> {
  // Each word is hashed once; a shingle's hash mixes its words' hashes in order.
  const hashes = words(text).map((w) => hashString(w, params.seed));
  const out = new Set<number>();
  const n = Math.min(params.shingle, hashes.length);
  for (let i = 0; i + n <= hashes.length && n > 0; i++) {
    let h = params.seed;
    for (let j = i; j < i + n; j++) h = fmix32(Math.imul(h ^ (hashes[j] as number), 0x01000193) + j - i);
    out.add(h);
  }
  return out;
}

/** The MinHash signature: `bands × rows` minima. An empty text's is all 0xffffffff. */
export function signature(text: string, params: MinHashParams = DEFAULT_MINHASH): Signature {
  const f = familyOf(params);
  const n = params.bands * params.rows;
  const sig = new Uint32Array(n).fill(0xffffffff);
  for (const x of shingleHashes(text, params)) {
    for (let i = 0; i < n; i++) {
      const h = fmix32((Math.imul(f[2 * i] as number, x) + (f[2 * i + 1] as number)) >>> 0);
      if (h < (sig[i] as number)) sig[i] = h;
    }
  }
  return sig;
}

/** The share of equal values: the estimate of the two texts' Jaccard similarity. */
export function similarity(a: Signature, b: Signature): number {
  if (a.length !== b.length || a.length === 0) return 0;
  let equal = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) equal++;
  return equal / a.length;
}

/** One key per band: a hash of its `rows` values (equal bands, equal keys); int32, so a Map keeps it unboxed. */
export function bandKeys(sig: Signature, params: MinHashParams): number[] {
  const keys: number[] = [];
  for (let band = 0; band < params.bands; band++) {
    let h = band;
    for (let r = 0; r < params.rows; r++)
      h = fmix32(Math.imul(h ^ (sig[band * params.rows + r] as number), 0x01000193));
    keys.push(h | 0);
  }
  return keys;
}

/** Estimated Jaccard similarity from which a document is a near-duplicate (RefinedWeb/DataTrove use ~0.8). */
export const DEFAULT_NEAR_DUP_THRESHOLD = 0.8;

/**
 * Bands × rows for a threshold, from the signature's fixed length (so a signature made under one
 * threshold is compared under another): the most rows per band whose S-curve midpoint (1/b)^(1/r)
 * stays at least 0.05 below the threshold, so documents at the threshold are found with high
 * probability (0.92 at 0.8 with DataTrove's 14 × 8) and the signature then decides.
 */
export function lshShape(threshold: number, base: MinHashParams = DEFAULT_MINHASH): MinHashParams {
  const hashes = base.bands * base.rows;
  let best = { bands: hashes, rows: 1 };
  for (let rows = 1; rows <= hashes; rows++) {
    if (hashes % rows !== 0) continue;
    const bands = hashes / rows;
    if ((1 / bands) ** (1 / rows) <= threshold - 0.05) best = { bands, rows };
  }
  return { ...base, ...best };
}

/** Probability that texts of Jaccard similarity `s` share a band (the LSH S-curve). */
export const candidateProbability = (s: number, params: MinHashParams): number =>
  1 - (1 - s ** params.rows) ** params.bands;

/** Signature ↔ bytes (a candidate's field): little-endian uint32s. */
export function signatureBytes(sig: Signature): Buffer {
  const out = Buffer.alloc(4 * sig.length);
  for (let i = 0; i < sig.length; i++) out.writeUInt32LE(sig[i] as number, 4 * i);
  return out;
}

export function signatureFromBytes(bytes: Buffer, params: MinHashParams): Signature | null {
  const n = params.bands * params.rows;
  if (bytes.length !== 4 * n) return null;
  const sig = new Uint32Array(n);
  for (let i = 0; i < n; i++) sig[i] = bytes.readUInt32LE(4 * i);
  return sig;
}
