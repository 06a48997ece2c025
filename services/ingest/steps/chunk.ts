// chunk: counts the text's tokens (stored, so synth never counts a text again) and, when the text
// does not fit a prompt on its own, splits it into pieces that do; produce writes them as chunk i of
// n. Pure: with worker threads (`--threads`) it runs there, each thread with its own tokenizer.

import type { TokenCounter } from '../../../core/tokens.ts';
import { splitForBudget } from '../tokenize.ts';
import { keep, type Step } from './step.ts';

export interface ChunkOptions {
  /** Most tokens a text may have to be sent whole. */
  maxTokens: number;
  tokenizer: TokenCounter;
}

export function chunkStep(options: ChunkOptions): Step {
  return {
    name: 'chunk',
    pure: true,
    process(doc) {
      doc.split = splitForBudget(doc.text, options.maxTokens, options.tokenizer);
      return keep(doc);
    },
  };
}
