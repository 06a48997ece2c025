// ipt-templates-3: which synthesized pairs a pre-training text keeps, to the letter of the
// reference (LMOps read_compre_pt.py), with Python's str.strip() whitespace:
// - chain-of-thought: a pair whose question contains the trigger or whose answer contains the
//   conclusion is one only if the question ends with the trigger, the question without it (stripped)
//   is not empty and the answer splits into exactly two on the conclusion; both halves are
//   stripped, the reasoning loses one final period, and neither may then be empty; else dropped;
// - multiple choice: when the question (without the trigger) contains the marker, it must split
//   into exactly two on it with a non-empty (unstripped) first part; the options are the second
//   part split on `\n- `; the answer is kept when it is no option exactly and is a "none" answer
//   (./none.ts), or when it equals an option after stripping both (the first such option); else
//   the pair is dropped.

import type { QAPair } from '../../types.ts';
import { isNoneAnswer } from './none.ts';

export const COT_TRIGGER = "\nLet's think step by step.";
export const COT_CONCLUSION = '\nTherefore, the answer is ';
export const OPTIONS_MARKER = '\nOptions:\n- ';
export const OPTION_SPLIT = '\n- ';

export type PairKind = 'plain' | 'options' | 'cot' | 'options_cot';
export type DropReason = 'cot_malformed' | 'options_malformed' | 'no_matching_option';

export interface KeptPair {
  kind: PairKind;
  question: string;
  answer: string;
  reasoning: string | null;
  options: string[] | null;
  /** A multiple-choice answer that says no option is right. */
  none: boolean;
}

export type PairVerdict = { keep: true; pair: KeptPair } | { keep: false; reason: DropReason };

// What Python's str.isspace() counts as whitespace (JavaScript's trim() differs: it strips U+FEFF
// and keeps U+001C–U+001F and U+0085).
const PY_SPACE =
  '[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const LEADING = new RegExp(`^${PY_SPACE}+`, 'u');
const TRAILING = new RegExp(`${PY_SPACE}+$`, 'u');

/** Python's str.strip() with no argument. */
export const pyStrip = (s: string): string => s.replace(LEADING, '').replace(TRAILING, '');

/** Index of the first option equal to `answer` once both are stripped, or -1. */
export function matchOption(options: readonly string[], answer: string): number {
  const a = pyStrip(answer);
  return options.findIndex((o) => pyStrip(o) === a);
}

export function judgePair(pair: QAPair): PairVerdict {
  const cot = splitReasoning(pair.question, pair.answer);
  if (!cot) return { keep: false, reason: 'cot_malformed' };
  const { question, answer, reasoning } = cot;
  const base = { answer, reasoning };
  if (!question.includes(OPTIONS_MARKER)) {
    const kind = reasoning === null ? 'plain' : 'cot';
    return { keep: true, pair: { ...base, kind, question, options: null, none: false } };
  }
  const parts = question.split(OPTIONS_MARKER);
  if (parts.length !== 2 || parts[0] === '') return { keep: false, reason: 'options_malformed' };
  const options = (parts[1] as string).split(OPTION_SPLIT);
  const none = !options.includes(answer) && isNoneAnswer(answer);
  if (!none && matchOption(options, answer) < 0) return { keep: false, reason: 'no_matching_option' };
  const kind = reasoning === null ? 'options' : 'options_cot';
  return { keep: true, pair: { ...base, kind, question: parts[0] as string, options, none } };
}

function splitReasoning(
  question: string,
  answer: string,
): { question: string; answer: string; reasoning: string | null } | null {
  if (!question.includes(COT_TRIGGER) && !answer.includes(COT_CONCLUSION)) {
    return { question, answer, reasoning: null };
  }
  if (!question.endsWith(COT_TRIGGER)) return null;
  const q = pyStrip(question.slice(0, question.length - COT_TRIGGER.length));
  const parts = answer.split(COT_CONCLUSION);
  if (q === '' || parts.length !== 2) return null;
  let reasoning = pyStrip(parts[0] as string);
  if (reasoning.endsWith('.')) reasoning = reasoning.slice(0, -1);
  const a = pyStrip(parts[1] as string);
  if (reasoning === '' || a === '') return null;
  return { question: q, answer: a, reasoning };
}

/**
 * Substrings of a pair that every ipt-templates-3 rendering contains verbatim: its question if
 * kept (every pattern shows the question; answers, options and reasoning are not always shown).
 */
export function keptQuestion(pair: QAPair): string[] {
  const v = judgePair(pair);
  return v.keep && v.pair.question !== '' ? [v.pair.question] : [];
}
