import type { DeadLetter, DeadLetterErrorClass, DeadLetterStage } from '../core/types.ts';

/** Original bytes kept in a dead letter; the rest is cut (the reason says how long it was). */
export const DLQ_MAX_VALUE_BYTES = 64 * 1024;
/** Error messages can carry whole server tracebacks; the start says what went wrong. */
export const DLQ_MAX_MESSAGE_CHARS = 4_000;

export interface DeadLetterInput {
  stage: DeadLetterStage;
  errorClass: DeadLetterErrorClass;
  error: unknown;
  sourceTopic: string;
  sourcePartition?: number;
  sourceOffset?: number;
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  attempts?: number;
  runId?: string | null;
  docId?: string | null;
  chainId?: string | null;
  context?: Record<string, string>;
  now?: number;
}

const bytes = (v: Buffer | string | null | undefined): Buffer | null =>
  v === null || v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8');

/** A DeadLetter record: what failed, where, why (machine-readable class + message), and the original bytes. */
export function deadLetter(input: DeadLetterInput): DeadLetter {
  const error = input.error;
  const value = bytes(input.value);
  const context = { ...input.context };
  if (value && value.length > DLQ_MAX_VALUE_BYTES) context.value_truncated_from = String(value.length);
  return {
    source_topic: input.sourceTopic,
    source_partition: input.sourcePartition ?? -1,
    source_offset: input.sourceOffset ?? -1,
    key: bytes(input.key),
    value: value && value.length > DLQ_MAX_VALUE_BYTES ? value.subarray(0, DLQ_MAX_VALUE_BYTES) : value,
    stage: input.stage,
    error_class: input.errorClass,
    error_name: error instanceof Error ? error.name : 'Error',
    message: (error instanceof Error ? error.message : String(error)).slice(0, DLQ_MAX_MESSAGE_CHARS),
    attempts: input.attempts ?? 1,
    run_id: input.runId ?? null,
    doc_id: input.docId ?? null,
    chain_id: input.chainId ?? null,
    context,
    failed_at: input.now ?? Date.now(),
  };
}
