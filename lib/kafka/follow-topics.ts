import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka, KafkaMessage } from 'kafkajs';
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
  const slots = await startPositions(kafka, options.topics, options.from);
  const follower = new TopicFollower(kafka, options, slots);
  await follower.start();
  return follower;
}

/**
 * One follower's state. Each consumer belongs to a generation; replacing or stopping bumps the
 * generation, so events and deliveries of an older consumer are ignored.
 */
class TopicFollower implements Follower {
  private readonly stallMs: number;
  private generation = 0;
  private consumer: Consumer | undefined;
  private lastActivity = Date.now();
  private busy = 0;
  private stopped = false;
  private replacing: Promise<void> | undefined;
  private replaced = 0;
  private failed: Error | undefined;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: FollowOptions,
    private readonly slots: Slot[],
  ) {
    this.stallMs = options.stallMs ?? 20_000;
  }

  /** Starts the first consumer and the watchdog that replaces a silent one. */
  async start(): Promise<void> {
    await this.startConsumer(this.generation);
    this.watchdog = setInterval(() => this.replaceIfStalled(), 500);
    this.watchdog.unref();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.watchdog);
    this.generation++;
    await this.replacing;
    await release(this.consumer);
    await Promise.all(this.slots.map((s) => s.delivery));
  }

  positions(): Positions {
    const out: Positions = {};
    for (const topic of this.options.topics) {
      out[topic] = Object.fromEntries(
        this.slots.filter((s) => s.topic === topic).map((s) => [s.partition, String(s.next)]),
      );
    }
    return out;
  }

  replacements(): number {
    return this.replaced;
  }

  failure(): Error | undefined {
    return this.failed;
  }

  /** Hands out a batch's records past the partition's position, after its previous delivery. */
  private deliver(
    attempt: number,
    topic: string,
    partition: number,
    messages: KafkaMessage[],
  ): Promise<void> {
    const slot = this.slots.find((s) => s.topic === topic && s.partition === partition);
    if (!slot) return Promise.resolve();
    slot.delivery = slot.delivery.then(() => this.deliverFresh(attempt, slot, messages));
    return slot.delivery;
  }

  private async deliverFresh(attempt: number, slot: Slot, messages: KafkaMessage[]): Promise<void> {
    if (attempt !== this.generation || this.stopped || this.failed) return;
    const fresh = messages.filter((m) => BigInt(m.offset) >= slot.next);
    if (fresh.length === 0) return;
    this.busy++;
    try {
      await this.options.onMessages(slot.topic, slot.partition, fresh);
      slot.next = BigInt((fresh[fresh.length - 1] as KafkaMessage).offset) + 1n;
    } catch (error) {
      this.fail(error, slot);
    } finally {
      this.busy--;
      this.lastActivity = Date.now();
    }
  }

  /** Skipping the records would lose them and retrying would loop: stop, and say why. */
  private fail(error: unknown, { topic, partition }: Slot): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    this.failed = failure;
    this.options.log?.error(
      { error: failure.message, topic, partition },
      'following stopped: a delivery failed',
    );
    this.generation++;
    void release(this.consumer);
    this.options.onFailure?.(failure);
  }

  private async startConsumer(attempt: number): Promise<void> {
    const c = this.createConsumer(attempt);
    this.consumer = c;
    this.lastActivity = Date.now();
    await c.connect();
    for (const topic of this.options.topics) await c.subscribe({ topic, fromBeginning: true });
    // Not awaited: run() resolves only once the group is joined, which is where kafkajs can hang.
    c.run({
      autoCommit: false,
      eachBatch: ({ batch }) => this.deliver(attempt, batch.topic, batch.partition, batch.messages),
    }).catch((error: Error) => {
      if (attempt === this.generation)
        this.options.log?.warn({ error: error.message }, 'follow consumer failed to run');
    });
    // run() has created the group synchronously, so seeks are accepted; they apply on assignment.
    for (const { topic, partition, next } of this.slots) c.seek({ topic, partition, offset: String(next) });
  }

  /** A consumer in a throwaway group whose assigner hands it every partition, watched for fetches and crashes. */
  private createConsumer(attempt: number): Consumer {
    const assignment: Record<string, number[]> = {};
    for (const topic of this.options.topics) {
      assignment[topic] = this.slots.filter((s) => s.topic === topic).map((s) => s.partition);
    }
    const c = this.kafka.consumer({
      groupId: `ipt-follow.${randomUUID()}`,
      partitionAssigners: [fixedAssignmentAssigner(assignment)],
      readUncommitted: false,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
      retry: { retries: 5 },
    });
    c.on(c.events.FETCH, () => {
      if (attempt === this.generation) this.lastActivity = Date.now();
    });
    c.on(c.events.CRASH, ({ payload }) => {
      if (attempt !== this.generation || payload.restart) return;
      this.options.log?.warn({ error: payload.error.message }, 'follow consumer crashed; replacing it');
      void this.replace();
    });
    return c;
  }

  private replaceIfStalled(): void {
    if (this.busy > 0 || this.replacing || this.failed || Date.now() - this.lastActivity <= this.stallMs)
      return;
    this.options.log?.warn(
      { topics: this.options.topics, stallMs: this.stallMs },
      'follow consumer made no progress; replacing it',
    );
    void this.replace();
  }

  private replace(): Promise<void> {
    this.replacing ??= (async () => {
      const old = this.consumer;
      const attempt = ++this.generation;
      this.replaced++;
      await release(old);
      if (!this.stopped) await this.startConsumer(attempt);
    })()
      .catch((error: Error) =>
        this.options.log?.warn({ error: error.message }, 'restarting a follow consumer failed'),
      )
      .finally(() => {
        this.replacing = undefined;
      });
    return this.replacing;
  }
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
      const byTime = await offsetsAtTime(admin, topic, from);
      for (const { partition, low, high } of offsets) {
        const offset = startOffset(from, topic, partition, { low, high }, byTime);
        const next = BigInt(offset) < BigInt(low) ? BigInt(low) : BigInt(offset);
        slots.push({ topic, partition, next, delivery: Promise.resolve() });
      }
    }
    return slots;
  } finally {
    await admin.disconnect();
  }
}

/** partition → first offset at or after the start time; undefined unless starting from a time. */
async function offsetsAtTime(
  admin: Admin,
  topic: string,
  from: FollowStart,
): Promise<Map<number, string> | undefined> {
  if (typeof from !== 'object' || typeof from.timestamp !== 'number') return undefined;
  const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, from.timestamp);
  return new Map(offsets.map((o) => [o.partition, o.offset]));
}

/** Where one partition starts, before clamping to its log start. */
function startOffset(
  from: FollowStart,
  topic: string,
  partition: number,
  { low, high }: { low: string; high: string },
  byTime: Map<number, string> | undefined,
): string {
  if (from === 'earliest') return low;
  if (from === 'latest') return high;
  if (byTime) {
    const found = byTime.get(partition);
    // -1: no record at or after that time yet.
    return found === undefined || BigInt(found) < 0n ? high : found;
  }
  return (from as Positions)[topic]?.[partition] ?? high;
}
