// ipt-templates-2: which synthesized pairs a pre-training text keeps, and what of each it shows.
// The rules are the reference's (LMOps instruction_pretrain), reimplemented:
// - chain-of-thought: a pair that mentions the trigger or the conclusion is one only if the
//   question ends with the trigger and the answer splits into exactly two on the conclusion;
//   the reasoning loses one final period; anything else is dropped;
// - multiple choice: the marker must occur exactly once (else dropped); the options are what
//   follows it split on `\n- `; the answer must equal an option after stripping both, or be a
//   "none"-type answer that names no option; anything else is dropped.

import type { QAPair } from '../../types.ts';
import { NONE_ANSWERS } from './none.ts';

export const COT_TRIGGER = "\nLet's think step by step.";
export const COT_CONCLUSION = '\nTherefore, the answer is ';
export const OPTIONS_MARKER = '\nOptions:\n- ';
export const OPTION_SPLIT = '\n- ';

export type PairKind = 'plain' | 'options' | 'cot' | 'options_cot';
export type DropReason = 'cot_malformed' | 'options_malformed' | 'no_matching_option';

export interface KeptPair {
  kind: PairKind;
  /** The question without its options and thinking trigger. */
  question: string;
  /** The final answer (the conclusion's for chain-of-thought). */
  answer: string;
  /** Chain-of-thought reasoning, final period removed; null otherwise. */
  reasoning: string | null;
  /** Options in the synthesizer's order; null when not multiple choice. */
  options: string[] | null;
  /** A multiple-choice answer that says none of the options is right. */
  none: boolean;
}

export type PairVerdict = { keep: true; pair: KeptPair } | { keep: false; reason: DropReason };

const NONE = new Set(NONE_ANSWERS.map((s) => s.toLowerCase()));

/** Whether a (stripped) answer says that no option is right. */
export function isNoneAnswer(answer: string): boolean {
  return NONE.has(answer.toLowerCase());
}

/** Index of the first option equal to `answer` after stripping both, or -1. */
export function matchOption(options: readonly string[], answer: string): number {
  const a = answer.trim();
  return options.findIndex((o) => o.trim() === a);
}

export function judgePair(pair: QAPair): PairVerdict {
  const cot = splitReasoning(pair.question, pair.answer);
  if (!cot) return { keep: false, reason: 'cot_malformed' };
  const { question, answer, reasoning } = cot;
  if (!question.includes(OPTIONS_MARKER)) {
    return {
      keep: true,
      pair: {
        kind: reasoning === null ? 'plain' : 'cot',
        question,
        answer,
        reasoning,
        options: null,
        none: false,
      },
    };
  }
  const parts = question.split(OPTIONS_MARKER);
  if (parts.length !== 2 || parts[0] === '') return { keep: false, reason: 'options_malformed' };
  const options = (parts[1] as string).split(OPTION_SPLIT);
  const none = !options.includes(answer) && isNoneAnswer(answer);
  if (!none && matchOption(options, answer) < 0) return { keep: false, reason: 'no_matching_option' };
  return {
    keep: true,
    pair: {
      kind: reasoning === null ? 'options' : 'options_cot',
      question: parts[0] as string,
      answer,
      reasoning,
      options,
      none,
    },
  };
}

/**
 * A chain-of-thought pair's question without its trigger, its reasoning and its concluded answer;
 * a pair without the trigger or conclusion as it is (no reasoning); null if the CoT form is broken.
 */
function splitReasoning(
  question: string,
  answer: string,
): { question: string; answer: string; reasoning: string | null } | null {
  if (!question.includes(COT_TRIGGER) && !answer.includes(COT_CONCLUSION)) {
    return { question, answer, reasoning: null };
  }
  if (!question.endsWith(COT_TRIGGER)) return null;
  const q = question.slice(0, question.length - COT_TRIGGER.length).trim();
  const parts = answer.split(COT_CONCLUSION);
  if (q === '' || parts.length !== 2) return null;
  let reasoning = (parts[0] as string).trim();
  if (reasoning.endsWith('.')) reasoning = reasoning.slice(0, -1);
  const a = (parts[1] as string).trim();
  if (reasoning === '' || a === '') return null;
  return { question: q, answer: a, reasoning };
}

/**
 * Substrings of a pair that every ipt-templates-2 rendering contains verbatim: none for a dropped
 * pair; else its question and, unless it is a "none" answer (shown in the template's words when
 * the options are listed), its answer. Options and reasoning are not always shown.
 */
export function keptFragments(pair: QAPair): string[] {
  const v = judgePair(pair);
  if (!v.keep) return [];
  const out = [v.pair.question];
  if (!v.pair.none) out.push(v.pair.answer);
  return out.filter((f) => f.length > 0);
}
