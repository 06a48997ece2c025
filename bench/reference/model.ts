// A model of what the reference (LMOps instruction_pretrain: read_compre.py cook_pt_entries and
// read_compre_pt.py) decides for a chain, written from reading its code: which pairs it keeps and
// as what, and which pattern each segment draws. Every draw is a fresh random.Random(seed) (one
// seed per chain), so the model makes exactly the reference's choices for the same seed. Pattern
// wording is not modelled; the kind of pattern at each position comes from LIST_SHAPES.

import type { QAPair } from '../../core/types.ts';
import { PythonRandom } from './python-random.ts';

export type RefKind = 'plain' | 'options' | 'cot' | 'options_cot';
export type RefMode = 'classic' | 'dialog' | 'numbered' | 'inline' | 'next_turn';
export interface RefPair {
  kind: RefKind;
  none: boolean;
}
export interface RefSegment {
  /** Kept pairs per round (rounds left without pairs are written alone). */
  rounds: RefPair[][];
  mode: RefMode;
  inverted: boolean;
  /** Indexes drawn into each list (by list length, as the reference draws them). */
  basic: number;
  option: number;
  cot: number;
  optionCot: number;
  readStart: number;
  compreStart: number;
  optionItems: number;
  numbered: number;
  nextTurn: number;
}

const TRIGGER = "\nLet's think step by step.";
const CONCLUSION = '\nTherefore, the answer is ';
const MARKER = '\nOptions:\n- ';
// Python's str.isspace() characters (JavaScript's \s differs at U+001C–U+001F, U+0085, U+FEFF).
const WS = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const EDGES = new RegExp(`^[${WS}]+|[${WS}]+$`, 'gu');
const strip = (s: string): string => s.replace(EDGES, '');

/** Step 1 of the reference: the question and final answer, with or without reasoning; null: dropped. */
function withoutReasoning(pair: QAPair): { question: string; answer: string; cot: boolean } | null {
  if (!pair.question.includes(TRIGGER) && !pair.answer.includes(CONCLUSION)) {
    return { question: pair.question, answer: pair.answer, cot: false };
  }
  if (!pair.question.endsWith(TRIGGER)) return null;
  const question = strip(pair.question.slice(0, -TRIGGER.length));
  const halves = pair.answer.split(CONCLUSION);
  if (question.length === 0 || halves.length !== 2) return null;
  let reasoning = strip(halves[0] as string);
  const answer = strip(halves[1] as string);
  if (reasoning.endsWith('.')) reasoning = reasoning.slice(0, -1);
  if (reasoning.length === 0 || answer.length === 0) return null;
  return { question, answer, cot: true };
}

/** The reference's keep/drop decision for one pair (null: dropped). */
export function referenceKeeps(pair: QAPair, noneAnswers: ReadonlySet<string>): RefPair | null {
  const step1 = withoutReasoning(pair);
  if (!step1) return null;
  const { question, answer, cot } = step1;
  if (!question.includes(MARKER)) return { kind: cot ? 'cot' : 'plain', none: false };
  const parts = question.split(MARKER);
  if (parts.length !== 2 || (parts[0] as string).length === 0) return null;
  const options = (parts[1] as string).split('\n- ');
  const none = !options.includes(answer) && noneAnswers.has(answer);
  if (!none && !options.some((o) => strip(o) === strip(answer))) return null;
  return { kind: cot ? 'options_cot' : 'options', none };
}

/** One fresh draw from the chain's seed: an index into n items, or a weighted index. */
export interface Draw {
  choiceIndex(n: number): number;
  choicesIndex(weights: readonly number[]): number;
}
export const pythonDraw = (seed: number): Draw => new PythonRandom(seed);

const MODES_FEW: RefMode[] = ['classic', 'dialog'];
const MODES_MANY: RefMode[] = ['classic', 'dialog', 'numbered', 'inline', 'next_turn'];

/** The reference's segments of a chain: kept pairs and draws (seed: the chain's random_seed). */
export function referenceChain(
  rounds: readonly { pairs: readonly QAPair[]; inherit_from_prev: boolean }[],
  seed: number,
  noneAnswers: ReadonlySet<string>,
  source: (seed: number) => Draw = pythonDraw,
): RefSegment[] {
  const draw = () => source(seed);
  const segments: { pairs: readonly QAPair[] }[][] = [];
  rounds.forEach((r, i) => {
    if (i === 0 || !r.inherit_from_prev) segments.push([r]);
    else segments[segments.length - 1]?.push(r);
  });
  return segments.map((seg) => {
    const kept = seg.map((r) => r.pairs.flatMap((p) => referenceKeeps(p, noneAnswers) ?? []));
    const min = Math.min(...kept.map((k) => k.length));
    const mode =
      min >= 2 ? MODES_MANY[draw().choicesIndex([80, 5, 5, 5, 5])] : MODES_FEW[draw().choicesIndex([95, 5])];
    return {
      rounds: kept,
      mode: mode as RefMode,
      inverted: draw().choicesIndex([5, 95]) === 0,
      basic: draw().choiceIndex(79),
      option: draw().choiceIndex(48),
      cot: draw().choiceIndex(210),
      optionCot: draw().choiceIndex(240),
      readStart: draw().choiceIndex(100),
      compreStart: draw().choiceIndex(168),
      optionItems: draw().choiceIndex(87),
      numbered: draw().choiceIndex(11),
      nextTurn: draw().choiceIndex(15),
    };
  });
}
