/**
 * Micro-batch assembly rules, pure so they can be checked exhaustively.
 */

/** The batch size the batcher aims for: what the caller asked, never above what the model accepts. */
export function effectiveBatchCap(requested: number, modelMaxBatch: number): number {
  if (!Number.isInteger(requested) || requested < 1)
    throw new Error(`maxBatch must be a positive integer, got ${requested}`);
  return Math.max(1, Math.min(requested, modelMaxBatch));
}

export type DispatchDecision =
  | { kind: 'send'; size: number }
  | { kind: 'wait'; ms: number }
  | { kind: 'idle' };

/**
 * Whether to send a batch now. A full batch goes at once; a partial batch
 * waits until its oldest prompt has lingered `lingerMs` (more prompts may
 * arrive and share the request), then goes as it is.
 */
export function nextDispatch(
  queued: number,
  cap: number,
  oldestAgeMs: number,
  lingerMs: number,
): DispatchDecision {
  if (queued <= 0) return { kind: 'idle' };
  if (queued >= cap) return { kind: 'send', size: cap };
  if (oldestAgeMs >= lingerMs) return { kind: 'send', size: queued };
  return { kind: 'wait', ms: lingerMs - oldestAgeMs };
}
