// One input partition of the assembler: each decoded SynthRound is applied to the partition's
// chains (collect.ts), and what follows is queued — the chain's new state, or its AugmentedRecord
// plus a tombstone, or a dead letter. The runtime commits all of it with the input offset.

import type { TokenCounter } from '../../core/tokens.ts';
import type { AssembleState, SynthRound } from '../../core/types.ts';
import type { InputRecord, Letter, Processor, ProcessorContext } from '../../lib/streams/topology.ts';
import { ChainCollector } from './collect.ts';
import type { AssembleMetrics } from './metrics.ts';
import { buildAugmentedRecord, TemplateError } from './record.ts';

export interface AssembleProcessorDeps {
  tokenCounter: TokenCounter;
  /** Only rounds of this run are assembled; others are skipped. */
  run?: string;
  /** Emit records as this run (re-assembly). */
  asRun?: string;
  templateVersion?: string;
  metrics: AssembleMetrics;
  now?: () => number;
}

type Context = ProcessorContext<'augmented', 'assembleState'>;
/** Where a dead letter's record came from, and whose it is. */
type Origin = Pick<Letter, 'sourceOffset' | 'key' | 'value' | 'runId' | 'chainId' | 'docId'>;

export class AssembleProcessor implements Processor<'rounds', 'augmented', 'assembleState'> {
  private readonly collector = new ChainCollector();
  private context: Context | undefined;
  private readonly now: () => number;
  private readonly tokenizer: string | undefined;

  constructor(
    private readonly deps: AssembleProcessorDeps,
    readonly partition: number,
  ) {
    this.now = deps.now ?? Date.now;
    const named = (deps.tokenCounter as { name?: unknown }).name;
    this.tokenizer = typeof named === 'string' ? named : undefined;
  }

  init(context: Context): void {
    this.context = context;
    for (const state of context.store.restored.values()) this.collector.restore(state);
    this.deps.metrics.open(this.partition, this.collector.open);
  }

  process(input: InputRecord<SynthRound>): void {
    const context = this.context;
    const record = input.value;
    if (!context) throw new Error(`assemble partition ${this.partition} used before init`);
    if (this.deps.run !== undefined && record.run.run_id !== this.deps.run) {
      this.deps.metrics.event('other_run');
      return;
    }
    // A re-assembly's dead letters belong to the run it emits, like its records: the source run's
    // own accounting must not pick them up.
    const origin: Origin = {
      sourceOffset: Number(input.offset),
      key: input.key,
      value: input.bytes,
      runId: this.deps.asRun ?? record.run.run_id,
      chainId: record.chain_id,
      docId: record.doc_id || null,
    };
    this.deps.metrics.event(record.kind === 'CLOSE' ? 'close' : 'round');
    const outcome = this.collector.offer(record, this.now());
    switch (outcome.kind) {
      case 'duplicate':
        this.deps.metrics.event('duplicate');
        return;
      case 'invalid':
        context.deadLetter({
          ...origin,
          errorClass: 'VALIDATION',
          error: new Error(outcome.reason),
          now: this.now(),
        });
        return;
      case 'empty':
        if (outcome.hadState) context.store.delete(outcome.chainId);
        this.deps.metrics.event('empty');
        return;
      case 'pending':
        context.store.put(outcome.state.chain_id, outcome.state);
        return;
      case 'ready':
        this.emit(context, outcome.state, origin);
    }
  }

  /** The chain's record, or its dead letter; either way its state goes. */
  private emit(context: Context, state: AssembleState, origin: Origin): void {
    let texts: number;
    try {
      const augmented = buildAugmentedRecord(state, {
        tokenCounter: this.deps.tokenCounter,
        ...(this.tokenizer !== undefined ? { tokenizer: this.tokenizer } : {}),
        now: this.now(),
        ...(this.deps.templateVersion !== undefined ? { templateVersion: this.deps.templateVersion } : {}),
        ...(this.deps.asRun !== undefined ? { runId: this.deps.asRun } : {}),
      });
      texts = augmented.texts.length;
      // Encoding checks the record against the registered schema; a failure throws before queueing.
      context.forward('augmented', state.chain_id, augmented);
    } catch (error) {
      context.deadLetter({
        ...origin,
        errorClass: error instanceof TemplateError ? 'TEMPLATE_ERROR' : 'VALIDATION',
        error,
        context: {
          doc_ids: state.rounds.map((r) => r.doc_id).join(','),
          rounds: String(state.rounds.length),
        },
        now: this.now(),
      });
      context.store.delete(state.chain_id);
      return;
    }
    context.store.delete(state.chain_id);
    this.deps.metrics.event('emitted', texts);
  }

  afterBatch(): void {
    this.deps.metrics.open(this.partition, this.collector.open);
  }

  close(): void {
    this.deps.metrics.open(this.partition, 0);
  }
}
