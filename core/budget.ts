// Prompt lengths are computed from per-part token counts instead of tokenizing each whole
// prompt: tokenizing every whole prompt (history + text) would make counting synth's main cost.
// Every text is counted once (at ingest), every round's pair blocks once (when it finishes).

import { EOS, pairBlocks, readingBlock } from './format.ts';
import type { TokenCounter } from './tokens.ts';
import type { QAPair } from './types.ts';

export interface BudgetConfig {
  /** Context window of the served model (vLLM max_model_len). */
  maxModelLen: number;
  /** Generation cap per round. */
  maxNewTokens: number;
  /**
   * Tokens held back from the prompt limit. Covers (a) the BOS the serving tokenizer adds in
   * front of the prompt's own `<s>`, and (b) the drift between the sum of per-part counts and
   * tokenizing the joined prompt (see DRIFT_ALLOWANCE).
   */
  margin: number;
}

/** The serving tokenizer puts its own BOS in front of the prompt's literal `<s>`. */
export const SERVER_BOS_TOKENS = 1;
/**
 * Allowance for |tokens(joined prompt) − Σ part counts|. Measured with the Mistral tokenizer
 * (tests/unit/budget.test.ts re-checks it on every run): 0 over 20 000 random prompts of
 * ordinary text, including leading/trailing whitespace, newlines and non-ASCII; up to 3 when
 * texts themselves contain literal `<s>`/`</s>` next to the reading-block wrapper (a special
 * token inside a text changes where SentencePiece puts its dummy-prefix space). 8 leaves more
 * than twice the worst case seen.
 */
export const DRIFT_ALLOWANCE = 8;
export const DEFAULT_TOKEN_MARGIN = SERVER_BOS_TOKENS + DRIFT_ALLOWANCE;

export const DEFAULT_BUDGET: Readonly<BudgetConfig> = {
  maxModelLen: 4096,
  maxNewTokens: 400,
  margin: DEFAULT_TOKEN_MARGIN,
};

/** The most prompt tokens (as counted from parts) a round may send. */
export function promptLimit(b: BudgetConfig): number {
  return b.maxModelLen - b.maxNewTokens - b.margin;
}

/** Token arithmetic of the prompt format for one tokenizer. */
export interface PromptTokenModel {
  /** Tokens of `readingBlock(T)` given the tokens of T alone. */
  readingBlock(textTokens: number): number;
  /** Tokens of the joined pair blocks. */
  pairs(pairs: readonly QAPair[]): number;
  /** Tokens of a finished round used as history. */
  history(textTokens: number, pairsTokens: number): number;
}

const PROBE = 'Text';

export function promptTokenModel(counter: TokenCounter): PromptTokenModel {
  // The wrapper around T costs a fixed number of tokens: `<s>` splits the text, and T sits
  // between two spaces, which is exactly where SentencePiece's dummy prefix puts one when T
  // is counted alone.
  const readingOverhead = counter.count(readingBlock(PROBE)) - counter.count(PROBE);
  const emptyReading = counter.count(readingBlock(''));
  const eos = counter.count(EOS);
  const readingBlockTokens = (textTokens: number): number =>
    textTokens === 0 ? emptyReading : textTokens + readingOverhead;
  return {
    readingBlock: readingBlockTokens,
    pairs: (pairs) => (pairs.length === 0 ? 0 : counter.count(pairBlocks(pairs))),
    history: (textTokens, pairsTokens) => readingBlockTokens(textTokens) + pairsTokens + eos,
  };
}

/** Tokens a text may have so that its reading block alone fits the budget. */
export function maxTextTokens(b: BudgetConfig, model: PromptTokenModel): number {
  return promptLimit(b) - model.readingBlock(1) + 1;
}
