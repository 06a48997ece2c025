// One input partition of synth: PartitionChains places the decoded raw documents, ready rounds go
// to Triton through the shared micro-batcher, and every effect — rounds, closes, dead letters and
// state changes — is queued in one tick, so one transaction carries them all. An answer is also
// kept at once, outside the transaction, so a crash before that transaction costs no GPU work for
// it; and a chain's engine is saved with the chain, so a restored chain goes back to that engine.

import { chainKeyInScope } from '../../core/chain-id.ts';
import type { TokenCounter } from '../../core/tokens.ts';
import type {
  KeptAnswer,
  OpenChain,
  PartitionCounters,
  RawDocument,
  Run,
  SynthState,
} from '../../core/types.ts';
import type { InputRecord, Processor, ProcessorContext } from '../../lib/streams/topology.ts';
import { TritonRequestFailedError } from '../../lib/triton/index.ts';
import type { SynthMetrics } from './metrics.ts';
import {
  type FinishedRound,
  PartitionChains,
  type PartitionChainsConfig,
  promptDigest,
  type RoundStart,
} from './partition-chains.ts';
import { closeRecord, failedLetter, inferenceErrorClass, roundRecord } from './records.ts';

export interface SynthProcessorDeps {
  run: Run;
  rawTopic: string;
  chains: Omit<PartitionChainsConfig, 'partition' | 'topic' | 'runId'>;
  /**
   * Sends one prompt to the inference cluster; `chainId` brings a chain back to its prefix cache;
   * `onSent` is called when the prompt leaves for the server.
   */
  infer(prompt: string, chainId: string, onSent?: () => void): Promise<string>;
  /** The endpoint that served the chain's last round, when known. */
  engineOf?(chainId: string): string | undefined;
  /** Sends the chain's next rounds to `engine` (the choice a restored chain brings). */
  prefer?(chainId: string, engine: string): void;
  /** Counts each text again (a run whose tokenizer is not ingest's); absent: ingest's `token_count`. */
  recount?: TokenCounter;
  /** Records waiting in state at which the partition stops fetching. */
  maxBuffered: number;
  /** Keep the full prompt on every SynthRound (replay diffs use it). */
  recordPrompts: boolean;
  /** A bounded run (replay): where the partition's input ends (exclusive); absent: unbounded. */
  end?: bigint;
  metrics: SynthMetrics;
}

type Context = ProcessorContext<'rounds', 'synthState'>;

export class SynthProcessor implements Processor<'raw', 'rounds', 'synthState'> {
  private context: Context | undefined;
  private chains: PartitionChains | undefined;
  private closed = false;
  /** How far the input has been read: past every record taken (restored counters included). */
  private reached = 0n;

  constructor(
    private readonly deps: SynthProcessorDeps,
    readonly partition: number,
  ) {}

  init(context: Context): void {
    this.context = context;
    // The store holds this run's counters (key '') and open chains (their ids past the scope).
    let counters: PartitionCounters | null = null;
    const chains: OpenChain[] = [];
    const answers: KeptAnswer[] = [];
    for (const state of context.store.restored.values()) {
      if (state.counters) counters = state.counters;
      if (state.chain) chains.push(state.chain);
      if (state.answer) answers.push(state.answer);
    }
    // Before any round starts: a restored chain's rounds go to the engine that served it.
    for (const chain of chains) if (chain.engine) this.deps.prefer?.(chain.chain_id, chain.engine);
    const { run, rawTopic } = this.deps;
    this.chains = new PartitionChains(
      { ...this.deps.chains, runId: run.run_id, topic: rawTopic, partition: this.partition },
      { counters, chains, answers },
      Date.now(),
    );
    if (counters && BigInt(counters.next_offset) !== context.position) {
      context.log.warn(
        { stateOffset: counters.next_offset, committedOffset: String(context.position) },
        'state and committed offset disagree; the state wins for placement, the offset for reading',
      );
    }
    const placed = BigInt(this.chains.nextOffset);
    this.reached = context.position > placed ? context.position : placed;
    this.applyEffects(); // restored chains restart their ready rounds
  }

  admit(offset: bigint): boolean {
    if (this.deps.end !== undefined && offset >= this.deps.end) return false; // past a bounded run's input
    if (offset >= this.reached) this.reached = offset + 1n;
    // Below it: already placed (the state ran ahead of the committed offset).
    return offset >= BigInt(this.placement().nextOffset);
  }

  process({ offset, value: doc }: InputRecord<RawDocument>): void {
    const textTokens = this.deps.recount ? this.deps.recount.count(doc.text) : doc.token_count;
    this.placement().admit(
      { offset: Number(offset), doc_id: doc.doc_id, text: doc.text, text_tokens: textTokens },
      Date.now(),
    );
  }

  afterBatch(): void {
    if (this.atEnd()) this.placement().endOfInput(Date.now());
    this.applyEffects();
  }

  punctuate(now: number): void {
    if (this.atEnd()) this.placement().endOfInput(now);
    else this.placement().tick(now);
    this.applyEffects();
  }

  // A bounded run stops fetching at its end: nothing past it is wanted.
  saturated(): boolean {
    return this.atEnd() || this.placement().buffered >= this.deps.maxBuffered;
  }

  close(): void {
    this.closed = true;
    this.deps.metrics.chainsOpen.remove({ partition: String(this.partition) });
    this.deps.metrics.buffered.remove({ partition: String(this.partition) });
  }

  private atEnd(): boolean {
    return this.deps.end !== undefined && this.reached >= this.deps.end;
  }

  private placement(): PartitionChains {
    if (!this.chains) throw new Error(`synth partition ${this.partition} used before init`);
    return this.chains;
  }

  /** Turns everything PartitionChains did since the last call into queued records, all in this tick. */
  private applyEffects(): void {
    const context = this.context;
    if (this.closed || !context) return;
    const chains = this.placement();
    const { metrics, run } = this.deps;
    const starts: RoundStart[] = [];
    let produced = 0;
    for (const effect of chains.takeEffects()) {
      if (effect.kind === 'start') {
        starts.push(effect.start);
        continue;
      }
      produced++;
      if (effect.kind === 'round') {
        this.forwardRound(context, effect.round);
      } else if (effect.kind === 'close') {
        metrics.closes.inc({ reason: effect.close.reason });
        context.forward(
          'rounds',
          effect.chainId,
          closeRecord(run, this.partition, effect.chainId, effect.close),
        );
      } else {
        context.deadLetter(failedLetter(run.run_id, effect.failed), effect.failed.record.doc_id);
      }
    }
    this.saveState(context, chains);
    if (produced > 0) context.commitSoon();
    for (const start of starts) this.launch(start);
    metrics.chainsOpen.set({ partition: String(this.partition) }, chains.openChains);
    metrics.buffered.set({ partition: String(this.partition) }, chains.buffered);
  }

  private forwardRound(context: Context, round: FinishedRound): void {
    const { metrics, run } = this.deps;
    metrics.rounds.inc();
    metrics.pairs.inc(round.pairs.length);
    if (round.result.reused) {
      metrics.reusedAnswers.inc();
      // The chain's next round goes where this answer was generated (its prefix cache).
      if (round.result.engine) this.deps.prefer?.(round.chainId, round.result.engine);
    }
    context.forward(
      'rounds',
      round.chainId,
      roundRecord(run, this.partition, round, this.deps.recordPrompts),
    );
  }

  private saveState(context: Context, chains: PartitionChains): void {
    const changes = chains.takeStateChanges();
    if (changes.counters) context.store.put('', this.state({ counters: changes.counters }));
    for (const [chainId, chain] of changes.chains) {
      if (chain) context.store.put(this.chainKey(chainId), this.state({ chain }));
      else context.store.delete(this.chainKey(chainId));
    }
    for (const done of changes.answersDone)
      context.store.delete(this.answerKey(done.chainId, done.roundIndex));
  }

  /** Chain ids extend the partition's scope with `/<block>/<j>`; the store key is that tail. */
  private chainKey(chainId: string): string {
    return chainKeyInScope(chainId);
  }

  private answerKey(chainId: string, roundIndex: number): string {
    return `${this.chainKey(chainId)}/answer/${roundIndex}`;
  }

  private state(partial: Partial<Pick<SynthState, 'counters' | 'chain' | 'answer'>>): SynthState {
    return {
      run_id: this.deps.run.run_id,
      source_topic: this.deps.rawTopic,
      source_partition: this.partition,
      updated_at: Date.now(),
      counters: null,
      chain: null,
      answer: null,
      ...partial,
    };
  }

  /** The round left for the server: mark it, and count it when an earlier owner had sent it too. */
  private sent(start: RoundStart): void {
    if (this.closed) return;
    if (start.again) this.deps.metrics.regeneratedRounds.inc();
    this.keep(start, null, undefined);
  }

  /**
   * Writes, where a task restored before the round commits finds it, that the round was sent
   * (output null) or its answer (kept only with keepAnswers; without, the sent mark stays).
   */
  private keep(start: RoundStart, output: string | null, engine: string | undefined): void {
    if (this.closed || (output !== null && !this.deps.chains.keepAnswers)) return;
    const answer: KeptAnswer = {
      chain_id: start.chainId,
      round_index: start.roundIndex,
      prompt_sha256: promptDigest(start.plan.prompt),
      output,
      engine: engine ?? null,
    };
    this.context?.store.keep(this.answerKey(start.chainId, start.roundIndex), this.state({ answer }));
  }

  private launch(start: RoundStart): void {
    const { metrics } = this.deps;
    const sentAt = performance.now();
    metrics.inFlight.inc();
    this.deps
      .infer(start.plan.prompt, start.chainId, () => this.sent(start))
      .then(
        (text) => {
          metrics.inFlight.dec();
          if (this.closed) return;
          const latencyMs = performance.now() - sentAt;
          metrics.roundLatency.observe(latencyMs / 1000);
          const engine = this.deps.engineOf?.(start.chainId);
          this.keep(start, text, engine);
          this.placement().finish(start, { output: text, attempts: 1, latencyMs, engine }, Date.now());
          this.applyEffects();
        },
        (error: unknown) => {
          metrics.inFlight.dec();
          if (this.closed) return;
          const attempts = error instanceof TritonRequestFailedError ? error.attempts : 1;
          this.context?.log.warn(
            { chainId: start.chainId, round: start.roundIndex, err: error },
            'round failed for good',
          );
          this.placement().fail(start, inferenceErrorClass(error), error, attempts, Date.now());
          this.applyEffects();
        },
      );
  }
}
