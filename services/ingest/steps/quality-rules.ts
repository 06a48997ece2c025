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
): QualityFailure | null {
  const { tokens, words } = wordsOf(text);
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
): QualityFailure | null {
  const on = (rule: QualityRule) => !skip.has(rule);
  if (text.length === 0) return null;
  return checkDuplicateParts(text, t, on) ?? checkNgrams(text, t, on);
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
  t: QualityThresholds,
  on: (r: QualityRule) => boolean,
): QualityFailure | null {
  if (!on('top_ngram_chars') && !on('dup_ngram_chars')) return null;
  const grams = new NgramIndex(wordsOf(text).words.filter((w) => w !== ''));
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

/**
 * The words as a string of fixed-width word ids (two UTF-16 units each), so an n-gram's key is a
 * substring: no joined words per position, which would cost more than every other rule together.
 */
class NgramIndex {
  private readonly key: string;
  private readonly lengths: Int32Array;
  /** Characters of words [0, i): the characters of words i..j are prefix[j] - prefix[i]. */
  private readonly prefix: Float64Array;

  constructor(private readonly words: readonly string[]) {
    const ids = new Map<string, number>();
    const units: number[] = [];
    this.lengths = new Int32Array(words.length);
    this.prefix = new Float64Array(words.length + 1);
    words.forEach((word, i) => {
      let id = ids.get(word);
      if (id === undefined) {
        id = ids.size;
        ids.set(word, id);
      }
      units.push(id >>> 16, id & 0xffff);
      this.lengths[i] = word.length;
      this.prefix[i + 1] = (this.prefix[i] as number) + word.length;
    });
    let key = '';
    for (let i = 0; i < units.length; i += 8192) key += String.fromCharCode(...units.slice(i, i + 8192));
    this.key = key;
  }

  private gram(i: number, n: number): string {
    return this.key.slice(2 * i, 2 * (i + n));
  }

  /** Characters in all occurrences of the most frequent n-gram (0 if none repeats). */
  topChars(n: number): number {
    const counts = new Map<string, number>();
    let best = 0;
    let bestAt = -1;
    for (let i = 0; i + n <= this.words.length; i++) {
      const g = this.gram(i, n);
      const c = (counts.get(g) ?? 0) + 1;
      counts.set(g, c);
      if (c > best || (c === best && this.chars(i, n) > this.chars(bestAt, n))) {
        best = c;
        bestAt = i;
      }
    }
    return best >= 2 ? best * this.chars(bestAt, n) : 0;
  }

  /** Characters of the words covered by an n-gram that occurred before, each word counted once. */
  duplicateChars(n: number): number {
    const seen = new Set<string>();
    let covered = 0;
    let coveredTo = 0;
    for (let i = 0; i + n <= this.words.length; i++) {
      const g = this.gram(i, n);
      if (!seen.has(g)) {
        seen.add(g);
        continue;
      }
      for (let j = Math.max(i, coveredTo); j < i + n; j++) covered += this.lengths[j] as number;
      coveredTo = i + n;
    }
    return covered;
  }

  private chars(i: number, n: number): number {
    return (this.prefix[i + n] as number) - (this.prefix[i] as number);
  }
}
