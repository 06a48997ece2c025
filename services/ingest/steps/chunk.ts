// chunk: counts the text's tokens (stored, so synth never counts a text again) and, when the text
// does not fit a prompt on its own, splits it into pieces that do; produce writes them as chunk i of
// n. Counting is ingest's largest cost, so it may run on worker threads (`threads` > 0).

import type { TokenCounter } from '../../../core/tokens.ts';
import { inlineTokenizing, workerTokenizing } from '../tokenize.ts';
import { keep, type Step } from './step.ts';

export interface ChunkOptions {
  /** Most tokens a text may have to be sent whole. */
  maxTokens: number;
  tokenizer: TokenCounter;
  /** Worker threads, each with its own Mistral tokenizer (0: count with `tokenizer` on this thread). */
  threads: number;
}

export function chunkStep(options: ChunkOptions): Step {
  const tokenizing =
    options.threads > 0
      ? workerTokenizing(options.threads, options.maxTokens)
      : inlineTokenizing(options.maxTokens, options.tokenizer);
  return {
    name: 'chunk',
    parallelism: tokenizing.parallelism,
    async process(doc) {
      doc.split = await tokenizing.split(doc.text);
      return keep(doc);
    },
    close: () => tokenizing.close(),
  };
}
