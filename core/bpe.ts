// The BPE of a SentencePiece-trained Llama/Mistral tokenizer as Hugging Face `tokenizers` runs it
// from the model repository's tokenizer.json (what vLLM serves with): the text as `▁` + text with
// every space as `▁`, one token per character (UTF-8 byte tokens `<0xAB>` for characters outside
// the vocabulary), then repeatedly the adjacent pair with the best merge rank, leftmost on a tie.
// Two encoders share one set of tables: a quadratic one for short pieces (a word and the spaces
// before it — what the token count meets millions of times; one reused typed array, no objects)
// and a heap-based one for text of any length.

/** The vocabulary and merge list of a SentencePiece BPE model, as ids. */
export interface BpeModel {
  /** Token strings by id; spaces appear as U+2581, bytes as `<0xAB>`. */
  readonly vocab: readonly string[];
  /** Merges by rank, best first: `[left id, right id]`. */
  readonly merges: ReadonlyArray<readonly [number, number]>;
}

/**
 * The merge list the Hugging Face converter writes into tokenizer.json for a SentencePiece BPE
 * model: every split of a vocabulary piece into two vocabulary pieces, ranked by the piece's score
 * (higher first), then the piece's id, then the left and right halves' ids. SentencePiece itself
 * merges by score too, so this order encodes like it.
 */
export function mergesByScore(vocab: readonly string[], scores: ArrayLike<number>): [number, number][] {
  const idOf = firstIds(vocab);
  const ranked: [number, number, number, number][] = [];
  vocab.forEach((piece, id) => {
    for (let k = 1; k < piece.length; k++) {
      const left = idOf.get(piece.slice(0, k));
      const right = idOf.get(piece.slice(k));
      if (left !== undefined && right !== undefined) ranked.push([-(scores[id] as number), id, left, right]);
    }
  });
  ranked.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || a[3] - b[3]);
  return ranked.map(([, , left, right]) => [left, right]);
}

function firstIds(vocab: readonly string[]): Map<string, number> {
  const idOf = new Map<string, number>();
  vocab.forEach((t, id) => {
    if (!idOf.has(t)) idOf.set(t, id);
  });
  return idOf;
}

/** Encodes `▁` + piece (spaces as `▁`) exactly as the Hugging Face BPE would. */
export interface PieceEncoder {
  /** The piece's token count. */
  count(piece: string): number;
  /** The piece's token ids (for tests). */
  ids(piece: string): number[];
  /** Longest piece (UTF-16 units) it takes; longer ones must go to {@link BpeEncoder}. */
  readonly maxLength: number;
}

/** Encodes text of any length: `▁` + text (spaces as `▁`); no text gives no tokens. */
export interface BpeEncoder {
  encode(text: string): number[];
}

const SPACE = 0x20;
const utf8 = new TextEncoder();

/** Lookup tables shared by both encoders. */
interface Tables {
  space: number;
  /** Appends the initial tokens of `▁` + text to `out` from `n`; returns the new length. */
  initial(text: string, out: Int32Array, n: number): number;
  /** Merge rank of the pair (a, b), or `none`. */
  rank(a: number, b: number): number;
  mergedId: Int32Array;
  none: number;
}

const tablesOf = new WeakMap<BpeModel, Tables>();

function tables(model: BpeModel): Tables {
  const known = tablesOf.get(model);
  if (known) return known;
  const { vocab, merges } = model;
  const size = vocab.length;
  const idOf = firstIds(vocab);
  const space = idOf.get('\u2581');
  if (space === undefined) throw new Error('BPE vocabulary has no ▁ token');

  // Byte fallback when the vocabulary has all 256 byte tokens; otherwise a character outside the
  // vocabulary is `<unk>`, a run of them one `<unk>` (tokenizers' fuse_unk).
  const byteIds = new Int32Array(256);
  let byteFallback = true;
  for (let b = 0; b < 256; b++) {
    const id = idOf.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    if (id === undefined) byteFallback = false;
    else byteIds[b] = id;
  }
  const unk = idOf.get('<unk>') ?? 0;
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
    const slot = slotOf(a * size + b);
    if (pairKeys[slot] === a * size + b) return; // a pair listed twice keeps its best rank
    pairKeys[slot] = a * size + b;
    pairRanks[slot] = rank;
    mergedId[rank] = merged;
  });
  const none = merges.length;

  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: the per-character loop of every encode; surrogate pairing, byte fallback and unk runs stay inline so no call or allocation is made per character
  const initial = (text: string, out: Int32Array, from: number): number => {
    let n = from;
    let lastWasUnk = -1;
    out[n++] = space;
    for (let i = 0; i < text.length; i++) {
      let cp = text.charCodeAt(i);
      if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < text.length) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low < 0xe000) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          i++;
        }
      }
      const id = cp === SPACE ? space : charId(cp);
      if (id >= 0) out[n++] = id;
      else if (byteFallback) {
        // Lone surrogates encode as U+FFFD, as TextEncoder does.
        for (const b of utf8.encode(String.fromCodePoint(cp))) out[n++] = byteIds[b] as number;
      } else if (lastWasUnk !== n - 1) {
        out[n] = unk;
        lastWasUnk = n++;
      }
    }
    return n;
  };
  const rank = (a: number, b: number): number => {
    const slot = slotOf(a * size + b);
    return pairKeys[slot] === -1 ? none : (pairRanks[slot] as number);
  };
  const built = { space, initial, rank, mergedId, none };
  tablesOf.set(model, built);
  return built;
}

/**
 * The short-piece encoder: one token per character, then each step scans the pair ranks for the
 * best (looking up only the two pairs a merge changes) — quadratic, so only for short pieces.
 */
export function pieceEncoder(model: BpeModel, maxLength = 64): PieceEncoder {
  const { initial, rank, mergedId, none: NONE } = tables(model);
  // Worst case: the ▁ plus four byte tokens per code unit.
  const work = new Int32Array(1 + 4 * maxLength);
  const ranks = new Int32Array(work.length);
  const rankAt = (i: number): number => rank(work[i] as number, work[i + 1] as number);

  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: the merge loop run for every short piece; the best-rank scan and the in-place shift stay in one function over the shared work arrays
  const encode = (piece: string): number => {
    if (piece.length > maxLength) throw new RangeError(`piece longer than ${maxLength} units`);
    if (piece.length === 0) return 0; // no text, no dummy prefix
    let n = initial(piece, work, 0);
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

/**
 * The encoder for text of any length: tokens in a linked list, candidate merges in a binary heap
 * keyed by rank then position (so the leftmost wins a tie); an entry whose pair has changed since
 * it was pushed is skipped when it comes up.
 */
export function bpeEncoder(model: BpeModel): BpeEncoder {
  const { initial, rank, mergedId, none } = tables(model);
  // Keys are rank × 2^23 + position: exact in a double for any text ingest admits.
  const POS = 2 ** 23;
  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: the merge loop of long texts; the heap and linked list are typed arrays local to one call, pushed and popped inline
  const encode = (text: string): number[] => {
    if (text.length === 0) return [];
    let ids = new Int32Array(1 + 4 * text.length);
    const n = initial(text, ids, 0);
    if (n >= POS) throw new RangeError('text too long for the BPE encoder');
    ids = ids.subarray(0, n);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    let heap = new Float64Array(n + 16);
    let size = 0;
    const push = (key: number): void => {
      if (size === heap.length) {
        const bigger = new Float64Array(heap.length * 2);
        bigger.set(heap);
        heap = bigger;
      }
      let i = size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if ((heap[parent] as number) <= key) break;
        heap[i] = heap[parent] as number;
        i = parent;
      }
      heap[i] = key;
    };
    const pop = (): number => {
      const top = heap[0] as number;
      const last = heap[--size] as number;
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= size) break;
        if (child + 1 < size && (heap[child + 1] as number) < (heap[child] as number)) child++;
        if ((heap[child] as number) >= last) break;
        heap[i] = heap[child] as number;
        i = child;
      }
      heap[i] = last;
      return top;
    };
    const consider = (at: number): void => {
      const right = next[at] as number;
      if (right < 0) return;
      const r = rank(ids[at] as number, ids[right] as number);
      if (r !== none) push(r * POS + at);
    };
    for (let i = 0; i + 1 < n; i++) consider(i);
    let alive = n;
    while (size > 0) {
      const key = pop();
      const at = key % POS;
      const r = (key - at) / POS;
      const right = next[at] as number;
      // Stale: the token at `at` was merged away (its id set to -1) or its pair changed.
      if (ids[at] === -1 || right < 0 || rank(ids[at] as number, ids[right] as number) !== r) continue;
      ids[at] = mergedId[r] as number;
      ids[right] = -1;
      const after = next[right] as number;
      next[at] = after;
      if (after >= 0) prev[after] = at;
      alive--;
      if ((prev[at] as number) >= 0) consider(prev[at] as number);
      consider(at);
    }
    const out = new Array<number>(alive);
    let k = 0;
    for (let i = 0; i >= 0; i = next[i] as number) out[k++] = ids[i] as number;
    return out;
  };
  return { encode };
}
