// Chain history rules of ARCHITECTURE.md §2: which finished rounds go into a round's prompt, whether
// the previous round counts as followed, and whether the new round inherits.

import { type BudgetConfig, type PromptTokenModel, promptLimit } from './budget.ts';
import { buildPrompt } from './format.ts';
import type { CompactRound, QAPair } from './types.ts';

/** The parts of a finished round the history rules read. */
export type HistoryRound = Pick<CompactRound, 'text' | 'pairs' | 'inherit_from_prev' | 'history_tokens'>;

export interface PromptPlan {
  prompt: string;
  /** Tokens of the prompt computed from its parts (see budget.ts). */
  promptTokens: number;
  /** Rounds the paper's rule selects as history before the budget is applied. */
  historyRoundsAvailable: number;
  /** Rounds actually prepended (oldest dropped first until the prompt fits). */
  historyRoundsUsed: number;
  /** The previous round's `followed_by_next`; false for round 0. */
  prevFollowedByNext: boolean;
  /** Even the reading block alone is over the limit: the text should have been chunked. */
  overBudget: boolean;
}

export interface PlanOptions {
  /**
   * true (default): drop the oldest history rounds until the prompt fits — a permitted
   * improvement. false: the paper's all-or-nothing rule.
   */
  dropOldest?: boolean;
}

/**
 * The paper's history walk: the previous round if it produced pairs, then back through
 * predecessors while the round just added inherited from its own predecessor. Oldest first.
 */
export function historyCandidates<R extends HistoryRound>(rounds: readonly R[]): R[] {
  const prev = rounds[rounds.length - 1];
  if (!prev || prev.pairs.length === 0) return [];
  let start = rounds.length - 1;
  while (start > 0 && (rounds[start] as R).inherit_from_prev) start--;
  return rounds.slice(start);
}

/** Builds round `rounds.length` of a chain whose finished rounds are `rounds` (in order). */
export function planPrompt(
  rounds: readonly HistoryRound[],
  next: { text: string; text_tokens: number },
  budget: BudgetConfig,
  model: PromptTokenModel,
  options: PlanOptions = {},
): PromptPlan {
  const dropOldest = options.dropOldest ?? true;
  const limit = promptLimit(budget);
  const own = model.readingBlock(next.text_tokens);
  const candidates = historyCandidates(rounds);

  let used = 0;
  let historyTokens = 0;
  // Walk from the newest candidate backwards, keeping rounds while they fit: this is the
  // "drop the oldest first" rule without recomputing sums.
  for (let i = candidates.length - 1; i >= 0; i--) {
    const t = (candidates[i] as HistoryRound).history_tokens;
    if (historyTokens + t + own > limit) break;
    historyTokens += t;
    used++;
  }
  if (!dropOldest && used < candidates.length) {
    used = 0;
    historyTokens = 0;
  }
  const history = candidates.slice(candidates.length - used);
  return {
    prompt: buildPrompt(history, next.text),
    promptTokens: historyTokens + own,
    historyRoundsAvailable: candidates.length,
    historyRoundsUsed: used,
    prevFollowedByNext: used > 0,
    overBudget: own > limit,
  };
}

/** `inherit_from_prev` of a round once its output is parsed. Round 0 never inherits. */
export function inheritFromPrev(
  roundIndex: number,
  prevFollowedByNext: boolean,
  pairs: readonly QAPair[],
): boolean {
  return roundIndex > 0 && prevFollowedByNext && pairs.length > 0;
}

/** The compact form of a finished round that chain state keeps (and the changelog stores). */
export function compactRound(
  round: Omit<CompactRound, 'history_tokens'>,
  model: PromptTokenModel,
): CompactRound {
  return { ...round, history_tokens: model.history(round.text_tokens, model.pairs(round.pairs)) };
}

/**
 * `followed_by_next` of every round, from the rounds' own records: round r was followed iff
 * round r + 1 used at least one history round. The last round is never followed.
 */
export function followedByNext(rounds: readonly { history_rounds_used: number }[]): boolean[] {
  return rounds.map((_, i) => (rounds[i + 1]?.history_rounds_used ?? 0) > 0);
}
