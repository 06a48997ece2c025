// ipt-templates-2: how one question-answer pair is written, per kind of pair. A pattern is a
// label set (what marks the question and the answer, and what separates pairs) combined with a
// wording of the question and answer parts. Slots: {q} question, {o} the listed options, {a} the
// answer (for listed options: the chosen option's label, or its text when labels are not
// unique, or a "none" wording), {r} the reasoning.

import { product } from './fill.ts';

export interface PairPattern {
  /** Before the question part. */
  qp: string;
  q: string;
  /** Between the question part and the answer part. */
  mid: string;
  /** Before the answer part. */
  ap: string;
  a: string;
  /** Between consecutive pairs written with this pattern. */
  sep: string;
}

type Labels = readonly [qp: string, mid: string, ap: string, sep: string];
type Wording = readonly [q: string, a: string];

const LABELS: readonly Labels[] = [
  ['Q: ', '\n', 'A: ', '\n\n'],
  ['Question: ', '\n', 'Answer: ', '\n\n\n'],
  ['', '\n', 'Answer: ', '\n\n'],
  ['Question: ', '\n\n', 'Answer: ', '\n\n\n'],
  ['Q: ', ' ', 'A: ', '\n\n\n'],
  ['Problem: ', '\n', 'Solution: ', '\n\n'],
  ['Input: ', '\n', 'Output: ', '\n\n'],
  ['Query: ', '\n', 'Reply: ', '\n\n\n'],
  ['Question:\n', '\n', 'Answer:\n', '\n\n\n'],
  ['', '\n\n', '', '\n\n\n'],
  ['Q. ', '\n', 'A. ', '\n'],
  ['Exercise: ', '\n', 'Answer key: ', '\n\n'],
  ['[Q] ', '\n', '[A] ', '\n\n'],
  ['QUESTION: ', '\n', 'ANSWER: ', '\n\n\n'],
  ['Prompt: ', '\n', 'Response: ', '\n\n'],
  ['Ask: ', '\n', 'Reply: ', '\n'],
  ['Question - ', '\n', 'Answer - ', '\n-----\n'],
  ['Q: ', '\n====\n', 'A: ', '\n\n\n'],
  ['Task: ', '\n', 'Result: ', '\n\n'],
  ['', '\n', 'A: ', '\n\n\n'],
  ['Question: ', ' ', 'Answer: ', '\n'],
  ['In: ', '\n', 'Out: ', '\n\n'],
  ['Quiz: ', '\n', 'Key: ', '\n\n\n'],
  ['Q: ', '\n\n', 'A: ', '\n---\n'],
];

const make =
  (labels: readonly Labels[]) =>
  (wordings: readonly Wording[]): PairPattern[] =>
    product(labels, wordings, ([qp, mid, ap, sep], [q, a]) => ({ qp, q, mid, ap, a, sep }));

/** Plain pairs. */
export const PLAIN_PATTERNS: readonly PairPattern[] = make(LABELS)([
  ['{q}', '{a}'],
  ['Answer this question: {q}', '{a}'],
  ['{q}\nAnswer using the text.', '{a}'],
  ['What is the answer to this? {q}', '{a}'],
]);

/**
 * Multiple-choice pairs: each wording listing the options has a twin that shows the question
 * alone with the plain answer, so half the patterns leave the options out.
 */
const OPTION_WORDINGS: readonly (readonly [listed: Wording, alone: Wording])[] = [
  [
    ['{q}\n{o}', '{a}'],
    ['{q}', '{a}'],
  ],
  [
    ['Pick the correct option.\n{q}\n{o}', 'Correct option: {a}'],
    ['Give the correct answer.\n{q}', 'Correct answer: {a}'],
  ],
];
export const OPTION_PATTERNS_LISTED: readonly PairPattern[] = make(LABELS)(OPTION_WORDINGS.map((w) => w[0]));
export const OPTION_PATTERNS_ALONE: readonly PairPattern[] = make(LABELS)(OPTION_WORDINGS.map((w) => w[1]));
export const OPTION_PATTERNS: readonly PairPattern[] = [...OPTION_PATTERNS_LISTED, ...OPTION_PATTERNS_ALONE];

/** Chain-of-thought pairs ({r} has no final period). */
export const COT_PATTERNS: readonly PairPattern[] = make(LABELS.slice(0, 15))([
  ['{q}', '{r}. So the answer is {a}'],
  ['{q}', '{r}. The answer: {a}'],
  ['{q}', 'Reasoning: {r}.\nAnswer: {a}'],
  ['{q}', '{r}.\nSo, {a}'],
  ['{q}', '{r}. Hence the answer is {a}'],
  ['{q}\nThink it through before answering.', '{r}. Final answer: {a}'],
  ['{q}\nExplain your reasoning.', '{r}. Therefore: {a}'],
  ['{q}\nWork through it step by step.', 'Step by step: {r}. Result: {a}'],
  ['{q}\nShow your thinking first.', 'Thinking: {r}.\nConclusion: {a}'],
  ['{q}', 'Let me think. {r}. The answer is {a}'],
  ['{q}', '{r}. Thus, {a}'],
  ['{q}', 'Explanation: {r}.\nFinal answer: {a}'],
  ['{q} Give reasons.', '{r}, which is why the answer is {a}'],
  ['{q}', '{a}\nReason: {r}.'],
  ['{q}', '{r}. In short: {a}'],
]);

/** Multiple choice with chain-of-thought: the options are always listed. */
export const OPTION_COT_PATTERNS: readonly PairPattern[] = make(LABELS.slice(0, 16))([
  ['{q}\n{o}', '{r}. The answer is {a}'],
  ['{q}\n{o}', '{r}. So the correct option is {a}'],
  ['{q}\n{o}', 'Reasoning: {r}.\nAnswer: {a}'],
  ['{q} {o}', '{r}. Therefore, {a}'],
  ['{q}\n{o}\nThink before choosing.', '{r}. My choice: {a}'],
  ['{q}\n{o}\nExplain, then pick one.', 'Explanation: {r}.\nPick: {a}'],
  ['Choose the right option and say why.\n{q}\n{o}', '{r}. Choice: {a}'],
  ['{q}\n{o}', 'Let me think. {r}. So the answer is {a}'],
  ['{q}\n{o}', '{r}.\nFinal answer: {a}'],
  ['{q}\n{o}', 'Step by step: {r}. Answer: {a}'],
  ['{q}\n{o}\nReason step by step.', '{r}. Hence {a}'],
  ['{q}\n{o}', '{a}\nReason: {r}.'],
  ['{q}\n{o}', 'Thinking: {r}.\nSelected option: {a}'],
  ['Answer the question below, showing your work.\n{q}\n{o}', '{r}. The answer: {a}'],
  ['{q}\n{o}', '{r}, so the best choice is {a}'],
  ['{q}\n\n{o}', 'Considering the options: {r}. Answer: {a}'],
]);
