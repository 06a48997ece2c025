// The chains of one input partition for one run, as pure bookkeeping: records are
// admitted in partition order and placed by the deterministic layout; a round is started when its
// chain's previous round has finished; finished rounds extend the chain's history. Everything that
// must reach Kafka comes out as effects, so the same object serves live processing, restore and
// unit tests.

import type { BudgetConfig, PromptTokenModel } from '../../core/budget.ts';
import { compactRound, inheritFromPrev, type PromptPlan, planPrompt } from '../../core/chain.ts';
import { formatChainId, type LayoutConfig, seqOf, slotOf } from '../../core/layout.ts';
import { parseOutput } from '../../core/parse.ts';
import type {
  ChainClose,
  ChainCloseReason,
  DeadLetterErrorClass,
  OpenChain,
  PartitionCounters,
  PendingRecord,
  QAPair,
} from '../../core/types.ts';

export interface PartitionChainsConfig {
  runId: string;
  topic: string;
  partition: number;
  layout: LayoutConfig;
  budget: BudgetConfig;
  promptTokens: PromptTokenModel;
  /** A partial block whose records stopped arriving this long ago is closed. */
  idleMs: number;
}

/** A document as synth needs it. */
export interface AdmittedDoc {
  offset: number;
  doc_id: string;
  text: string;
  text_tokens: number;
}

export interface RoundStart {
  chainId: string;
  roundIndex: number;
  record: PendingRecord;
  plan: PromptPlan;
}

export interface RoundResult {
  output: string;
  attempts: number;
  latencyMs: number;
}

export interface FinishedRound {
  chainId: string;
  record: PendingRecord;
  plan: PromptPlan;
  result: RoundResult;
  pairs: QAPair[];
  inheritFromPrev: boolean;
  historyTokens: number;
}

export interface FailedRecord {
  chainId: string;
  record: PendingRecord;
  errorClass: DeadLetterErrorClass;
  error: unknown;
  attempts: number;
}

export type Effect =
  | { kind: 'start'; start: RoundStart }
  | { kind: 'round'; round: FinishedRound }
  | { kind: 'close'; chainId: string; close: ChainClose }
  | { kind: 'dead'; failed: FailedRecord };

interface Chain {
  state: OpenChain;
  /** The round now at Triton, if any. Not persisted: a restored chain starts it again. */
  running: RoundStart | undefined;
}

/** Why a record that lands in an already closed chain is dead-lettered. */
export class ChainClosedError extends Error {
  override readonly name = 'ChainClosedError';
}

export class PartitionChains {
  private counters: PartitionCounters;
  private readonly chains = new Map<string, Chain>();
  private readonly dirtyChains = new Set<string>();
  private countersDirty = false;
  private effects: Effect[] = [];
  private lastArrival: number;
  private readonly blockSize: number;

  constructor(
    private readonly config: PartitionChainsConfig,
    restored: { counters: PartitionCounters | null; chains: OpenChain[] },
    now: number,
  ) {
    this.blockSize = config.layout.chainsPerBlock * config.layout.roundsPerChain;
    this.counters = restored.counters ?? { next_seq: 0, next_offset: 0 };
    for (const chain of restored.chains)
      this.chains.set(chain.chain_id, { state: chain, running: undefined });
    this.lastArrival = now;
    for (const chain of this.chains.values()) this.advance(chain, now);
  }

  /** Key of the partition's counters in the changelog; chain ids extend it with `/<block>/<j>`. */
  get countersKey(): string {
    return `${this.config.runId}/${this.config.topic}/${this.config.partition}`;
  }

  get nextOffset(): number {
    return this.counters.next_offset;
  }

  get openChains(): number {
    return this.chains.size;
  }

  /** Rounds at Triton now. */
  get running(): number {
    let n = 0;
    for (const chain of this.chains.values()) if (chain.running) n++;
    return n;
  }

  /** Records held in state waiting for synthesis (bounded by pausing the input). */
  get buffered(): number {
    let n = 0;
    for (const chain of this.chains.values()) n += chain.state.pending.length;
    return n;
  }

  /** Places the next record of the partition. Records must come in offset order, each once. */
  admit(doc: AdmittedDoc, now: number): void {
    const { layout } = this.config;
    const seq = this.counters.next_seq;
    const slot = slotOf(seq, layout);
    const chainId = formatChainId({
      runId: this.config.runId,
      topic: this.config.topic,
      partition: this.config.partition,
      block: slot.block,
      chainIndex: slot.chainIndex,
    });
    this.counters = { next_seq: seq + 1, next_offset: doc.offset + 1 };
    this.countersDirty = true;
    this.lastArrival = now;

    const record: PendingRecord = {
      seq,
      offset: doc.offset,
      round_index: slot.roundIndex,
      doc_id: doc.doc_id,
      text: doc.text,
      text_tokens: doc.text_tokens,
    };
    let chain = this.chains.get(chainId);
    if (!chain && slot.roundIndex === 0) {
      chain = {
        running: undefined,
        state: {
          chain_id: chainId,
          block: slot.block,
          chain_index: slot.chainIndex,
          rounds: [],
          pending: [],
          opened_at: now,
          last_activity_at: now,
          closed_reason: null,
        },
      };
      this.chains.set(chainId, chain);
    }
    if (!chain || chain.state.closed_reason !== null) {
      // The chain closed after a permanent failure (or, defensively, its state is gone).
      this.effects.push({
        kind: 'dead',
        failed: {
          chainId,
          record,
          errorClass: 'OTHER',
          error: new ChainClosedError(
            `chain ${chainId} was closed (${chain?.state.closed_reason ?? 'state missing'}) before its round ${slot.roundIndex} arrived`,
          ),
          attempts: 0,
        },
      });
      if (chain && this.allSlotsSeen(chain)) this.forget(chain);
      return;
    }
    chain.state.pending.push(record);
    chain.state.last_activity_at = now;
    this.dirtyChains.add(chainId);
    this.advance(chain, now);
  }

  /** The output of a round started earlier. Ignored when it no longer matches (stale). */
  finish(start: RoundStart, result: RoundResult, now: number): void {
    const chain = this.chains.get(start.chainId);
    if (!chain || chain.running !== start) return;
    chain.running = undefined;
    const pairs = parseOutput(result.output);
    const inherit = inheritFromPrev(start.roundIndex, start.plan.prevFollowedByNext, pairs);
    const round = {
      round_index: start.roundIndex,
      doc_id: start.record.doc_id,
      text: start.record.text,
      pairs,
      inherit_from_prev: inherit,
      text_tokens: start.record.text_tokens,
    };
    // Counting a round's pair blocks is the costliest step of a round here; the last round of a
    // chain is never anyone's history, so it is not counted (history_tokens 0).
    const isLast = chain.state.rounds.length + 1 >= this.config.layout.roundsPerChain;
    const compact = isLast ? { ...round, history_tokens: 0 } : compactRound(round, this.config.promptTokens);
    this.effects.push({
      kind: 'round',
      round: {
        chainId: start.chainId,
        record: start.record,
        plan: start.plan,
        result,
        pairs,
        inheritFromPrev: inherit,
        historyTokens: compact.history_tokens,
      },
    });
    chain.state.pending.shift();
    chain.state.rounds.push(compact);
    chain.state.last_activity_at = now;
    if (chain.state.rounds.length >= this.config.layout.roundsPerChain) {
      this.forget(chain);
      return;
    }
    this.dirtyChains.add(start.chainId);
    this.advance(chain, now);
  }

  /**
   * A round failed for good: its record goes to the DLQ, the chain closes with the rounds it has,
   * and every later record of the chain (already here or still to come) is dead-lettered too.
   */
  fail(
    start: RoundStart,
    errorClass: DeadLetterErrorClass,
    error: unknown,
    attempts: number,
    now: number,
  ): void {
    const chain = this.chains.get(start.chainId);
    if (!chain || chain.running !== start) return;
    chain.running = undefined;
    this.failChain(chain, start.record, errorClass, error, attempts, now);
  }

  /** Closes the chains of a partial block whose records stopped arriving (end of input). */
  tick(now: number): void {
    if (now - this.lastArrival < this.config.idleMs) return;
    this.closePartialBlock(
      'IDLE_TIMEOUT',
      (block) => `no record for ${this.config.idleMs} ms; block ${block} left partial`,
      now,
    );
  }

  /**
   * The input is known to have ended (a bounded run such as a replay reached its end offset): close
   * the partial block as soon as its work is done, without waiting for an idle timeout — so where a
   * block ends depends only on the records, never on timing.
   */
  endOfInput(now: number): void {
    this.closePartialBlock('END_OF_INPUT', (block) => `input ended; block ${block} left partial`, now);
  }

  private closePartialBlock(reason: ChainCloseReason, detail: (block: number) => string, now: number): void {
    const seq = this.counters.next_seq;
    if (seq % this.blockSize === 0) return;
    const block = Math.floor(seq / this.blockSize);
    const inBlock = [...this.chains.values()].filter((c) => c.state.block === block);
    // Let work already under way finish first; the chains are idle only once nothing is running.
    if (inBlock.some((c) => c.running || c.state.pending.length > 0)) return;
    for (const chain of inBlock) {
      if (chain.state.closed_reason === null && chain.state.rounds.length > 0) {
        this.close(chain, reason, detail(block), now);
      }
      this.forget(chain);
    }
    // Later records start a fresh block, so no record ever lands in a chain closed here.
    this.counters = { ...this.counters, next_seq: (block + 1) * this.blockSize };
    this.countersDirty = true;
  }

  /** Effects produced since the last call, in order. */
  takeEffects(): Effect[] {
    const out = this.effects;
    this.effects = [];
    return out;
  }

  /** State writes since the last call: the counters, and each changed chain (null = delete). */
  takeStateChanges(): { counters: PartitionCounters | null; chains: Map<string, OpenChain | null> } {
    const chains = new Map<string, OpenChain | null>();
    for (const id of this.dirtyChains) {
      const state = this.chains.get(id)?.state;
      chains.set(id, state ? { ...state, rounds: [...state.rounds], pending: [...state.pending] } : null);
    }
    this.dirtyChains.clear();
    const counters = this.countersDirty ? this.counters : null;
    this.countersDirty = false;
    return { counters, chains };
  }

  /** Starts the chain's next round if its record is here and nothing of the chain is running. */
  private advance(chain: Chain, now: number): void {
    if (chain.running || chain.state.closed_reason !== null) return;
    const next = chain.state.pending[0];
    if (!next || next.round_index !== chain.state.rounds.length) return;
    const plan = planPrompt(chain.state.rounds, next, this.config.budget, this.config.promptTokens);
    if (plan.overBudget) {
      const error = new Error(
        `text of ${next.doc_id} (${next.text_tokens} tokens) does not fit the prompt budget on its own; ingest should have chunked it`,
      );
      error.name = 'PromptOverBudgetError';
      this.failChain(chain, next, 'PROMPT_OVER_BUDGET', error, 0, now);
      return;
    }
    const start: RoundStart = {
      chainId: chain.state.chain_id,
      roundIndex: next.round_index,
      record: next,
      plan,
    };
    chain.running = start;
    this.effects.push({ kind: 'start', start });
  }

  private failChain(
    chain: Chain,
    record: PendingRecord,
    errorClass: DeadLetterErrorClass,
    error: unknown,
    attempts: number,
    now: number,
  ): void {
    const chainId = chain.state.chain_id;
    this.effects.push({ kind: 'dead', failed: { chainId, record, errorClass, error, attempts } });
    const reason = `round ${record.round_index} failed: ${error instanceof Error ? error.message : String(error)}`;
    for (const later of chain.state.pending.slice(1)) {
      this.effects.push({
        kind: 'dead',
        failed: {
          chainId,
          record: later,
          errorClass: 'OTHER',
          error: new ChainClosedError(`chain ${chainId} closed before round ${later.round_index}: ${reason}`),
          attempts: 0,
        },
      });
    }
    chain.state.pending = [];
    if (chain.state.rounds.length > 0) this.close(chain, 'PERMANENT_FAILURE', reason, now);
    chain.state.closed_reason = reason.slice(0, 1000);
    chain.state.last_activity_at = now;
    if (this.allSlotsSeen(chain)) this.forget(chain);
    else this.dirtyChains.add(chainId);
  }

  private close(chain: Chain, reason: ChainCloseReason, detail: string, now: number): void {
    this.effects.push({
      kind: 'close',
      chainId: chain.state.chain_id,
      close: { reason, detail, rounds_total: chain.state.rounds.length, closed_at: now },
    });
  }

  /** Whether every layout slot of the chain has been assigned a record already. */
  private allSlotsSeen(chain: Chain): boolean {
    const last = seqOf(
      {
        block: chain.state.block,
        chainIndex: chain.state.chain_index,
        roundIndex: this.config.layout.roundsPerChain - 1,
      },
      this.config.layout,
    );
    return this.counters.next_seq > last;
  }

  private forget(chain: Chain): void {
    chain.running = undefined;
    this.chains.delete(chain.state.chain_id);
    this.dirtyChains.add(chain.state.chain_id);
  }
}
