// Rebuilds the dedup window from the raw topic's tail at start-up (see dedup.ts for why the topic).
//
// kafkajs has no manual assign, so the reader is a consumer in a throwaway group whose assigner
// gives this one member every partition; after `run` it seeks each partition to
// max(low, high − ⌈window / partitions⌉) and reads up to the high watermark measured first.
// Progress is tracked with END_BATCH_PROCESS (as lib/kafka/changelog.ts does), which also fires
// for batches the consumer filtered, so the read ends even if the log ends in control records.

import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { fixedPartitionsAssigner } from '../../lib/kafka/read-partition.ts';
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
  const admin = kafka.admin();
  await admin.connect();
  let offsets: Awaited<ReturnType<typeof admin.fetchTopicOffsets>>;
  try {
    offsets = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  const perPartition = BigInt(Math.ceil(window.capacity / Math.max(1, offsets.length)));
  const ranges = new Map<number, { from: bigint; end: bigint }>();
  for (const o of offsets) {
    const low = BigInt(o.low);
    const end = BigInt(o.high);
    const from = end - perPartition > low ? end - perPartition : low;
    if (end > from) ranges.set(o.partition, { from, end });
  }
  if (ranges.size === 0) return { records: 0, ms: performance.now() - started };

  const position = new Map<number, bigint>([...ranges].map(([p, r]) => [p, r.from]));
  const pending = new Set(ranges.keys());
  let records = 0;
  let finish: () => void = () => {};
  let fail: (error: Error) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const advance = (partition: number, lastOffset: string | null | undefined) => {
    const range = ranges.get(partition);
    if (!range || lastOffset === null || lastOffset === undefined) return;
    const next = BigInt(lastOffset) + 1n;
    if (next > (position.get(partition) ?? 0n)) position.set(partition, next);
    if ((position.get(partition) ?? 0n) >= range.end) {
      pending.delete(partition);
      if (pending.size === 0) finish();
    }
  };

  const consumer = kafka.consumer({
    groupId: `ipt-ingest-dedup.${topic}.${randomUUID()}`,
    partitionAssigners: [fixedPartitionsAssigner(topic, [...ranges.keys()])],
    maxWaitTimeInMs: 250,
    allowAutoTopicCreation: false,
    retry: { retries: 5 },
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.topic === topic) advance(payload.partition, payload.lastOffset);
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    fail(new Error(`dedup restore from ${topic} crashed: ${payload.error.message}`));
  });
  const timer = setTimeout(
    () => fail(new Error(`dedup restore from ${topic} timed out after ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const range = ranges.get(batch.partition);
        if (!range) return;
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          if (offset < range.from) continue;
          if (offset >= range.end) break;
          const hash = message.headers?.[DEDUP_HEADER];
          if (hash !== undefined) {
            window.add(Buffer.isBuffer(hash) ? hash.toString('utf8') : String(hash));
            records++;
          }
        }
      },
    });
    for (const [partition, range] of ranges) consumer.seek({ topic, partition, offset: String(range.from) });
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => {});
  }
  return { records, ms: performance.now() - started };
}
