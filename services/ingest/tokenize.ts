// A text's token count and, for the rare text over the prompt budget, the pieces it is sent as.
// Run by the chunk step, on a worker thread when ingest has them (../step-pool.ts).

import { chunkText } from '../../core/chunk.ts';
import type { TokenCounter } from '../../core/tokens.ts';

export interface Piece {
  text: string;
  tokens: number;
}

/** A text's token count and the pieces it must be sent as (one piece when it fits). */
export interface Split {
  tokens: number;
  pieces: Piece[];
}

export function splitForBudget(text: string, maxTokens: number, counter: TokenCounter): Split {
  const tokens = counter.count(text);
  if (tokens <= maxTokens) return { tokens, pieces: [{ text, tokens }] };
  return {
    tokens,
    pieces: chunkText(text, maxTokens, counter).map((t) => ({ text: t, tokens: counter.count(t) })),
  };
}
