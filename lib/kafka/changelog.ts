import { randomUUID } from 'node:crypto';
import { AssignerProtocol, type Consumer, type Kafka, type PartitionAssigner } from 'kafkajs';

/**
 * Restoring state from a compacted changelog partition (DESIGN.md §3–§4).
 *
 * kafkajs has no manual `assign`, so the reader is a consumer in a throwaway group whose assigner
 * hands this one member exactly the wanted partition (nothing else is ever fetched). It reads
 * read_committed from the beginning to the end offset measured at the start.
 *
 * The end offset comes from kafkajs `admin.fetchTopicOffsets`, whose ListOffsets is read_committed:
 * it is the partition's last stable offset (LSO), i.e. the high watermark unless some transaction is
 * still open, in which case it is that transaction's first offset (verified against Kafka 3.9). So
 * an open transaction of another writer neither stalls the restore nor leaks into it. Call it after
 * `PartitionTransactions.open` for the partition: that fences and aborts any zombie transaction first.
 * Records at or past the end offset are ignored, so the result is the committed state as of the LSO.
 *
 * End detection: a read_committed consumer never delivers control records (commit/abort markers) or
 * aborted records, so the partition's last offset may never reach `eachBatch`; waiting for the last
 * delivered message would hang whenever the log ends in a marker, and `eachBatch` is not called at
 * all for a fetch that returned only markers / aborted records. kafkajs still tells us how far each
 * fetch went: for every fetched batch that held any raw record (data, aborted or control) it emits
 * `consumer.events.END_BATCH_PROCESS` whose `lastOffset` is the offset of the batch's last raw record,
 * markers included, whether or not `eachBatch` was called (runner.js `isEmptyDueToFiltering`; Batch
 * `lastOffset()`). Position = lastOffset + 1; done when position ≥ end offset. An empty partition
 * (end = start) needs no consumer at all. */

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

function singlePartitionAssigner(topic: string, partition: number): PartitionAssigner {
  return () => ({
    name: 'ipt-restore-single',
    version: 1,
    async assign({ members }) {
      return members.map((member, i) => ({
        memberId: member.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: i === 0 ? { [topic]: [partition] } : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: 'ipt-restore-single',
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
      };
    },
  });
}

/** Reads one changelog partition, read_committed, from its beginning to its end offset at call time. */
export async function restorePartition(
  kafka: Kafka,
  topic: string,
  partition: number,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 120_000;
  const state = new Map<string, Buffer>();

  const admin = kafka.admin();
  await admin.connect();
  let offsets: Awaited<ReturnType<typeof admin.fetchTopicOffsets>>;
  try {
    offsets = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  const range = offsets.find((o) => o.partition === partition);
  if (!range) throw new Error(`changelog ${topic} has no partition ${partition}`);
  const startOffset = range.low;
  const end = BigInt(range.high);
  const result = (records: number): RestoreResult => ({
    state,
    startOffset,
    endOffset: range.high,
    records,
    ms: performance.now() - started,
  });
  if (end <= BigInt(range.low)) return result(0);

  let records = 0;
  let position = BigInt(range.low);
  const consumer: Consumer = kafka.consumer({
    groupId: `ipt-restore.${topic}.${partition}.${randomUUID()}`,
    partitionAssigners: [singlePartitionAssigner(topic, partition)],
    readUncommitted: false,
    maxWaitTimeInMs: 250,
    allowAutoTopicCreation: false,
    retry: { retries: 5 },
  });

  let finish: () => void = () => {};
  let fail: (error: Error) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const advance = (lastOffset: string | null | undefined) => {
    if (lastOffset === null || lastOffset === undefined) return;
    const next = BigInt(lastOffset) + 1n;
    if (next > position) position = next;
    if (position >= end) finish();
  };
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.topic === topic && payload.partition === partition) advance(payload.lastOffset);
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    fail(new Error(`restore of ${topic}[${partition}] crashed: ${payload.error.message}`));
  });
  const timer = setTimeout(
    () =>
      fail(
        new Error(
          `restore of ${topic}[${partition}] timed out after ${timeoutMs} ms at offset ${position} of ${end}`,
        ),
      ),
    timeoutMs,
  );

  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (batch.partition !== partition) return;
        for (const message of batch.messages) {
          // Anything past the measured end was written after the restore began; leave it to the
          // live consumer, so the result is exactly the state as of the end offset.
          if (BigInt(message.offset) >= end) break;
          const key = message.key?.toString('utf8');
          if (key === undefined) continue;
          if (message.value === null) state.delete(key);
          else state.set(key, message.value);
          records++;
        }
      },
    });
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => {});
  }
  return result(records);
}
