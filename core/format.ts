// The synthesizer's trained interface (ARCHITECTURE.md §2). Every byte here is part of what the
// fine-tuned model saw in training; change nothing without re-reading the spec.

import type { QAPair } from './types.ts';

export const BOS = '<s>';
export const EOS = '</s>';
export const CON_OPEN = '<CON>';
export const CON_CLOSE = '</CON>';
export const QUE = '<QUE>';
export const ANS = '<ANS>';
export const END = '</END>';
export const PAIR_JOINER = '\n\n';

/** `<s> <CON> T </CON>\n\n`; an empty text gives just `<s>`. */
export function readingBlock(text: string): string {
  if (text.length === 0) return BOS;
  return `${BOS} ${CON_OPEN} ${text} ${CON_CLOSE}\n\n`;
}

/** `<QUE> Q <ANS> A </END>` */
export function pairBlock(pair: QAPair): string {
  return `${QUE} ${pair.question} ${ANS} ${pair.answer} ${END}`;
}

/** Pair blocks joined by a blank line; empty string for no pairs. */
export function pairBlocks(pairs: readonly QAPair[]): string {
  return pairs.map(pairBlock).join(PAIR_JOINER);
}

/** A finished round as it appears in later prompts: reading block + pair blocks + `</s>`. */
export function finishedRound(text: string, pairs: readonly QAPair[]): string {
  return readingBlock(text) + pairBlocks(pairs) + EOS;
}

/** History rounds (oldest first, each already a finished round) followed by the text's reading block. */
export function buildPrompt(
  history: readonly { text: string; pairs: readonly QAPair[] }[],
  text: string,
): string {
  let out = '';
  for (const round of history) out += finishedRound(round.text, round.pairs);
  return out + readingBlock(text);
}
