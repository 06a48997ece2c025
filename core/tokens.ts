// Token counting behind a tiny interface so callers (and tests) can inject any tokenizer;
// only core/mistral.ts knows about the real one.

import type { PieceEncoder } from './bpe.ts';
import { hashRange, PieceTable } from './piece-table.ts';

/** Anything that can count tokens of a text. */
export interface TokenCounter {
  count(text: string): number;
}

/** A tokenizer with ids, for tests that pin ids and for callers that need them. */
export interface TextTokenizer extends TokenCounter {
  readonly name: string;
  encode(text: string, addBos?: boolean): number[];
}

/** The shape of a SentencePiece encoder that knows nothing about special tokens in text. */
export interface RawEncoder {
  encode(text: string, addBos: boolean, addEos: boolean): readonly number[];
}

/**
 * Special tokens the synthesizer's (HF) tokenizer reads as one token each when they appear in
 * the text. The prompts contain literal `<s>` / `</s>`; a plain SentencePiece encoder would split
 * them into three pieces each.
 */
export const SPECIAL_TOKENS: Readonly<Record<string, number>> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
const SPECIAL_RE = /<unk>|<s>|<\/s>/g;
const HAS_SPECIAL = /<unk>|<s>|<\/s>/;
const STARTS_WITH_SPECIAL = /^(?:<unk>|<s>|<\/s>)/;

/** Counters for a tokenizer's piece cache (see {@link PieceCacheOptions}). */
export interface PieceCacheStats {
  /** Pieces answered from the cache. */
  hits: number;
  /** Pieces encoded and then cached. */
  misses: number;
  /** Pieces longer than `maxPieceLength`, encoded every time and never cached. */
  uncached: number;
  /** Pieces in the cache now (at most 2 × `generationSize`). */
  entries: number;
}

/**
 * Count by space-delimited pieces, each piece's count cached. Only valid for a SentencePiece BPE
 * encoder (dummy-prefix space, spaces as `▁`) whose vocabulary has no token with a `▁` right
 * after another character; see {@link spacePieceCounter}.
 */
export interface PieceCacheOptions {
  /** Entries per cache generation; the cache holds at most twice this many. */
  generationSize?: number;
  /** Longer pieces (UTF-16 units, leading space excluded) are encoded each time, not cached. */
  maxPieceLength?: number;
}

export const DEFAULT_PIECE_CACHE: Required<PieceCacheOptions> = {
  generationSize: 65_536,
  maxPieceLength: 32,
};

/** Counts one marker-free stretch exactly as `raw.encode(stretch, false, false).length`. */
export interface StretchCounter {
  count(stretch: string): number;
  stats(): PieceCacheStats;
}

const SPACE = 0x20;
/** The encoder turns spaces into U+2581 before encoding, so a literal U+2581 acts as a space too. */
const LOWER_ONE_EIGHTH_BLOCK = 0x2581;
/** A character the encoder reads as `▁`; a piece starts at one that follows any other. */
const isCutChar = (c: number): boolean => c === SPACE || c === LOWER_ONE_EIGHTH_BLOCK;

/**
 * Exact, cached counting for a SentencePiece-style BPE encoder.
 *
 * The encoder works on `▁` + text with every space (and U+2581) as `▁`, and merges pairs of
 * adjacent tokens only into vocabulary tokens. Cut that string before every `▁` that follows
 * another character: each piece is a run of `▁` then a run of other characters. A merge across
 * such a cut would build a token holding "x▁" (x not `▁`); Mistral-7B-v0.1's vocabulary has none
 * (tests/unit/tokens-fast.test.ts checks the vocabulary itself), and byte-fallback tokens never
 * merge, so no merge ever crosses a cut. The pieces therefore evolve independently. Within a
 * piece the encoder's merge order is the same as when the piece is encoded alone: the best rank
 * first, the leftmost on a tie (core/bpe.ts, as Hugging Face `tokenizers`), which neither shifting
 * the piece nor the text around it changes. So the stretch's count is the sum of its pieces'
 * counts. A piece is encoded alone as the text after its first `▁`, which the encoder restores as
 * its dummy prefix (the stretch's first piece has the real dummy prefix); a lone `▁` (a trailing space) is one
 * token. Runs of several spaces stay whole, glued to the word that follows them.
 *
 * The cache is two generations of `generationSize` entries: lookups check the young table, then
 * the old one (promoting a hit); when the young table fills it becomes the old one and the old one
 * is emptied. So at most 2 × `generationSize` pieces of at most `maxPieceLength` units are held —
 * with the defaults 131 072 pieces (bench/tokenizer.ts measures the heap they take) — however many
 * distinct words go through. A piece that is not in the cache is encoded by `short` when given and
 * short enough for it (the same merges in the same order, core/bpe.ts), else by `raw`.
 */
export function spacePieceCounter(
  raw: RawEncoder,
  options: PieceCacheOptions = {},
  short?: PieceEncoder,
): StretchCounter {
  const { generationSize, maxPieceLength } = { ...DEFAULT_PIECE_CACHE, ...options };
  let young = new PieceTable(generationSize);
  let old = new PieceTable(generationSize);
  let hits = 0;
  let misses = 0;
  let uncached = 0;

  const keep = (piece: string, hash: number, n: number): void => {
    young.add(ownCopy(piece), hash, n);
    if (young.size >= generationSize) {
      const emptied = old;
      emptied.clear();
      old = young;
      young = emptied;
    }
  };
  const encodeCount = (piece: string): number =>
    short && piece.length <= short.maxLength ? short.count(piece) : raw.encode(piece, false, false).length;
  /** Tokens of `▁` + text[start, end) (the piece's own leading space is text[start - 1]). */
  const pieceCount = (text: string, start: number, end: number): number => {
    const length = end - start;
    if (length === 0) return 1; // a lone `▁`: one vocabulary token
    if (length > maxPieceLength) {
      uncached++;
      return encodeCount(text.slice(start, end));
    }
    const hash = hashRange(text, start, end);
    let n = young.get(text, start, end, hash);
    if (n >= 0) {
      hits++;
      return n;
    }
    const piece = text.slice(start, end);
    n = old.get(text, start, end, hash);
    if (n >= 0) hits++;
    else {
      misses++;
      n = encodeCount(piece);
    }
    keep(piece, hash, n);
    return n;
  };
  const count = (text: string): number => {
    const len = text.length;
    if (len === 0) return 0;
    let n = 0;
    let start = 0; // the piece's text, after the `▁` that the encoder's dummy prefix restores
    let i = 0;
    while (i < len) {
      let c = text.charCodeAt(i);
      while (isCutChar(c)) c = ++i < len ? text.charCodeAt(i) : -1;
      while (i < len && !isCutChar(c)) c = ++i < len ? text.charCodeAt(i) : -1;
      n += pieceCount(text, start, i);
      start = i + 1; // text[i] is the space that begins the next piece
    }
    return n;
  };
  return {
    count,
    stats: () => ({ hits, misses, uncached, entries: young.size + old.size }),
  };
}

/**
 * A cache key that does not pin the text it was cut from: V8 makes slices of 13 or more units a
 * view into the whole parent string, so keeping one would keep the parent document alive.
 */
function ownCopy(s: string): string {
  return s.length < 13 ? s : s.split('').join('');
}

/** A global regex matching any of `tokens`, longest first (as tokenizers matches added tokens). */
function specialPattern(tokens: readonly string[]): RegExp {
  const escaped = tokens
    .filter((t) => t !== '')
    .sort((a, b) => b.length - a.length)
    .map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return escaped.length === 0 ? /(?!)/g : new RegExp(escaped.join('|'), 'g');
}

/**
 * Wraps a raw encoder so special-token markers count as one token and the text between them
 * is encoded on its own. Encoding each stretch separately (dummy-prefix space included) is
 * also what the HF Llama/Mistral tokenizer does around special tokens in legacy mode. `specials`
 * (default `<unk>`, `<s>`, `</s>` with Mistral's ids) are the markers and their ids; an empty
 * string can never be one.
 */
export function markerAwareTokenizer(
  raw: RawEncoder,
  name: string,
  stretches?: StretchCounter,
  specials: Readonly<Record<string, number>> = SPECIAL_TOKENS,
): TextTokenizer & { pieceStats?: () => PieceCacheStats } {
  const markers = specials === SPECIAL_TOKENS ? SPECIAL_RE : specialPattern(Object.keys(specials));
  const bos = specials['<s>'] ?? 1;
  const encode = (text: string, addBos = false): number[] => {
    const ids: number[] = addBos ? [bos] : [];
    let last = 0;
    for (const m of text.matchAll(markers)) {
      const at = m.index ?? 0;
      if (at > last) ids.push(...raw.encode(text.slice(last, at), false, false));
      ids.push(specials[m[0]] ?? 0);
      last = at + m[0].length;
    }
    if (last < text.length) ids.push(...raw.encode(text.slice(last), false, false));
    return ids;
  };
  const stretchCount = stretches
    ? stretches.count
    : (stretch: string): number => raw.encode(stretch, false, false).length;
  const count = (text: string): number => {
    let n = 0;
    let last = 0;
    for (const m of text.matchAll(markers)) {
      const at = m.index ?? 0;
      if (at > last) n += stretchCount(text.slice(last, at));
      n += 1;
      last = at + m[0].length;
    }
    if (last < text.length) n += stretchCount(text.slice(last));
    return n;
  };
  return stretches ? { name, encode, count, pieceStats: stretches.stats } : { name, encode, count };
}

/** A stretch of a text whose token count is already known (a round's text, counted at ingest). */
export interface CountedPart {
  text: string;
  tokens: number;
}

/** The longest marker (`<unk>`) minus one: how far a marker can reach across a boundary. */
const MARKER_REACH = 4;

/** Whether a marker found in `text` would overlap position `at` from both sides. */
function markerStraddles(text: string, at: number): boolean {
  const from = Math.max(0, at - MARKER_REACH);
  for (const m of text.slice(from, at + MARKER_REACH).matchAll(SPECIAL_RE)) {
    const start = from + (m.index ?? 0);
    if (start < at && start + m[0].length > at) return true;
  }
  return false;
}

/**
 * `counter.count(text)` for a text that embeds parts whose counts are known, tokenizing only what
 * lies around them — for the Mistral count (spacePieceCounter + markerAwareTokenizer).
 *
 * The count is a sum over pieces that start at cuts: a space (or `▁`) right after a non-space.
 * Inside an embedded part, cuts depend only on the part's own characters, so between its first
 * cut j and its last cut k the text has exactly the part's own pieces, which sum to the part's
 * count minus its first piece (`part[0, j)` with the dummy prefix) and its last (`part(k, end]`).
 * What lies outside — text before the first part's j, between one part's k and the next part's j,
 * after the last part's k — starts and ends at cuts, so each stretch is counted on its own, the
 * space at its start played by the dummy prefix. A part takes this path only if it holds no
 * marker (its count is one stretch), no marker straddles its edges, and it has a cut; otherwise
 * it is simply counted with its surroundings. Parts are found in order, each after the previous.
 */
export function countWithParts(counter: TokenCounter, text: string, parts: readonly CountedPart[]): number {
  let n = 0;
  let counted = 0; // text before this is accounted for, and it is 0 or a cut
  let searchFrom = 0;
  for (const part of parts) {
    const t = part.text;
    if (t.length === 0) continue;
    const at = text.indexOf(t, searchFrom);
    if (at < 0) continue;
    searchFrom = at + t.length;
    const cuts = firstAndLastCut(t);
    if (!cuts || HAS_SPECIAL.test(t) || markerStraddles(text, at) || markerStraddles(text, at + t.length))
      continue;
    const [j, k] = cuts;
    n += counted === 0 ? counter.count(text.slice(0, at + j)) : fromCut(counter, text, counted, at + j);
    n += part.tokens - counter.count(t.slice(0, j)) - fromCut(counter, t, k, t.length);
    counted = at + k;
  }
  return n + (counted === 0 ? counter.count(text) : fromCut(counter, text, counted, text.length));
}

/** The first and last cut of a part (a cut char after a non-cut one, not at 0); null if none. */
function firstAndLastCut(t: string): [number, number] | null {
  let first = -1;
  let last = -1;
  for (let i = 1; i < t.length; i++) {
    if (isCutChar(t.charCodeAt(i)) && !isCutChar(t.charCodeAt(i - 1))) {
      if (first < 0) first = i;
      last = i;
    }
  }
  return first < 0 ? null : [first, last];
}

/**
 * Tokens of text[cut, end) where `cut` is a cut: the dummy prefix stands for the space at `cut`,
 * except where no stretch follows it (the end, or a marker right after) — then that space is a
 * lone `▁`, one token of its own.
 */
function fromCut(counter: TokenCounter, text: string, cut: number, end: number): number {
  const rest = text.slice(cut + 1, end);
  return rest === '' || STARTS_WITH_SPECIAL.test(rest) ? 1 + counter.count(rest) : counter.count(rest);
}
