// ipt-templates-3: how one kept pair is written, in ipt's own words, following the reference's
// list shapes (./layout.ts) position by position: each position's pattern puts the question,
// options, reasoning and answer where the reference's pattern at that position does, and uses
// that position's delimiter and separator. The wording is composed from small banks (labels,
// an instruction around the input, a phrasing per slot), so patterns of one slot order differ by
// construction; a list is built once and its length is the reference's, which the replayed draws
// (./draws.ts) depend on.
//
// Slots: {q} question, {o} the listed options, {a} the answer (for listed options: the cited label,
// the option's text, or a "none" wording), {r} the reasoning (without its final period).

import { fnv1a32, Rng } from '../../prng.ts';
import { product } from '../v2/fill.ts';
import { joinersOf, LIST_SHAPES, type ListShape, ordersOf } from './layout.ts';

export interface PairPattern {
  /** Where the slots stand: input `|` output, e.g. `q|ra`. */
  order: string;
  inPrefix: string;
  inputs: string;
  /** Between the input and the output. */
  delimiter: string;
  outPrefix: string;
  targets: string;
  /** Between this pair and the next one written with this pattern. */
  separator: string;
}

/** Label pairs when the input starts with the question (or its options). */
const FORWARD_LABELS: readonly (readonly [string, string])[] = [
  ['', ''],
  ['Q: ', 'A: '],
  ['Question: ', 'Answer: '],
  ['Problem: ', 'Solution: '],
  ['Input: ', 'Output: '],
  ['Query: ', 'Reply: '],
  ['Task: ', 'Response: '],
  ['[Q] ', '[A] '],
  ['Exercise: ', 'Key: '],
  ['QUESTION: ', 'ANSWER: '],
  ['Q. ', 'A. '],
  ['Quiz: ', 'Result: '],
];
/** Label pairs when the input starts with something else (answer, reasoning, or nothing). */
const OTHER_LABELS: readonly (readonly [string, string])[] = [
  ['', ''],
  ['Input: ', 'Output: '],
  ['Given: ', 'Find: '],
  ['In: ', 'Out: '],
  ['Clue: ', 'Target: '],
  ['Prompt: ', 'Completion: '],
  ['Start: ', 'Then: '],
  ['>> ', '<< '],
];

/** What the output is asked for, which decides the instruction around the input. */
type Intent = 'answer' | 'reason' | 'justify' | 'explain' | 'ask' | 'ask_alone';

// `{s}`: the input's slots.
const WRAPPERS: Readonly<Record<Intent, readonly string[]>> = {
  answer: [
    '{s}',
    'Answer the question below.\n{s}',
    '{s}\nAnswer using the text.',
    'Use the passage to reply.\n{s}',
    '{s}\nGive a short answer.',
    'A question on the text: {s}',
    'Respond to this: {s}',
    '{s}\nWhat does the text say?',
  ],
  reason: [
    '{s}',
    'Think it through, then answer.\n{s}',
    '{s}\nReason step by step.',
    'Explain your answer.\n{s}',
    '{s}\nShow your reasoning first.',
    'Work it out: {s}',
    '{s}\nReason before answering.',
    'Take this one slowly. {s}',
  ],
  justify: [
    '{s}',
    '{s}\nExplain why.',
    'Justify the answer.\n{s}',
    '{s}\nWhy is that so?',
    'Give the reasoning behind this.\n{s}',
    '{s}\nWhat supports this answer?',
    'Explain: {s}',
    '{s}\nHow do we know?',
  ],
  explain: [
    '{s}',
    '{s}\nThink about it.',
    'Reason about this.\n{s}',
    '{s}\nWalk through it.',
    'Discuss: {s}',
  ],
  ask: [
    '{s}',
    '{s}\nWhat question does this answer?',
    'Work backwards from this.\n{s}',
    '{s}\nWrite the question.',
    'Here is the answer; find the question.\n{s}',
    'Given this, what was asked?\n{s}',
    '{s}\nWhich question leads here?',
    'Reverse it: {s}',
  ],
  ask_alone: [
    'Write a question that the text answers.',
    'Ask something about the passage.',
    'Make up a quiz question on the text.',
    'What could a reader be asked here?',
    'Suggest one question about the article.',
    'Form a question from the reading.',
  ],
};

type Slot = 'q' | 'o' | 'r' | 'a';
type Forms = Readonly<Record<Slot, readonly string[]>>;

/** A slot first on its side / after another slot on the same side (joiner included). */
const LEAD_IN: Forms = {
  q: ['{q}'],
  o: ['{o}'],
  a: ['{a}', 'Answer: {a}', 'The answer is {a}'],
  r: ['{r}.', 'Reasoning: {r}.', 'An explanation: {r}.'],
};
const FOLLOW_IN: Forms = {
  q: ['\n{q}', ' {q}', '\n\n{q}'],
  o: ['\n{o}', ' {o}', '\n\n{o}'],
  a: ['\nAnswer: {a}', ' Answer: {a}', '\nGiven answer: {a}'],
  r: ['\nReasoning: {r}.', ' Reasoning: {r}.'],
};
const LEAD_OUT: Forms = {
  q: ['{q}', 'The question: {q}', 'Question asked: {q}'],
  o: ['{o}'],
  a: ['{a}', 'The answer is {a}', 'In short: {a}'],
  r: [
    '{r}.',
    'Let me think. {r}.',
    'Reasoning: {r}.',
    'Step by step: {r}.',
    'First, the reasoning: {r}.',
    'Thinking it over: {r}.',
  ],
};
const FOLLOW_OUT: Forms = {
  q: ['\n{q}', ' {q}'],
  o: ['\n{o}', ' {o}', '\n\n{o}'],
  a: [
    '\nSo the answer is {a}',
    ' So the answer is {a}',
    '\nThe answer: {a}',
    ' Hence: {a}',
    '\nFinal answer: {a}',
    '\n\nAnswer: {a}',
    ' The answer is {a}',
    '\nThat gives: {a}',
  ],
  r: ['\nReason: {r}.', '\nWhy: {r}.', ' Here is why: {r}.', '\nExplanation: {r}.', '\n\nReasoning: {r}.'],
};

function intentOf(input: string, output: string): Intent {
  const first = output[0];
  if (first === 'q' || first === 'o') return input === '' ? 'ask_alone' : 'ask';
  if (first === 'a') return 'answer';
  if (output.includes('a')) return 'reason';
  return input.includes('a') ? 'justify' : 'explain';
}

/** Every phrasing of one side: a form per slot, in order. */
function sides(slots: string, lead: Forms, follow: Forms): string[] {
  let out = [''];
  [...slots].forEach((s, i) => {
    const forms = (i === 0 ? lead : follow)[s as Slot];
    out = product(out, forms, (acc, f) => acc + f);
  });
  return out;
}

/** Distinct patterns of one slot order, as many as asked (throws when the banks run short). */
function patternsOf(order: string, count: number): Omit<PairPattern, 'delimiter' | 'separator'>[] {
  const [input = '', output = ''] = order.split('|');
  const labels = input[0] === 'q' || input[0] === 'o' ? FORWARD_LABELS : OTHER_LABELS;
  const wrappers = WRAPPERS[intentOf(input, output)];
  const ins = input === '' ? [''] : sides(input, LEAD_IN, FOLLOW_IN);
  const outs = sides(output, LEAD_OUT, FOLLOW_OUT);
  const seen = new Set<string>();
  const out: Omit<PairPattern, 'delimiter' | 'separator'>[] = [];
  // Every combination of label, instruction and phrasings, in a fixed pseudo-random order per slot
  // order, so that the patterns taken vary in every respect rather than in the labels first.
  const dims = [labels.length, wrappers.length, ins.length, outs.length];
  const total = dims.reduce((a, b) => a * b, 1);
  const combos = new Rng(fnv1a32(`ipt-templates-3 ${order}`)).shuffle(
    Array.from({ length: total }, (_, j) => j),
  );
  for (const j of combos) {
    if (out.length >= count) break;
    let rest = j;
    const [l, w, i, o] = dims.map((d) => {
      const digit = rest % d;
      rest = Math.floor(rest / d);
      return digit;
    }) as [number, number, number, number];
    const [inPrefix, outPrefix] = labels[l] as readonly [string, string];
    const wrapper = wrappers[w] as string;
    const inputs = input === '' ? wrapper : wrapper.replace('{s}', ins[i] as string);
    const targets = outs[o] as string;
    const key = JSON.stringify([inPrefix, inputs, outPrefix, targets]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ order, inPrefix, inputs, outPrefix, targets });
  }
  if (out.length < count) throw new Error(`only ${out.length} patterns of order ${order}, ${count} needed`);
  return out;
}

/** A list shaped like the reference's: position k has its order, delimiter and separator. */
function listOf(shape: ListShape): PairPattern[] {
  const orders = ordersOf(shape);
  const joiners = joinersOf(shape);
  const counts = new Map<string, number>();
  for (const o of orders) counts.set(o, (counts.get(o) ?? 0) + 1);
  const pools = new Map([...counts].map(([o, n]) => [o, patternsOf(o, n)]));
  const used = new Map<string, number>();
  return orders.map((order, k) => {
    const n = used.get(order) ?? 0;
    used.set(order, n + 1);
    const p = pools.get(order)?.[n] as Omit<PairPattern, 'delimiter' | 'separator'>;
    const j = joiners[k] as { delimiter: string; separator: string };
    return { ...p, delimiter: j.delimiter, separator: j.separator };
  });
}

/** Plain pairs: answer shown after or before the question, or the question alone. */
export const PLAIN_PATTERNS: readonly PairPattern[] = listOf(LIST_SHAPES.PLAIN);
/** Multiple choice: options after or before the question, or not shown (then the plain answer). */
export const OPTION_PATTERNS: readonly PairPattern[] = listOf(LIST_SHAPES.OPTIONS);
/** Chain of thought, in the reference's six orders and its few partial ones. */
export const COT_PATTERNS: readonly PairPattern[] = listOf(LIST_SHAPES.COT);
/** Multiple choice with chain of thought: options always listed. */
export const OPTION_COT_PATTERNS: readonly PairPattern[] = listOf(LIST_SHAPES.OPTIONS_COT);

/** Whether a pattern shows the options (else its answer is the pair's own answer text). */
export const showsOptions = (p: PairPattern): boolean => p.order.includes('o');
