// Rebuilds the dedup windows from the raw topic's tail at start-up (see dedup.ts for why the topic):
// each partition is read (read_committed, lib's readPartition) from max(log start, LSO − ⌈window /
// partitions⌉) to the LSO measured first, for the larger of the two windows. The exact window takes
// the content-hash header, the near-duplicate window the MinHash header and the record's key (the
// document's id; a chunked text's records share it, and count once).

import type { IHeaders, Kafka } from 'kafkajs';
import { committedRanges, readPartition } from '../../lib/kafka/read-partition.ts';
import { DEDUP_HEADER, type DedupWindow } from './dedup.ts';
import { signatureFromBytes } from './minhash.ts';
import { MINHASH_HEADER, type NearDupWindow } from './near-dup.ts';

export interface RestoreSummary {
  /** Hashes read from the topic. */
  records: number;
  /** Signatures read from the topic (records of the near-duplicate window). */
  signatures: number;
  ms: number;
}

const asBuffer = (v: IHeaders[string]): Buffer | undefined => {
  const one = Array.isArray(v) ? v[0] : v;
  if (one === undefined) return undefined;
  return Buffer.isBuffer(one) ? one : Buffer.from(String(one));
};

/** Fills `window` (and `near`) with the headers of the last records of `topic`. */
export async function restoreDedupWindow(
  kafka: Kafka,
  topic: string,
  window: DedupWindow,
  timeoutMs = 120_000,
  near?: NearDupWindow,
): Promise<RestoreSummary> {
  const started = performance.now();
  const capacity = Math.max(window.capacity, near?.capacity ?? 0);
  if (capacity === 0) return { records: 0, signatures: 0, ms: 0 };
  const committed = await committedRanges(kafka, topic);
  const perPartition = BigInt(Math.ceil(capacity / Math.max(1, committed.size)));
  const ranges = new Map<number, { from: bigint; end: bigint }>();
  for (const [partition, { startOffset, endOffset }] of committed) {
    const low = BigInt(startOffset);
    const end = BigInt(endOffset);
    const from = end - perPartition > low ? end - perPartition : low;
    if (end > from) ranges.set(partition, { from, end });
  }

  let records = 0;
  let signatures = 0;
  const restore = (headers: IHeaders | undefined, key: Buffer | null) => {
    const hash = asBuffer(headers?.[DEDUP_HEADER]);
    if (hash && window.capacity > 0) {
      window.add(hash.toString('utf8'));
      records++;
    }
    const bytes = asBuffer(headers?.[MINHASH_HEADER]);
    const sig = bytes && near ? signatureFromBytes(bytes, near.params) : null;
    if (sig && near && key) {
      near.add(key.toString('utf8'), sig);
      signatures++;
    }
  };
  await Promise.all(
    [...ranges].map(([partition, range]) =>
      readPartition(kafka, topic, partition, {
        startOffset: String(range.from),
        endOffset: String(range.end),
        timeoutMs,
        onMessages: (messages) => {
          for (const message of messages) restore(message.headers, message.key);
        },
      }),
    ),
  );
  return { records, signatures, ms: performance.now() - started };
}
