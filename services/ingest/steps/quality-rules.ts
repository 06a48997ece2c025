// The document quality rules of Gopher (Rae et al. 2021, "Scaling Language Models: Methods,
// Analysis & Insights from Training Gopher", appendix A1.1, "quality filters" and Table A1,
// "repetition removal"), which RefinedWeb applies after extraction and DataTrove ships as
// GopherQualityFilter and GopherRepetitionFilter. Pure functions: a text in, the first rule it
// fails (with the measured value and its limit) or none.
//
// The thresholds are the published ones (the paper's, equal to DataTrove's defaults). Where the
// paper leaves the counting open, these choices are ours, each the more lenient reading:
// - a word is a whitespace-separated token (DataTrove tokenizes with NLTK/spaCy, which makes
//   punctuation its own token); for lengths, stop words and n-grams its leading and trailing
//   punctuation is stripped; a token of punctuation only is not a word;
// - bullet and ellipsis line shares are over the non-blank lines;
// - a top n-gram counts only when it occurs at least twice (a once-seen n-gram repeats nothing);
// - a duplicate n-gram's characters are the words an n-gram seen before covers, each word once;
// - stop words are matched case-insensitively and counted by occurrence.

/** Every rule, in the order they are checked (cheap document rules before the repetition ones). */
export const QUALITY_RULES = [
  /** RefinedWeb's: the boilerplate lines the lines step dropped held too many of the words. */
  'boilerplate_lines',
  'word_count',
  'mean_word_length',
  'hash_ratio',
  'ellipsis_ratio',
  'bullet_lines',
  'ellipsis_lines',
  'alpha_words',
  'stop_words',
  'dup_paragraphs',
  'dup_paragraph_chars',
  'dup_lines',
  'dup_line_chars',
  'top_ngram_chars',
  'dup_ngram_chars',
] as const;
export type QualityRule = (typeof QUALITY_RULES)[number];

/** A failed rule's dead-letter reason: `quality:<rule>`. */
export type QualityReason = `quality:${QualityRule}`;
export const qualityReason = (rule: QualityRule): QualityReason => `quality:${rule}`;

/** Every quality reason's DeadLetter error class: a text judged, like `too_short`. */
export const QUALITY_ERROR_CLASSES = Object.fromEntries(
  QUALITY_RULES.map((rule) => [qualityReason(rule), 'REJECTED_TEXT']),
) as Record<QualityReason, 'REJECTED_TEXT'>;

export interface QualityThresholds {
  minWords: number;
  maxWords: number;
  minMeanWordLength: number;
  maxMeanWordLength: number;
  /** Most `#` per word, and most `...`/`…` per word. */
  maxSymbolWordRatio: number;
  maxBulletLines: number;
  maxEllipsisLines: number;
  /** Fewest words with a letter, as a share of words. */
  minAlphaWords: number;
  minStopWords: number;
  stopWords: readonly string[];
  maxDupParagraphs: number;
  maxDupParagraphChars: number;
  maxDupLines: number;
  maxDupLineChars: number;
  /** [n, most characters in the most frequent n-gram as a share of the text]. */
  topNgrams: readonly (readonly [number, number])[];
  /** [n, most characters in repeated n-grams as a share of the text]. */
  dupNgrams: readonly (readonly [number, number])[];
}

/** Gopher's published thresholds (paper appendix A1.1 and Table A1; DataTrove's defaults). */
export const GOPHER_THRESHOLDS: Readonly<QualityThresholds> = {
  minWords: 50,
  maxWords: 100_000,
  minMeanWordLength: 3,
  maxMeanWordLength: 10,
  maxSymbolWordRatio: 0.1,
  maxBulletLines: 0.9,
  maxEllipsisLines: 0.3,
  minAlphaWords: 0.8,
  minStopWords: 2,
  stopWords: ['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with'],
  maxDupParagraphs: 0.3,
  maxDupParagraphChars: 0.2,
  maxDupLines: 0.3,
  maxDupLineChars: 0.2,
  topNgrams: [
    [2, 0.2],
    [3, 0.18],
    [4, 0.16],
  ],
  dupNgrams: [
    [5, 0.15],
    [6, 0.14],
    [7, 0.13],
    [8, 0.12],
    [9, 0.11],
    [10, 0.1],
  ],
};

export interface QualityFailure {
  rule: QualityRule;
  /** What was measured (rounded), and the limit it broke. */
  value: string;
  limit: string;
  /** The n of an n-gram rule. */
  n?: number;
}

const BULLET = /^\s*[•‣◦▪▫●○■□➢➤►▸\-*–]/u;
const ELLIPSIS_END = /(\.\.\.|…)\s*$/u;
const EDGE_PUNCT = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;
const HAS_WORD_CHAR = /[\p{L}\p{N}]/u;
const HAS_LETTER = /\p{L}/u;

const round = (x: number) => String(Math.round(x * 1000) / 1000);
const fail = (rule: QualityRule, value: number, limit: number, n?: number): QualityFailure =>
  n === undefined
    ? { rule, value: round(value), limit: String(limit) }
    : { rule, value: round(value), limit: String(limit), n };

/** The text's words: whitespace-separated tokens, and each with its edge punctuation stripped. */
export function wordsOf(text: string): { tokens: string[]; words: string[] } {
  const tokens = text.split(/\s+/u).filter((t) => t !== '');
  const words: string[] = [];
  for (const token of tokens) if (HAS_WORD_CHAR.test(token)) words.push(token.replace(EDGE_PUNCT, ''));
  return { tokens, words };
}

const countOf = (text: string, needle: string): number => {
  let n = 0;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
};

/** Gopher's document rules (the "quality filters"); the first failed, else null. */
export function checkDocument(
  text: string,
  t: QualityThresholds,
  skip: ReadonlySet<QualityRule> = new Set(),
  { tokens, words } = wordsOf(text),
): QualityFailure | null {
  const on = (rule: QualityRule) => !skip.has(rule);
  const n = words.length;
  if (on('word_count') && (n < t.minWords || n > t.maxWords))
    return fail('word_count', n, n < t.minWords ? t.minWords : t.maxWords);
  if (n === 0) return null;
  const mean = words.reduce((sum, w) => sum + [...w].length, 0) / n;
  if (on('mean_word_length') && (mean < t.minMeanWordLength || mean > t.maxMeanWordLength))
    return fail(
      'mean_word_length',
      mean,
      mean < t.minMeanWordLength ? t.minMeanWordLength : t.maxMeanWordLength,
    );
  const hashes = countOf(text, '#') / n;
  if (on('hash_ratio') && hashes > t.maxSymbolWordRatio)
    return fail('hash_ratio', hashes, t.maxSymbolWordRatio);
  const ellipses = (countOf(text, '...') + countOf(text, '…')) / n;
  if (on('ellipsis_ratio') && ellipses > t.maxSymbolWordRatio)
    return fail('ellipsis_ratio', ellipses, t.maxSymbolWordRatio);
  return checkLines(text, t, on) ?? checkWords(tokens, words, t, on);
}

function checkLines(
  text: string,
  t: QualityThresholds,
  on: (r: QualityRule) => boolean,
): QualityFailure | null {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return null;
  const bullets = lines.filter((l) => BULLET.test(l)).length / lines.length;
  if (on('bullet_lines') && bullets > t.maxBulletLines)
    return fail('bullet_lines', bullets, t.maxBulletLines);
  const ellipsisEnds = lines.filter((l) => ELLIPSIS_END.test(l)).length / lines.length;
  if (on('ellipsis_lines') && ellipsisEnds > t.maxEllipsisLines)
    return fail('ellipsis_lines', ellipsisEnds, t.maxEllipsisLines);
  return null;
}

function checkWords(
  tokens: readonly string[],
  words: readonly string[],
  t: QualityThresholds,
  on: (r: QualityRule) => boolean,
): QualityFailure | null {
  const alpha = tokens.filter((w) => HAS_LETTER.test(w)).length / tokens.length;
  if (on('alpha_words') && alpha < t.minAlphaWords) return fail('alpha_words', alpha, t.minAlphaWords);
  if (on('stop_words')) {
    const stop = new Set(t.stopWords);
    let found = 0;
    for (const w of words) if (stop.has(w.toLowerCase()) && ++found >= t.minStopWords) break;
    if (found < t.minStopWords) return fail('stop_words', found, t.minStopWords);
  }
  return null;
}

/** Of `parts`, how many repeat an earlier one, and their characters. */
function duplicates(parts: readonly string[]): { count: number; chars: number } {
  const seen = new Set<string>();
  let count = 0;
  let chars = 0;
  for (const part of parts) {
    if (seen.has(part)) {
      count++;
      chars += part.length;
    } else seen.add(part);
  }
  return { count, chars };
}

/** Gopher's repetition rules (Table A1); the first failed, else null. */
export function checkRepetition(
  text: string,
  t: QualityThresholds,
  skip: ReadonlySet<QualityRule> = new Set(),
  words: readonly string[] = wordsOf(text).words,
): QualityFailure | null {
  const on = (rule: QualityRule) => !skip.has(rule);
  if (text.length === 0) return null;
  return checkDuplicateParts(text, t, on) ?? checkNgrams(text, words, t, on);
}

/** Every rule on one text (its words split once): the first failed, else null. */
export function checkQuality(
  text: string,
  t: QualityThresholds,
  skip: ReadonlySet<QualityRule> = new Set(),
): QualityFailure | null {
  const split = wordsOf(text);
  return checkDocument(text, t, skip, split) ?? checkRepetition(text, t, skip, split.words);
}

/** Repeated paragraphs and lines: their share of the parts, and their characters' of the text. */
function checkDuplicateParts(
  text: string,
  t: QualityThresholds,
  on: (r: QualityRule) => boolean,
): QualityFailure | null {
  const length = text.length;
  const paragraphs = text
    .trim()
    .split(/\n\s*\n/u)
    .map((p) => p.trim());
  const paras = duplicates(paragraphs);
  if (on('dup_paragraphs') && paras.count / paragraphs.length > t.maxDupParagraphs)
    return fail('dup_paragraphs', paras.count / paragraphs.length, t.maxDupParagraphs);
  if (on('dup_paragraph_chars') && paras.chars / length > t.maxDupParagraphChars)
    return fail('dup_paragraph_chars', paras.chars / length, t.maxDupParagraphChars);
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const dupLines = duplicates(lines);
  if (lines.length > 0 && on('dup_lines') && dupLines.count / lines.length > t.maxDupLines)
    return fail('dup_lines', dupLines.count / lines.length, t.maxDupLines);
  if (on('dup_line_chars') && dupLines.chars / length > t.maxDupLineChars)
    return fail('dup_line_chars', dupLines.chars / length, t.maxDupLineChars);
  return null;
}

/** The most frequent 2-, 3-, 4-gram's characters, and all repeated 5…10-grams', of the text. */
function checkNgrams(
  text: string,
  words: readonly string[],
  t: QualityThresholds,
  on: (r: QualityRule) => boolean,
): QualityFailure | null {
  if (!on('top_ngram_chars') && !on('dup_ngram_chars')) return null;
  const grams = new NgramIndex(words);
  const rules = [
    ['top_ngram_chars', t.topNgrams, (n: number) => grams.topChars(n)],
    ['dup_ngram_chars', t.dupNgrams, (n: number) => grams.duplicateChars(n)],
  ] as const;
  for (const [rule, limits, chars] of rules) {
    if (!on(rule)) continue;
    for (const [n, limit] of limits) {
      const share = chars(n) / text.length;
      if (share > limit) return fail(rule, share, limit, n);
    }
  }
  return null;
}

/** Two polynomial hashes modulo 2^32 (integer multiplication), of different odd bases. */
const P1 = 1_000_003;
const P2 = 0x01000193;

/**
 * The words as ids, and each n-gram as a 32-bit key mixed from two rolling polynomial hashes of its
 * ids, counted in a table of integers: joining the words of every n-gram into strings cost more
 * than every other rule together. Two n-grams sharing a key (about one pair in 10^5 in a
 * 100 000-word text) only counts a few words as repeated: far under any threshold.
 */
class NgramIndex {
  private readonly ids: Int32Array;
  private readonly lengths: Int32Array;
  /** Characters of words [0, i): the characters of words i..j are prefix[j] - prefix[i]. */
  private readonly prefix: Float64Array;

  constructor(words: readonly string[]) {
    const ids = new Map<string, number>();
    this.ids = new Int32Array(words.length);
    this.lengths = new Int32Array(words.length);
    this.prefix = new Float64Array(words.length + 1);
    words.forEach((word, i) => {
      let id = ids.get(word);
      if (id === undefined) {
        id = ids.size + 1;
        ids.set(word, id);
      }
      this.ids[i] = id;
      this.lengths[i] = word.length;
      this.prefix[i + 1] = (this.prefix[i] as number) + word.length;
    });
  }

  /** Calls `each(i, key)` for every n-gram, in order. */
  private grams(n: number, each: (i: number, key: number) => void): void {
    const ids = this.ids;
    if (ids.length < n) return;
    let top1 = 1;
    let top2 = 1;
    for (let k = 1; k < n; k++) {
      top1 = Math.imul(top1, P1);
      top2 = Math.imul(top2, P2);
    }
    let h1 = 0;
    let h2 = 0;
    for (let k = 0; k < n; k++) {
      h1 = (Math.imul(h1, P1) + (ids[k] as number)) | 0;
      h2 = (Math.imul(h2, P2) + (ids[k] as number)) | 0;
    }
    for (let i = 0; ; i++) {
      each(i, h1 ^ Math.imul(h2, 0x9e3779b1));
      if (i + n >= ids.length) return;
      const out = ids[i] as number;
      const next = ids[i + n] as number;
      h1 = (Math.imul(h1 - Math.imul(out, top1), P1) + next) | 0;
      h2 = (Math.imul(h2 - Math.imul(out, top2), P2) + next) | 0;
    }
  }

  /** Characters in all occurrences of the most frequent n-gram (0 if none repeats). */
  topChars(n: number): number {
    const counts = new GramCounts(this.ids.length);
    let best = 0;
    let bestAt = -1;
    this.grams(n, (i, key) => {
      const c = counts.add(key);
      if (c > best || (c === best && this.chars(i, n) > this.chars(bestAt, n))) {
        best = c;
        bestAt = i;
      }
    });
    return best >= 2 ? best * this.chars(bestAt, n) : 0;
  }

  /** Characters of the words covered by an n-gram that occurred before, each word counted once. */
  duplicateChars(n: number): number {
    const counts = new GramCounts(this.ids.length);
    let covered = 0;
    let coveredTo = 0;
    this.grams(n, (i, key) => {
      if (counts.add(key) === 1) return;
      for (let j = Math.max(i, coveredTo); j < i + n; j++) covered += this.lengths[j] as number;
      coveredTo = i + n;
    });
    return covered;
  }

  private chars(i: number, n: number): number {
    return (this.prefix[i + n] as number) - (this.prefix[i] as number);
  }
}

/** Occurrences per n-gram key: an open-addressing table of small integers (no Map, no boxing). */
class GramCounts {
  private readonly keys: Int32Array;
  private readonly counts: Int32Array;
  private readonly mask: number;

  constructor(grams: number) {
    let size = 16;
    while (size < grams * 2) size *= 2;
    this.keys = new Int32Array(size);
    this.counts = new Int32Array(size);
    this.mask = size - 1;
  }

  /** Counts one more occurrence of `key`; returns how many there are now. */
  add(key: number): number {
    let at = Math.imul(key, 0x9e3779b1) >>> 0;
    for (;;) {
      at &= this.mask;
      const c = this.counts[at] as number;
      if (c === 0) {
        this.keys[at] = key;
        this.counts[at] = 1;
        return 1;
      }
      if (this.keys[at] === key) {
        this.counts[at] = c + 1;
        return c + 1;
      }
      at++;
    }
  }
}
