// One input partition of synth: decodes raw documents, lets PartitionChains place them, sends ready
// rounds to Triton through the shared micro-batcher, and turns every effect into records — rounds,
// closes, dead letters and changelog writes — queued together so one transaction carries them all.

import type { KafkaMessage } from 'kafkajs';
import type { TokenCounter } from '../../core/tokens.ts';
import type {
  DeadLetterErrorClass,
  OpenChain,
  PartitionCounters,
  RawDocument,
  Run,
  SynthRound,
  SynthState,
} from '../../core/types.ts';
import { deadLetter } from '../../lib/dlq.ts';
import type { PartitionTask, TaskContext } from '../../lib/kafka/stateful-runner.ts';
import type { AvroCodec } from '../../lib/registry.ts';
import type { Topics } from '../../lib/topics.ts';
import { TritonRequestFailedError } from '../../lib/triton/index.ts';
import type { SynthMetrics } from './metrics.ts';
import {
  type Effect,
  PartitionChains,
  type PartitionChainsConfig,
  type RoundStart,
} from './partition-chains.ts';

export interface SynthCodecs {
  raw: AvroCodec<RawDocument>;
  rounds: AvroCodec<SynthRound>;
  state: AvroCodec<SynthState>;
  dlq: AvroCodec<DeadLetter>;
}
type DeadLetter = import('../../core/types.ts').DeadLetter;

export interface SynthTaskDeps {
  run: Run;
  topics: Topics;
  chains: Omit<PartitionChainsConfig, 'partition' | 'topic' | 'runId'>;
  codecs: SynthCodecs;
  /**
   * Sends one prompt to the inference cluster (through the micro-batcher). `chainId` lets a
   * chain's rounds return to the endpoint whose prefix cache holds its earlier rounds.
   */
  infer(prompt: string, chainId: string): Promise<string>;
  /** Counts each text again (a run whose tokenizer is not ingest's); absent: ingest's `token_count`. */
  recount?: TokenCounter;
  /** Records waiting in state at which the partition stops fetching. */
  maxBuffered: number;
  /** Keep the full prompt on every SynthRound (replay diffs use it); off saves topic space. */
  recordPrompts: boolean;
  /**
   * A bounded run (replay): per input partition, the offset where its input ends (exclusive). Records
   * at or past it are not taken, and once everything before it is taken the partition's partial last
   * block closes as END_OF_INPUT. Partitions not listed are unbounded.
   */
  endOffsets?: ReadonlyMap<number, bigint>;
  metrics: SynthMetrics;
}

/** Which DLQ class a permanent inference failure belongs to. */
export function inferenceErrorClass(error: unknown): DeadLetterErrorClass {
  const cause = error instanceof TritonRequestFailedError ? error.cause : error;
  const kind = (cause as { kind?: string } | undefined)?.kind;
  if (kind === 'timeout') return 'INFERENCE_TIMEOUT';
  if (kind === 'connection') return 'INFERENCE_UNAVAILABLE';
  return 'INFERENCE_ERROR';
}

export async function createSynthTask(deps: SynthTaskDeps, context: TaskContext): Promise<PartitionTask> {
  const { run, topics, codecs, metrics } = deps;
  const { partition, output } = context;
  const prefix = `${run.run_id}/${topics.raw}/${partition}`;

  // The changelog partition holds every run's state for this input partition; take ours.
  let counters: PartitionCounters | null = null;
  const restoredChains: OpenChain[] = [];
  for (const [key, bytes] of context.restored) {
    if (key !== prefix && !key.startsWith(`${prefix}/`)) continue;
    const state = await codecs.state.decode(bytes);
    if (state.counters) counters = state.counters;
    if (state.chain) restoredChains.push(state.chain);
  }
  const chains = new PartitionChains(
    { ...deps.chains, runId: run.run_id, topic: topics.raw, partition },
    { counters, chains: restoredChains },
    Date.now(),
  );
  if (counters && BigInt(counters.next_offset) !== context.position) {
    context.log.warn(
      { stateOffset: counters.next_offset, committedOffset: String(context.position) },
      'state and committed offset disagree; the state wins for placement, the offset for reading',
    );
  }
  let closed = false;
  const end = deps.endOffsets?.get(partition);
  // How far the input has been read: past every record taken (restored counters included).
  let reached = context.position > BigInt(chains.nextOffset) ? context.position : BigInt(chains.nextOffset);
  const atEnd = (): boolean => end !== undefined && reached >= end;

  const stateRecord = (partial: Pick<SynthState, 'counters' | 'chain'>): Buffer =>
    codecs.state.encode({
      run_id: run.run_id,
      source_topic: topics.raw,
      source_partition: partition,
      updated_at: Date.now(),
      ...partial,
    });

  const synthRound = (
    fields: Partial<SynthRound> & Pick<SynthRound, 'kind' | 'chain_id' | 'round_index' | 'doc_id'>,
  ): SynthRound => ({
    run,
    source_partition: partition,
    source_offset: -1,
    text: '',
    prompt: null,
    raw_output: '',
    pairs: [],
    history_rounds_available: 0,
    history_rounds_used: 0,
    prev_followed_by_next: false,
    inherit_from_prev: false,
    text_tokens: 0,
    prompt_tokens: 0,
    history_tokens: 0,
    output_tokens: null,
    attempts: 0,
    latency_ms: 0,
    produced_at: Date.now(),
    close: null,
    ...fields,
  });

  /** Turns everything PartitionChains did since the last call into queued records, all in this tick. */
  const drain = (): void => {
    if (closed) return;
    const effects = chains.takeEffects();
    const changes = chains.takeStateChanges();
    const records: { topic: string; key: string; value: Buffer }[] = [];
    const starts: RoundStart[] = [];
    for (const effect of effects) {
      const record = toRecord(effect);
      if (record) records.push(record);
      else if (effect.kind === 'start') starts.push(effect.start);
    }
    for (const r of records) output.send(r.topic, { key: r.key, value: r.value });
    if (changes.counters) output.putState(prefix, stateRecord({ counters: changes.counters, chain: null }));
    for (const [chainId, chain] of changes.chains) {
      output.putState(chainId, chain ? stateRecord({ counters: null, chain }) : null);
    }
    if (records.length > 0) output.flushSoon();
    for (const start of starts) launch(start);
    metrics.chainsOpen.set({ partition: String(partition) }, chains.openChains);
    metrics.buffered.set({ partition: String(partition) }, chains.buffered);
  };

  const toRecord = (effect: Effect): { topic: string; key: string; value: Buffer } | undefined => {
    switch (effect.kind) {
      case 'start':
        return undefined;
      case 'round': {
        const { round } = effect;
        metrics.rounds.inc();
        metrics.pairs.inc(round.pairs.length);
        return {
          topic: topics.rounds,
          key: round.chainId,
          value: codecs.rounds.encode(
            synthRound({
              kind: 'ROUND',
              chain_id: round.chainId,
              round_index: round.record.round_index,
              doc_id: round.record.doc_id,
              source_offset: round.record.offset,
              text: round.record.text,
              prompt: deps.recordPrompts ? round.plan.prompt : null,
              raw_output: round.result.output,
              pairs: round.pairs,
              history_rounds_available: round.plan.historyRoundsAvailable,
              history_rounds_used: round.plan.historyRoundsUsed,
              prev_followed_by_next: round.plan.prevFollowedByNext,
              inherit_from_prev: round.inheritFromPrev,
              text_tokens: round.record.text_tokens,
              prompt_tokens: round.plan.promptTokens,
              history_tokens: round.historyTokens,
              attempts: round.result.attempts,
              latency_ms: round.result.latencyMs,
            }),
          ),
        };
      }
      case 'close':
        metrics.closes.inc({ reason: effect.close.reason });
        return {
          topic: topics.rounds,
          key: effect.chainId,
          value: codecs.rounds.encode(
            synthRound({
              kind: 'CLOSE',
              chain_id: effect.chainId,
              round_index: effect.close.rounds_total,
              doc_id: '',
              close: effect.close,
            }),
          ),
        };
      case 'dead': {
        const { failed } = effect;
        metrics.deadLetters.inc({ error_class: failed.errorClass });
        return {
          topic: topics.dlq,
          key: failed.record.doc_id,
          value: codecs.dlq.encode(
            deadLetter({
              stage: 'SYNTH',
              errorClass: failed.errorClass,
              error: failed.error,
              sourceTopic: topics.raw,
              sourcePartition: partition,
              sourceOffset: failed.record.offset,
              key: failed.record.doc_id,
              value: failed.record.text,
              attempts: failed.attempts,
              runId: run.run_id,
              docId: failed.record.doc_id,
              chainId: failed.chainId,
              context: { round_index: String(failed.record.round_index), seq: String(failed.record.seq) },
            }),
          ),
        };
      }
    }
  };

  const launch = (start: RoundStart): void => {
    const sentAt = performance.now();
    metrics.inFlight.inc();
    deps.infer(start.plan.prompt, start.chainId).then(
      (text) => {
        metrics.inFlight.dec();
        if (closed) return;
        const latencyMs = performance.now() - sentAt;
        metrics.roundLatency.observe(latencyMs / 1000);
        chains.finish(start, { output: text, attempts: 1, latencyMs }, Date.now());
        drain();
      },
      (error: unknown) => {
        metrics.inFlight.dec();
        if (closed) return;
        const attempts = error instanceof TritonRequestFailedError ? error.attempts : 1;
        context.log.warn(
          { chainId: start.chainId, round: start.roundIndex, err: error },
          'round failed for good',
        );
        chains.fail(start, inferenceErrorClass(error), error, attempts, Date.now());
        drain();
      },
    );
  };

  const rawDocument = async (message: KafkaMessage): Promise<RawDocument | Error> => {
    if (!message.value) return new Error('record has no value (tombstone) on the raw topic');
    try {
      return await codecs.raw.decode(message.value);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  };

  drain(); // restored chains restart their ready rounds

  return {
    async onRecords(messages) {
      const docs = await Promise.all(messages.map(rawDocument));
      if (closed) return;
      const now = Date.now();
      for (const [i, message] of messages.entries()) {
        if (end !== undefined && BigInt(message.offset) >= end) break; // past the bounded run's input
        if (BigInt(message.offset) >= reached) reached = BigInt(message.offset) + 1n;
        const doc = docs[i] as RawDocument | Error;
        const offset = Number(message.offset);
        if (offset < chains.nextOffset) continue; // already placed (state ran ahead of the committed offset)
        if (doc instanceof Error) {
          metrics.deadLetters.inc({ error_class: 'DESERIALIZATION' });
          output.send(topics.dlq, {
            key: message.key,
            value: codecs.dlq.encode(
              deadLetter({
                stage: 'SYNTH',
                errorClass: 'DESERIALIZATION',
                error: doc,
                sourceTopic: topics.raw,
                sourcePartition: partition,
                sourceOffset: offset,
                key: message.key,
                value: message.value,
                runId: run.run_id,
              }),
            ),
          });
          continue;
        }
        const textTokens = deps.recount ? deps.recount.count(doc.text) : doc.token_count;
        chains.admit({ offset, doc_id: doc.doc_id, text: doc.text, text_tokens: textTokens }, now);
      }
      metrics.records.inc(messages.length);
      if (atEnd()) chains.endOfInput(now);
      drain();
    },
    onTick(now) {
      if (atEnd()) chains.endOfInput(now);
      else chains.tick(now);
      drain();
    },
    // A bounded run stops fetching at its end: nothing past it is wanted.
    saturated: () => atEnd() || chains.buffered >= deps.maxBuffered,
    close() {
      closed = true;
      metrics.chainsOpen.remove({ partition: String(partition) });
      metrics.buffered.remove({ partition: String(partition) });
    },
  };
}
