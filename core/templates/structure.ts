// ipt-templates-1's reading of the structured question kinds the synthesizer writes: multiple
// choice (`\nOptions:\n- a\n- b…`) and chain-of-thought (`\nLet's think step by step.` in the
// question, `\nTherefore, the answer is X` in the answer). Anything else is a plain pair.
// ipt-templates-2 follows the reference's stricter rules (./v2/rules.ts).

import type { QAPair } from '../types.ts';
import { keptFragments } from './v2/rules.ts';
import { keptQuestion } from './v3/rules.ts';
import { TEMPLATE_VERSION } from './version.ts';

export const OPTIONS_MARKER = '\nOptions:\n';
export const COT_TRIGGER = "\nLet's think step by step.";
export const COT_CONCLUSION = '\nTherefore, the answer is ';

export interface PairStructure {
  /** The question without its options list and thinking trigger. */
  stem: string;
  /** Option texts in the synthesizer's order, or null when not multiple choice. */
  options: string[] | null;
  /** Set for chain-of-thought pairs: the reasoning before the conclusion. */
  reasoning: string | null;
  /** The final answer: X of the conclusion for chain-of-thought, else the whole answer. */
  final: string;
  /** Index into `options` of the option the final answer names, or -1. */
  correct: number;
}

function parseOptions(q: string): { stem: string; options: string[] } | null {
  const at = q.lastIndexOf(OPTIONS_MARKER);
  if (at < 0) return null;
  const lines = q.slice(at + OPTIONS_MARKER.length).split('\n');
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop();
  if (lines.length < 2 || !lines.every((l) => l.startsWith('- ') && l.slice(2).trim() !== '')) return null;
  return { stem: q.slice(0, at), options: lines.map((l) => l.slice(2).trim()) };
}

const norm = (s: string): string =>
  s
    .trim()
    .replace(/[.。]+$/, '')
    .trim()
    .toLowerCase();

export function analyzePair(pair: QAPair): PairStructure {
  let q = pair.question;
  let reasoning: string | null = null;
  let final = pair.answer;
  const conclusionAt = pair.answer.lastIndexOf(COT_CONCLUSION);
  if (q.endsWith(COT_TRIGGER) && conclusionAt >= 0) {
    const x = pair.answer.slice(conclusionAt + COT_CONCLUSION.length).trim();
    if (x !== '') {
      q = q.slice(0, q.length - COT_TRIGGER.length);
      reasoning = pair.answer.slice(0, conclusionAt).trim();
      final = x;
    }
  }
  const mc = parseOptions(q);
  if (!mc) return { stem: q, options: null, reasoning, final, correct: -1 };
  const target = norm(final);
  return {
    stem: mc.stem,
    options: mc.options,
    reasoning,
    final,
    correct: mc.options.findIndex((o) => norm(o) === target),
  };
}

/**
 * Substrings of a pair that every rendering with template set `version` contains verbatim (used
 * by the tests). ipt-templates-2 and 3 drop some pairs: none for those.
 */
export function pairFragments(pair: QAPair, version: string = TEMPLATE_VERSION): string[] {
  if (version === 'ipt-templates-3') return keptQuestion(pair);
  if (version !== 'ipt-templates-1') return keptFragments(pair);
  const s = analyzePair(pair);
  const out = [s.stem, ...(s.options ?? []), s.final];
  if (s.reasoning) out.push(s.reasoning);
  return out.filter((f) => f.length > 0);
}
