// How close an extracted text is to the article a page was built around: word-token recall (share
// of the article's tokens the extraction kept) and precision (share of the extraction's tokens
// that are the article's), counted as multisets, and the chrome lines the extraction left in.

import type { ChromePage } from './chrome-pages.ts';

/** A page whose article and chrome lines are known. */
export type Marked = Pick<ChromePage, 'article' | 'chrome'>;

export const wordTokens = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

export function overlap(extracted: string, truth: string): { recall: number; precision: number } {
  const want = new Map<string, number>();
  const truthTokens = wordTokens(truth);
  for (const t of truthTokens) want.set(t, (want.get(t) ?? 0) + 1);
  const got = wordTokens(extracted);
  let common = 0;
  for (const t of got) {
    const left = want.get(t) ?? 0;
    if (left > 0) {
      common++;
      want.set(t, left - 1);
    }
  }
  return {
    recall: truthTokens.length === 0 ? 1 : common / truthTokens.length,
    precision: got.length === 0 ? 0 : common / got.length,
  };
}

/** A line as a list item or link bar renders it: without bullets, numbers and separators. */
export const bareLine = (line: string): string =>
  line
    .replace(/^[\s*•·\-–]*(?:\d+\.\s+)?/, '')
    .replace(/[\s|»]+$/, '')
    .trim();

/**
 * The chrome lines found in an extraction: a line that is one exactly, or (for lines long enough
 * not to be a common word) contains one. Chrome the article itself says is not counted.
 */
export function chromeLeft(extracted: string, page: Marked): string[] {
  const lines = extracted.split('\n').map(bareLine).filter(Boolean);
  const articleLines = new Set(page.article.split('\n').map(bareLine));
  return page.chrome.filter((entry) => {
    if (articleLines.has(entry)) return false;
    const long = entry.length >= 12;
    if (long && page.article.includes(entry)) return false;
    return lines.some((line) => line === entry || (long && line.includes(entry)));
  });
}

export interface Score {
  pages: number;
  /** Means over the pages. */
  recall: number;
  precision: number;
  /** Chrome lines left, over all pages, and pages with any left. */
  chromeLines: number;
  pagesWithChrome: number;
  /** The lowest recall of any page. */
  minRecall: number;
}

export function score(pages: readonly Marked[], texts: readonly string[]): Score {
  let recall = 0;
  let precision = 0;
  let minRecall = 1;
  let chromeLines = 0;
  let pagesWithChrome = 0;
  pages.forEach((page, i) => {
    const text = texts[i] ?? '';
    const o = overlap(text, page.article);
    recall += o.recall;
    precision += o.precision;
    minRecall = Math.min(minRecall, o.recall);
    const left = chromeLeft(text, page).length;
    chromeLines += left;
    if (left > 0) pagesWithChrome++;
  });
  const n = Math.max(1, pages.length);
  return {
    pages: pages.length,
    recall: recall / n,
    precision: precision / n,
    chromeLines,
    pagesWithChrome,
    minRecall,
  };
}
