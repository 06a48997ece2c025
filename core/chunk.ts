// Splitting texts that would not fit the token budget on their own (ingest records each piece
// as chunk i of n). Paragraphs first, then sentences, then words; characters only for a single
// "word" longer than the limit (base64 blobs, minified code).

import type { TokenCounter } from './tokens.ts';

interface Level {
  split(text: string): string[];
  joiner: string;
}

const LEVELS: Level[] = [
  { split: (t) => t.split(/\n[ \t]*\n\s*/), joiner: '\n\n' },
  // Sentence ends: terminal punctuation (optionally closed by quotes/brackets) then space, or a single newline.
  { split: (t) => t.split(/(?<=[.!?。！？…]["'”’)\]]*)\s+|\n+/), joiner: ' ' },
  { split: (t) => t.split(/\s+/), joiner: ' ' },
];

function splitChars(text: string, maxTokens: number, counter: TokenCounter): string[] {
  const out: string[] = [];
  const chars = Array.from(text);
  let start = 0;
  while (start < chars.length) {
    // Binary search the longest prefix that fits; at least one code point per chunk.
    let lo = start + 1;
    let hi = chars.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (counter.count(chars.slice(start, mid).join('')) <= maxTokens) lo = mid;
      else hi = mid - 1;
    }
    out.push(chars.slice(start, lo).join(''));
    start = lo;
  }
  return out;
}

function chunkAt(text: string, level: number, maxTokens: number, counter: TokenCounter): string[] {
  if (counter.count(text) <= maxTokens) return [text];
  const lv = LEVELS[level];
  if (!lv) return splitChars(text, maxTokens, counter);
  const pieces = lv.split(text).filter((p) => p.length > 0);
  if (pieces.length <= 1) return chunkAt(text, level + 1, maxTokens, counter);

  // Pieces that are too big on their own are split at the next level first; their parts keep
  // that level's separator between them, so packing never invents a paragraph break.
  const lower = LEVELS[level + 1]?.joiner ?? '';
  const units: { text: string; tokens: number; sep: string }[] = [];
  for (const p of pieces) {
    chunkAt(p, level + 1, maxTokens, counter).forEach((q, k) => {
      units.push({ text: q, tokens: counter.count(q), sep: k === 0 ? lv.joiner : lower });
    });
  }
  const sepTokens = new Map<string, number>();
  const sepCost = (sep: string): number => {
    let n = sepTokens.get(sep);
    if (n === undefined) {
      n = Math.max(0, counter.count(`a${sep}a`) - 2 * counter.count('a'));
      sepTokens.set(sep, n);
    }
    return n;
  };
  const join = (from: number, to: number): string => {
    let out = (units[from] as { text: string }).text;
    for (let k = from + 1; k < to; k++)
      out += (units[k] as { sep: string }).sep + (units[k] as { text: string }).text;
    return out;
  };

  // Greedy packing on estimated sums, then an exact check; on a miss, give back the last unit.
  const chunks: string[] = [];
  let i = 0;
  while (i < units.length) {
    let j = i + 1;
    let est = (units[i] as { tokens: number }).tokens;
    while (j < units.length) {
      const u = units[j] as { tokens: number; sep: string };
      if (est + sepCost(u.sep) + u.tokens > maxTokens) break;
      est += sepCost(u.sep) + u.tokens;
      j++;
    }
    let joined = join(i, j);
    while (j - i > 1 && counter.count(joined) > maxTokens) {
      j--;
      joined = join(i, j);
    }
    chunks.push(joined);
    i = j;
  }
  return chunks;
}

/**
 * Splits `text` into pieces of at most `maxTokens` tokens each (use maxTextTokens() from
 * budget.ts). Returns `[text]` unchanged when it already fits.
 */
export function chunkText(text: string, maxTokens: number, counter: TokenCounter): string[] {
  if (maxTokens < 1) throw new RangeError('maxTokens must be ≥ 1');
  return chunkAt(text, 0, maxTokens, counter);
}
