// What synth writes, built from PartitionChains' effects: ROUND and CLOSE records for the rounds
// topic, and the dead letter of a record whose round failed for good. Pure.

import type { ChainClose, DeadLetterErrorClass, Run, SynthRound } from '../../core/types.ts';
import type { Letter } from '../../lib/streams/topology.ts';
import { TritonRequestFailedError } from '../../lib/triton/index.ts';
import type { FailedRecord, FinishedRound } from './partition-chains.ts';

/** Which DLQ class a permanent inference failure belongs to. */
export function inferenceErrorClass(error: unknown): DeadLetterErrorClass {
  const cause = error instanceof TritonRequestFailedError ? error.cause : error;
  const kind = (cause as { kind?: string } | undefined)?.kind;
  if (kind === 'timeout') return 'INFERENCE_TIMEOUT';
  if (kind === 'connection') return 'INFERENCE_UNAVAILABLE';
  return 'INFERENCE_ERROR';
}

type Fields = Partial<SynthRound> & Pick<SynthRound, 'kind' | 'chain_id' | 'round_index' | 'doc_id'>;

function synthRound(run: Run, partition: number, fields: Fields): SynthRound {
  return {
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
  };
}

export function roundRecord(
  run: Run,
  partition: number,
  round: FinishedRound,
  recordPrompts: boolean,
): SynthRound {
  return synthRound(run, partition, {
    kind: 'ROUND',
    chain_id: round.chainId,
    round_index: round.record.round_index,
    doc_id: round.record.doc_id,
    source_offset: round.record.offset,
    text: round.record.text,
    prompt: recordPrompts ? round.plan.prompt : null,
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
  });
}

export function closeRecord(run: Run, partition: number, chainId: string, close: ChainClose): SynthRound {
  return synthRound(run, partition, {
    kind: 'CLOSE',
    chain_id: chainId,
    round_index: close.rounds_total,
    doc_id: '',
    close,
  });
}

/** The dead letter of a record that will never get its round (the message key is its doc id). */
export function failedLetter(runId: string, failed: FailedRecord): Letter {
  return {
    errorClass: failed.errorClass,
    error: failed.error,
    sourceOffset: failed.record.offset,
    key: failed.record.doc_id,
    value: failed.record.text,
    attempts: failed.attempts,
    runId,
    docId: failed.record.doc_id,
    chainId: failed.chainId,
    context: { round_index: String(failed.record.round_index), seq: String(failed.record.seq) },
  };
}
