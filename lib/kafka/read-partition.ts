import { randomUUID } from 'node:crypto';
import {
  AssignerProtocol,
  type Consumer,
  type Kafka,
  type KafkaMessage,
  type PartitionAssigner,
} from 'kafkajs';

/**
 * Reading one partition's committed records over a fixed offset range: the building block of
 * changelog restore (changelog.ts) and of export.
 *
 * kafkajs has no manual `assign`, so the reader is a consumer in a throwaway group whose assigner
 * hands this one member exactly the wanted partition (nothing else is ever fetched). It reads
 * read_committed from the log start to an end offset measured first.
 *
 * The end offset comes from kafkajs `admin.fetchTopicOffsets`, whose ListOffsets is read_committed:
 * it is the partition's last stable offset (LSO), i.e. the high watermark unless some transaction is
 * still open, in which case it is that transaction's first offset (verified against Kafka 3.9). So
 * an open transaction of another writer neither stalls the read nor leaks into it. Records at or
 * past the end offset are never handed out.
 *
 * End detection: a read_committed consumer never delivers control records (commit/abort markers) or
 * aborted records, so the partition's last offset may never reach `eachBatch`; waiting for the last
 * delivered message would hang whenever the log ends in a marker, and `eachBatch` is not called at
 * all for a fetch that returned only markers / aborted records. kafkajs still tells us how far each
 * fetch went: for every fetched batch that held any raw record (data, aborted or control) it emits
 * `consumer.events.END_BATCH_PROCESS` whose `lastOffset` is the offset of the batch's last raw record,
 * markers included, whether or not `eachBatch` was called (runner.js `isEmptyDueToFiltering`; Batch
 * `lastOffset()`). Position = lastOffset + 1; done when position ≥ end offset. An empty range needs
 * no consumer at all.
 */

export interface PartitionRange {
  /** First offset of the range (the partition's log start). */
  startOffset: string;
  /** End of the range, exclusive (the partition's LSO when the read began). */
  endOffset: string;
}

export interface ReadPartitionOptions {
  /** Start here instead of at the log start (a start before the log start means the log start). */
  startOffset?: string;
  /** Stop here (exclusive) instead of at the LSO measured now; it must not be past the LSO. */
  endOffset?: string;
  /** Give up (reject) after this long; a still-open transaction stalls a read_committed reader until it ends. */
  timeoutMs?: number;
  /** A consumer that makes no progress for this long is replaced by a new one, resuming where it was. */
  stallMs?: number;
  /**
   * Hand out aborted records too (read_uncommitted), for checks that look for them; the range still
   * ends at the LSO, so records of transactions still open are left out either way.
   */
  readUncommitted?: boolean;
  /** Committed records in offset order, a fetch at a time; the next fetch waits for the returned promise. */
  onMessages(messages: KafkaMessage[]): void | Promise<void>;
}

/** The committed offset range [log start, LSO) of every partition of a topic, by partition. */
export async function committedRanges(kafka: Kafka, topic: string): Promise<Map<number, PartitionRange>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, { startOffset: o.low, endOffset: o.high }]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * kafkajs has no manual `assign`: a throwaway group with this assigner hands its first member exactly
 * these partitions of these topics, and nothing else is ever fetched.
 */
export function fixedAssignmentAssigner(assignment: Record<string, number[]>): PartitionAssigner {
  return () => ({
    name: 'ipt-fixed-partitions',
    version: 1,
    async assign({ members }) {
      return members.map((member, i) => ({
        memberId: member.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: i === 0 ? assignment : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: 'ipt-fixed-partitions',
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
      };
    },
  });
}

/** Reads one partition, read_committed, from its log start to its end offset; returns the range covered. */
export async function readPartition(
  kafka: Kafka,
  topic: string,
  partition: number,
  options: ReadPartitionOptions,
): Promise<PartitionRange> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const measured = (await committedRanges(kafka, topic)).get(partition);
  if (!measured) throw new Error(`${topic} has no partition ${partition}`);
  const start =
    options.startOffset !== undefined && BigInt(options.startOffset) > BigInt(measured.startOffset)
      ? options.startOffset
      : measured.startOffset;
  const range = { startOffset: start, endOffset: options.endOffset ?? measured.endOffset };
  const end = BigInt(range.endOffset);
  if (end > BigInt(measured.endOffset)) {
    throw new Error(`${topic}[${partition}]: end offset ${end} is past the LSO ${measured.endOffset}`);
  }
  if (end <= BigInt(range.startOffset)) return range;

  // Where the read has got to: past every raw record the consumer fetched (position) and every
  // record handed out (delivered). A stalled attempt is replaced by a fresh consumer in a fresh group;
  // records before `delivered` are never handed out twice.
  let position = BigInt(range.startOffset);
  let delivered = position;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const outcome = await readAttempt(kafka, topic, partition, delivered, end, {
      deadline,
      readUncommitted: options.readUncommitted ?? false,
      stallMs: options.stallMs ?? 20_000,
      onProgress: (next) => {
        if (next > position) position = next;
      },
      onMessages: async (messages) => {
        const fresh = messages.filter((m) => BigInt(m.offset) >= delivered);
        if (fresh.length === 0) return;
        await options.onMessages(fresh);
        delivered = BigInt((fresh[fresh.length - 1] as KafkaMessage).offset) + 1n;
      },
    });
    if (outcome === 'done') return range;
    if (Date.now() >= deadline) {
      throw new Error(
        `reading ${topic}[${partition}] timed out after ${timeoutMs} ms at offset ${position} of ${end}`,
      );
    }
    // kafkajs occasionally goes silent after joining a group (seen on a fresh broker: no SyncGroup,
    // no heartbeat until the session expires); a new consumer in a new group gets going at once.
  }
}

/**
 * One consumer, in a throwaway group, reading from `start` until `end` (a retry starts again at the
 * first record not handed out yet, and the caller filters anything before it). Resolves
 * 'stalled' when no fetch has made progress for stallMs (or the deadline passed).
 */
async function readAttempt(
  kafka: Kafka,
  topic: string,
  partition: number,
  start: bigint,
  end: bigint,
  hooks: {
    deadline: number;
    stallMs: number;
    readUncommitted: boolean;
    onProgress(next: bigint): void;
    onMessages(messages: KafkaMessage[]): Promise<void>;
  },
): Promise<'done' | 'stalled'> {
  const groupId = `ipt-read.${topic}.${partition}.${randomUUID()}`;
  const consumer: Consumer = kafka.consumer({
    groupId,
    partitionAssigners: [fixedAssignmentAssigner({ [topic]: [partition] })],
    readUncommitted: hooks.readUncommitted,
    maxWaitTimeInMs: 250,
    allowAutoTopicCreation: false,
    retry: { retries: 5 },
  });
  let settle: (outcome: 'done' | 'stalled') => void = () => {};
  let fail: (error: Error) => void = () => {};
  const outcome = new Promise<'done' | 'stalled'>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  let lastProgress = Date.now();
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.topic !== topic || payload.partition !== partition) return;
    if (payload.lastOffset === null || payload.lastOffset === undefined) return;
    lastProgress = Date.now();
    const next = BigInt(payload.lastOffset) + 1n;
    hooks.onProgress(next);
    if (next >= end) settle('done');
  });
  consumer.on(consumer.events.FETCH, () => {
    // An empty fetch is still a live consumer.
    lastProgress = Date.now();
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    fail(new Error(`reading ${topic}[${partition}] crashed: ${payload.error.message}`));
  });
  const watchdog = setInterval(() => {
    const now = Date.now();
    if (now - lastProgress > hooks.stallMs || now > hooks.deadline) settle('stalled');
  }, 500);
  let finished = false;
  // Connecting and joining are not awaited either: a connect stuck on a dead broker's metadata would
  // otherwise hold the read past every deadline; the watchdog gives up on it like on a silent fetch.
  const begin = async () => {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    if (finished) return;
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (batch.partition !== partition) return;
          // Anything past the measured end was written after the read began: leave it out, so the
          // result is exactly the range.
          const inRange = batch.messages.filter((m) => BigInt(m.offset) < end);
          if (inRange.length > 0) await hooks.onMessages(inRange);
        },
      })
      .catch((error: Error) => fail(error));
    // run() has created the consumer group synchronously, so the seek is accepted; it applies once
    // the partition is assigned.
    consumer.seek({ topic, partition, offset: String(start) });
  };
  try {
    begin().catch((error: Error) => fail(error));
    return await outcome;
  } finally {
    finished = true;
    clearInterval(watchdog);
    // A wedged kafkajs consumer may never finish disconnecting; don't let it hold the read up.
    await Promise.race([
      consumer.disconnect().catch(() => {}),
      new Promise((r) => setTimeout(r, 5_000).unref()),
    ]);
  }
}
