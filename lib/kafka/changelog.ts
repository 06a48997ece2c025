import type { Kafka } from 'kafkajs';
import { readPartition } from './read-partition.ts';

/**
 * Restoring state from a compacted changelog partition: the latest committed value
 * per key, read_committed, from the partition's beginning to its last stable offset at call time
 * (read-partition.ts explains how the end is measured and detected). Call it after
 * `PartitionTransactions.open` for the partition: that fences and aborts any zombie transaction
 * first, so nothing can still be appended to the state being restored.
 */

export interface RestoreResult {
  /** Latest committed value per key; tombstoned keys absent. */
  state: Map<string, Buffer>;
  /** Offsets [startOffset, endOffset) were covered. */
  startOffset: string;
  endOffset: string;
  /** Committed records applied (including tombstones). */
  records: number;
  /** Wall-clock restore time. */
  ms: number;
}

export interface RestoreOptions {
  /** Give up (reject) after this long; the default is generous, since a still-open transaction stalls a read_committed reader until it ends. */
  timeoutMs?: number;
}

/** Reads one changelog partition, read_committed, from its beginning to its end offset at call time. */
export async function restorePartition(
  kafka: Kafka,
  topic: string,
  partition: number,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const started = performance.now();
  const state = new Map<string, Buffer>();
  let records = 0;
  const range = await readPartition(kafka, topic, partition, {
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    onMessages: (messages) => {
      for (const message of messages) {
        const key = message.key?.toString('utf8');
        if (key === undefined) continue;
        if (message.value === null) state.delete(key);
        else state.set(key, message.value);
        records++;
      }
    },
  });
  return { state, ...range, records, ms: performance.now() - started };
}
