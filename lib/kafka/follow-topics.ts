import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '../log.ts';
import { fixedAssignmentAssigner } from './read-partition.ts';

/**
 * Following topics live (tap, export --follow, the demo's accounting): every partition of each
 * topic, read_committed, from a start position on, with no consumer group offsets committed.
 *
 * kafkajs has no manual `assign`, so each reader is a consumer in a throwaway group whose assigner
 * hands it every partition. Such a consumer occasionally goes silent after joining its group (no
 * SyncGroup, no fetch, until its session expires — seen on a fresh broker in CI), and then even its
 * disconnect may never return. So a watchdog replaces a consumer that has not fetched for `stallMs`
 * with a fresh one that seeks to where delivery had got to; a wedged consumer's disconnect is given
 * up on after a few seconds. Deliveries of one partition are serialized and filtered by position, so
 * a record is handed out once even when an old and a new consumer overlap.
 */

/** topic → partition → offset. */
export type Positions = Record<string, Record<number, string>>;

/**
 * Where to start: each partition's log start, its end now (only records written from now on), the
 * first offset at or after a time (ms since the epoch), or explicit offsets — partitions not named
 * there start at their end.
 */
export type FollowStart = 'earliest' | 'latest' | { timestamp: number } | Positions;

export interface FollowOptions {
  topics: string[];
  from: FollowStart;
  /** Committed records of one partition, in offset order; that partition's next delivery waits for the promise. */
  onMessages(topic: string, partition: number, messages: KafkaMessage[]): void | Promise<void>;
  /** Called once if a delivery throws: following has stopped (see Follower.failure). */
  onFailure?(error: Error): void;
  /** A consumer that has not fetched for this long is replaced, resuming where delivery had got to. */
  stallMs?: number;
  log?: Logger;
}

export interface Follower {
  /** Stops reading; resolves once no delivery is running. */
  stop(): Promise<void>;
  /** The next offset to deliver, per partition. */
  positions(): Positions;
  /** How many times a silent consumer was replaced. */
  replacements(): number;
  /** Why following stopped on its own: onMessages threw (nothing after that record was delivered). */
  failure(): Error | undefined;
}

const DISCONNECT_GRACE_MS = 5_000;

export async function followTopics(kafka: Kafka, options: FollowOptions): Promise<Follower> {
  const stallMs = options.stallMs ?? 20_000;
  const slots = await startPositions(kafka, options.topics, options.from);
  let generation = 0;
  let consumer: Consumer | undefined;
  let lastActivity = Date.now();
  let busy = 0;
  let stopped = false;
  let replacing: Promise<void> | undefined;
  let replacements = 0;
  let failure: Error | undefined;

  /** Hands out a batch's records past the partition's position, after its previous delivery. */
  const deliver = (attempt: number, topic: string, partition: number, messages: KafkaMessage[]) => {
    const slot = slots.find((s) => s.topic === topic && s.partition === partition);
    if (!slot) return Promise.resolve();
    slot.delivery = slot.delivery.then(async () => {
      if (attempt !== generation || stopped || failure) return;
      const fresh = messages.filter((m) => BigInt(m.offset) >= slot.next);
      if (fresh.length === 0) return;
      busy++;
      try {
        await options.onMessages(topic, partition, fresh);
        slot.next = BigInt((fresh[fresh.length - 1] as KafkaMessage).offset) + 1n;
      } catch (error) {
        // Skipping the records would lose them and retrying would loop: stop, and say why.
        failure = error instanceof Error ? error : new Error(String(error));
        options.log?.error(
          { error: failure.message, topic, partition },
          'following stopped: a delivery failed',
        );
        generation++;
        void release(consumer);
        options.onFailure?.(failure);
      } finally {
        busy--;
        lastActivity = Date.now();
      }
    });
    return slot.delivery;
  };

  const start = async (attempt: number) => {
    const assignment: Record<string, number[]> = {};
    for (const topic of options.topics) {
      assignment[topic] = slots.filter((s) => s.topic === topic).map((s) => s.partition);
    }
    const c = kafka.consumer({
      groupId: `ipt-follow.${randomUUID()}`,
      partitionAssigners: [fixedAssignmentAssigner(assignment)],
      readUncommitted: false,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
      retry: { retries: 5 },
    });
    consumer = c;
    lastActivity = Date.now();
    c.on(c.events.FETCH, () => {
      if (attempt === generation) lastActivity = Date.now();
    });
    c.on(c.events.CRASH, ({ payload }) => {
      if (attempt !== generation || payload.restart) return;
      options.log?.warn({ error: payload.error.message }, 'follow consumer crashed; replacing it');
      void replace();
    });
    await c.connect();
    for (const topic of options.topics) await c.subscribe({ topic, fromBeginning: true });
    // Not awaited: run() resolves only once the group is joined, which is where kafkajs can hang.
    c.run({
      autoCommit: false,
      eachBatch: ({ batch }) => deliver(attempt, batch.topic, batch.partition, batch.messages),
    }).catch((error: Error) => {
      if (attempt === generation)
        options.log?.warn({ error: error.message }, 'follow consumer failed to run');
    });
    // run() has created the group synchronously, so seeks are accepted; they apply on assignment.
    for (const { topic, partition, next } of slots) c.seek({ topic, partition, offset: String(next) });
  };

  const replace = () => {
    replacing ??= (async () => {
      const old = consumer;
      const attempt = ++generation;
      replacements++;
      await release(old);
      if (!stopped) await start(attempt);
    })()
      .catch((error: Error) =>
        options.log?.warn({ error: error.message }, 'restarting a follow consumer failed'),
      )
      .finally(() => {
        replacing = undefined;
      });
    return replacing;
  };

  await start(generation);
  const watchdog = setInterval(() => {
    if (busy === 0 && !replacing && !failure && Date.now() - lastActivity > stallMs) {
      options.log?.warn(
        { topics: options.topics, stallMs },
        'follow consumer made no progress; replacing it',
      );
      void replace();
    }
  }, 500);
  watchdog.unref();

  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(watchdog);
      generation++;
      await replacing;
      await release(consumer);
      await Promise.all(slots.map((s) => s.delivery));
    },
    positions() {
      const out: Positions = {};
      for (const topic of options.topics) {
        out[topic] = Object.fromEntries(
          slots.filter((s) => s.topic === topic).map((s) => [s.partition, String(s.next)]),
        );
      }
      return out;
    },
    replacements: () => replacements,
    failure: () => failure,
  };
}

/** Disconnects, giving up after a grace period: a wedged kafkajs consumer may never finish. */
function release(consumer: Consumer | undefined): Promise<void> {
  if (!consumer) return Promise.resolve();
  return Promise.race([
    consumer.disconnect().catch(() => {}),
    new Promise<void>((resolve) => setTimeout(resolve, DISCONNECT_GRACE_MS).unref()),
  ]);
}

interface Slot {
  topic: string;
  partition: number;
  /** The next offset to hand out. */
  next: bigint;
  /** The partition's latest delivery; the next one chains on it. */
  delivery: Promise<void>;
}

/** Every partition of every topic with the first offset to deliver. */
async function startPositions(kafka: Kafka, topics: string[], from: FollowStart): Promise<Slot[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const slots: Slot[] = [];
    for (const topic of topics) {
      // read_committed ListOffsets: `high` is the last stable offset.
      const offsets = await admin.fetchTopicOffsets(topic);
      const byTime =
        typeof from === 'object' && typeof from.timestamp === 'number'
          ? new Map(
              (await admin.fetchTopicOffsetsByTimestamp(topic, from.timestamp)).map((o) => [
                o.partition,
                o.offset,
              ]),
            )
          : undefined;
      for (const { partition, low, high } of offsets) {
        let offset: string;
        if (from === 'earliest') offset = low;
        else if (from === 'latest') offset = high;
        else if (byTime) {
          const found = byTime.get(partition);
          // -1: no record at or after that time yet.
          offset = found === undefined || BigInt(found) < 0n ? high : found;
        } else offset = (from as Positions)[topic]?.[partition] ?? high;
        const next = BigInt(offset) < BigInt(low) ? BigInt(low) : BigInt(offset);
        slots.push({ topic, partition, next, delivery: Promise.resolve() });
      }
    }
    return slots;
  } finally {
    await admin.disconnect();
  }
}
