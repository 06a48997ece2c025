// Writing ingest's dead letters: a rejected input becomes a DeadLetter (stage INGEST, the reason's
// error class, the reason and where the input was in its context, its original bytes) on the DLQ
// topic, through the same sink as the documents.

import type { Message } from 'kafkajs';
import type { DeadLetter } from '../../../core/types.ts';
import { deadLetter } from '../../../lib/dlq.ts';
import type { Logger } from '../../../lib/log.ts';
import type { RejectedInput } from '../events.ts';
import { ERROR_CLASS_OF } from '../normalize.ts';

export class IngestRejection extends Error {
  override readonly name = 'IngestRejection';
}

/** Where records go: the batching sink, or a fake in unit tests. */
export interface RecordSink {
  push(topic: string, message: Message): Promise<{ delivered: Promise<void> }>;
}

export interface Serializer<T> {
  serialize(value: T): Promise<Buffer>;
}

/** Dead-letters one input; resolves once queued, `delivered` once Kafka has it. */
export type DeadLetterWriter = (input: RejectedInput) => Promise<{ delivered: Promise<void> }>;

/** The DeadLetter record of a rejected input. */
export function ingestDeadLetter(input: RejectedInput): DeadLetter {
  const context: Record<string, string> = {
    reason: input.reason,
    source: input.source,
    origin: input.origin,
    ...input.detail,
  };
  if (input.originalLength !== undefined && input.original && input.originalLength > input.original.length) {
    context.value_truncated_from = String(input.originalLength);
  }
  return deadLetter({
    stage: 'INGEST',
    errorClass: ERROR_CLASS_OF[input.reason],
    error: new IngestRejection(input.message),
    sourceTopic: input.source,
    value: input.original,
    docId: input.id ?? null,
    context,
  });
}

export function deadLetterWriter(
  sink: RecordSink,
  topic: string,
  serde: Serializer<DeadLetter>,
  log: Logger,
): DeadLetterWriter {
  return async (input) => {
    const value = await serde.serialize(ingestDeadLetter(input));
    // Keyed by the id the document would have had, else by where the input was.
    const pushed = await sink.push(topic, { key: input.id ?? `${input.source}@${input.origin}`, value });
    log.debug({ reason: input.reason, source: input.source, origin: input.origin }, 'rejected');
    return pushed;
  };
}
