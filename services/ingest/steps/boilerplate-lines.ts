// RefinedWeb's line-wise corrections (Penedo et al. 2023, "The RefinedWeb Dataset for Falcon LLM",
// appendix G.2), which clean what extraction leaves of a page's chrome: a line is dropped when it
// is mostly upper case, only numbers, a counter ("3 likes"), a single word, or short (≤ 10 words)
// and a known piece of chrome ("Read more", "Share this", "Sign in", a cookie notice). RefinedWeb
// then drops a document whose corrections removed more than 5 % of its words: what is left of it
// is probably not the page's text. Pure functions. (RefinedWeb edits the matched phrase out of a
// short line; we drop the whole short line, which on such a line is nearly the same.)

export interface LineCleanup {
  text: string;
  /** Lines dropped. */
  lines: number;
  /** Words in the dropped lines, and in the whole text before. */
  wordsRemoved: number;
  words: number;
}

/** Most words a line may have to be judged by the chrome patterns. */
export const SHORT_LINE_WORDS = 10;
/** RefinedWeb: documents whose corrections removed more than this share of words are dropped. */
export const MAX_REMOVED_WORD_SHARE = 0.05;

const COUNTER =
  /^\d[\d.,]*\s*[kKmM]?\s+(likes?|comments?|shares?|views?|repl(y|ies)|followers?|retweets?|votes?|points?|reviews?|answers?|favou?rites?)\s*$/iu;
const NUMERIC = /^[\d\s.,:;/%+\-–—()#|]+$/u;
const CHROME_START =
  /^(sign (in|up)|log ?(in|out)|subscribe|share (this|on)|skip to|follow us|jump to|back to top|posted (in|by|on)|filed under|tags?:|categories:|you are here|home\s*[>›»/])/iu;
const CHROME_END = /(read more|continue reading|see more|show more|learn more|view all|load more)\W*$/iu;
const CHROME_ANYWHERE =
  /(items? in (your )?cart|cookies?|all rights reserved|privacy policy|terms of (use|service)|newsletter|keyboard shortcuts|print this|previous (post|article|chapter)|next (post|article|chapter)|leave a (comment|reply)|accept all|©|copyright \d{4})/iu;

const wordCount = (line: string) => line.split(/\s+/u).filter((w) => w !== '').length;

const LETTER = /\p{L}/u;
const UPPER = /\p{Lu}/u;

/** More than half of the line's letters (at least two) are capitals. ASCII without regular expressions. */
function mostlyUpperCase(line: string): boolean {
  let letters = 0;
  let upper = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c >= 97 && c <= 122) letters++;
    else if (c >= 65 && c <= 90) {
      letters++;
      upper++;
    } else if (c > 127) {
      const ch = line[i] as string;
      if (LETTER.test(ch)) {
        letters++;
        if (UPPER.test(ch)) upper++;
      }
    }
  }
  return letters >= 2 && upper * 2 > letters;
}

/** Why a line is boilerplate, or null when it is text. */
export function boilerplateLine(line: string): string | null {
  const trimmed = line.trim();
  if (trimmed === '') return null;
  const words = wordCount(trimmed);
  if (mostlyUpperCase(trimmed)) return 'uppercase';
  if (NUMERIC.test(trimmed) && /\d/u.test(trimmed)) return 'numeric';
  if (COUNTER.test(trimmed)) return 'counter';
  if (words === 1) return 'one_word';
  if (words > SHORT_LINE_WORDS) return null;
  if (CHROME_START.test(trimmed) || CHROME_END.test(trimmed) || CHROME_ANYWHERE.test(trimmed))
    return 'chrome';
  return null;
}

/**
 * The text without its boilerplate lines. Blank lines stay where they were (a paragraph break
 * around a dropped line collapses to one), so paragraphs keep their shape.
 */
export function dropBoilerplateLines(text: string): LineCleanup {
  const kept: string[] = [];
  let lines = 0;
  let wordsRemoved = 0;
  let words = 0;
  for (const line of text.split('\n')) {
    const n = wordCount(line);
    words += n;
    if (boilerplateLine(line) === null) {
      const blank = line.trim() === '';
      if (!(blank && kept.length > 0 && (kept[kept.length - 1] as string).trim() === '')) kept.push(line);
      continue;
    }
    lines++;
    wordsRemoved += n;
  }
  if (lines === 0) return { text, lines: 0, wordsRemoved: 0, words };
  while (kept.length > 0 && (kept[0] as string).trim() === '') kept.shift();
  while (kept.length > 0 && (kept[kept.length - 1] as string).trim() === '') kept.pop();
  return { text: kept.join('\n'), lines, wordsRemoved, words };
}
