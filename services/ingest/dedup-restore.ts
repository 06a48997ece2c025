// Rebuilds the dedup window from the raw topic's tail at start-up (see dedup.ts for why the topic):
// each partition is read (read_committed, lib's readPartition) from max(log start, LSO − ⌈window /
// partitions⌉) to the LSO measured first.

import type { Kafka } from 'kafkajs';
import { committedRanges, readPartition } from '../../lib/kafka/read-partition.ts';
import { DEDUP_HEADER, type DedupWindow } from './dedup.ts';

export interface RestoreSummary {
  /** Hashes read from the topic. */
  records: number;
  ms: number;
}

/** Fills `window` with the content hashes of the last `window.capacity` records of `topic`. */
export async function restoreDedupWindow(
  kafka: Kafka,
  topic: string,
  window: DedupWindow,
  timeoutMs = 120_000,
): Promise<RestoreSummary> {
  const started = performance.now();
  if (window.capacity === 0) return { records: 0, ms: 0 };
  const committed = await committedRanges(kafka, topic);
  const perPartition = BigInt(Math.ceil(window.capacity / Math.max(1, committed.size)));
  const ranges = new Map<number, { from: bigint; end: bigint }>();
  for (const [partition, { startOffset, endOffset }] of committed) {
    const low = BigInt(startOffset);
    const end = BigInt(endOffset);
    const from = end - perPartition > low ? end - perPartition : low;
    if (end > from) ranges.set(partition, { from, end });
  }

  let records = 0;
  await Promise.all(
    [...ranges].map(([partition, range]) =>
      readPartition(kafka, topic, partition, {
        startOffset: String(range.from),
        endOffset: String(range.end),
        timeoutMs,
        onMessages: (messages) => {
          for (const message of messages) {
            const hash = message.headers?.[DEDUP_HEADER];
            if (hash === undefined) continue;
            window.add(Buffer.isBuffer(hash) ? hash.toString('utf8') : String(hash));
            records++;
          }
        },
      }),
    ),
  );
  return { records, ms: performance.now() - started };
}
