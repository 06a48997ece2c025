// The assembler's bookkeeping, pure: which rounds of which chain have arrived, whether a chain
// is finished, and what to do with each SynthRound. No I/O — the Kafka task (task.ts) turns the
// outcomes into outputs, changelog writes and dead letters.

import type { AssembleState, CollectedRound, SynthRound } from '../../core/types.ts';

/** What one SynthRound does to the chains of a partition. */
export type Outcome =
  /** The chain is still waiting for rounds; persist the new state. */
  | { kind: 'pending'; state: AssembleState }
  /** The chain has every round it will ever have; assemble it and forget it. */
  | { kind: 'ready'; state: AssembleState }
  /** A record already accounted for (the same round again, a second CLOSE, or a record of a chain already emitted). */
  | { kind: 'duplicate'; chainId: string }
  /** A chain closed with no rounds at all (its first round failed): nothing to emit. */
  | { kind: 'empty'; chainId: string; hadState: boolean }
  /** The record contradicts the schema's rules or the chain's state. */
  | { kind: 'invalid'; chainId: string; reason: string };

/** Rounds a chain needs before it can be assembled: M, or what its CLOSE says it ends with. */
export function roundsNeeded(state: AssembleState): number {
  return state.close ? state.close.rounds_total : state.run.rounds_per_chain;
}

/** Rounds are kept unique and ordered by index, so "all there" is a length check. */
export function isReady(state: AssembleState): boolean {
  return state.rounds.length === roundsNeeded(state);
}

function collected(record: SynthRound): CollectedRound {
  return {
    round_index: record.round_index,
    doc_id: record.doc_id,
    text: record.text,
    pairs: record.pairs,
    history_rounds_used: record.history_rounds_used,
    prev_followed_by_next: record.prev_followed_by_next,
    inherit_from_prev: record.inherit_from_prev,
    text_tokens: record.text_tokens,
  };
}

/**
 * The next state of one chain after `record` (state is not mutated). Duplicates keep the first
 * copy: under exactly-once delivery they should not occur, and if a round was ever produced twice
 * the first one is what the chain's next round was prompted with.
 */
export function applyRecord(state: AssembleState | undefined, record: SynthRound, now: number): Outcome {
  const chainId = record.chain_id;
  const m = record.run.rounds_per_chain;
  if (chainId === '') return invalid(chainId, 'empty chain_id');
  if (!Number.isInteger(m) || m < 1) return invalid(chainId, `run.rounds_per_chain must be ≥ 1, got ${m}`);
  if (state && state.run.run_id !== record.run.run_id) {
    return invalid(
      chainId,
      `chain belongs to run ${state.run.run_id}, record names run ${record.run.run_id}`,
    );
  }
  const base: AssembleState = state ?? {
    run: record.run,
    chain_id: chainId,
    rounds: [],
    close: null,
    first_seen_at: now,
    updated_at: now,
  };
  return record.kind === 'CLOSE'
    ? applyClose(base, state !== undefined, record, now)
    : applyRound(base, record, now);
}

function invalid(chainId: string, reason: string): Outcome {
  return { kind: 'invalid', chainId, reason };
}

/** A CLOSE record: the chain's round count becomes known. */
function applyClose(base: AssembleState, hadState: boolean, record: SynthRound, now: number): Outcome {
  const chainId = base.chain_id;
  const m = record.run.rounds_per_chain;
  const close = record.close;
  if (!close) return invalid(chainId, 'CLOSE record without close');
  const total = close.rounds_total;
  if (!Number.isInteger(total) || total < 0 || total > m) {
    return invalid(chainId, `close.rounds_total must be in 0…${m}, got ${total}`);
  }
  if (base.close) {
    return base.close.rounds_total === total
      ? { kind: 'duplicate', chainId }
      : invalid(chainId, `chain already closed with ${base.close.rounds_total} rounds, now ${total}`);
  }
  const beyond = base.rounds.find((r) => r.round_index >= total);
  if (beyond)
    return invalid(chainId, `chain closed with ${total} rounds but has round ${beyond.round_index}`);
  if (total === 0) return { kind: 'empty', chainId, hadState };
  return progress({ ...base, close, updated_at: now });
}

/** A ROUND record: one more round of the chain. */
function applyRound(base: AssembleState, record: SynthRound, now: number): Outcome {
  const chainId = base.chain_id;
  const m = record.run.rounds_per_chain;
  const r = record.round_index;
  if (!Number.isInteger(r) || r < 0 || r >= m)
    return invalid(chainId, `round_index must be in 0…${m - 1}, got ${r}`);
  if (base.close && r >= base.close.rounds_total) {
    return invalid(
      chainId,
      `round ${r} arrived after the chain closed with ${base.close.rounds_total} rounds`,
    );
  }
  if (r === 0 && record.inherit_from_prev)
    return invalid(chainId, 'round 0 cannot inherit from a previous round');
  if (base.rounds.some((x) => x.round_index === r)) return { kind: 'duplicate', chainId };
  const rounds = [...base.rounds, collected(record)].sort((a, b) => a.round_index - b.round_index);
  return progress({ ...base, rounds, updated_at: now });
}

function progress(next: AssembleState): Outcome {
  return { kind: isReady(next) ? 'ready' : 'pending', state: next };
}

/**
 * The open chains of one input partition, plus a bounded memory of chains already emitted so a
 * late duplicate of one of their records cannot open a chain that would never finish. That memory
 * is not persisted: it only catches duplicates that arrive within `recentLimit` chains.
 */
export class ChainCollector {
  private readonly chains = new Map<string, AssembleState>();
  private readonly recent = new Set<string>();

  constructor(private readonly recentLimit = 10_000) {}

  /** A chain as the changelog holds it (on restore). */
  restore(state: AssembleState): void {
    this.chains.set(state.chain_id, state);
  }

  get open(): number {
    return this.chains.size;
  }

  get(chainId: string): AssembleState | undefined {
    return this.chains.get(chainId);
  }

  /** Applies a record and keeps the collector in step with the outcome. */
  offer(record: SynthRound, now: number): Outcome {
    if (this.recent.has(record.chain_id)) return { kind: 'duplicate', chainId: record.chain_id };
    const outcome = applyRecord(this.chains.get(record.chain_id), record, now);
    switch (outcome.kind) {
      case 'pending':
        this.chains.set(outcome.state.chain_id, outcome.state);
        break;
      case 'ready':
        this.finish(outcome.state.chain_id);
        break;
      case 'empty':
        this.finish(outcome.chainId);
        break;
    }
    return outcome;
  }

  /** Forgets a chain for good (emitted, dead-lettered or empty). */
  finish(chainId: string): void {
    this.chains.delete(chainId);
    this.recent.add(chainId);
    if (this.recent.size > this.recentLimit) {
      const oldest = this.recent.values().next().value as string;
      this.recent.delete(oldest);
    }
  }
}
