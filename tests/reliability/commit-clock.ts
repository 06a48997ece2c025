// When committed records of the pipeline's topics became visible — for the chaos run's recovery times
// and throughput per fault.
//
// A CommitClock follows topics live (read_committed, every partition, from the log start) and notes,
// per record, when it was delivered here and the record's own timestamp (set by its producer when it
// was sent). So "recovered" means: a read_committed consumer saw a record produced after the fault.
// That consumer is itself a client of the faulted cluster: a broker kill can stall it too, and
// followTopics then replaces it after `stallMs` — a recovery time includes any such delay, as it would
// for any downstream reader.

import { createHash } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { type Follower, followTopics } from '../../lib/kafka/follow-topics.ts';
import type { Logger } from '../../lib/log.ts';

/**
 * One topic's observations in delivery order: parallel arrays (a run sees ~100k records; plain number
 * arrays of doubles stay packed, unlike an object per record).
 */
export interface TopicTimes {
  /** Date.now() when the record was delivered to the clock. */
  seenAt: number[];
  /** The record's timestamp (ms since the epoch). */
  createdAt: number[];
}

/** topic → its observations. */
export type Observations = ReadonlyMap<string, TopicTimes>;

/** `partition:offset` → a digest of the record's key and value: what one reader saw at that position. */
export type Positions = Map<string, string>;

export const positionKey = (partition: number, offset: string) => `${partition}:${offset}`;

export const recordDigest = (key: Buffer | null, value: Buffer | null) =>
  createHash('sha1')
    .update(key ?? Buffer.alloc(0))
    .update('\0')
    .update(value ?? Buffer.alloc(0))
    .digest('base64');

export function observe(
  into: Map<string, TopicTimes>,
  topic: string,
  seenAt: number,
  createdAt: number,
): void {
  let times = into.get(topic);
  if (!times) {
    times = { seenAt: [], createdAt: [] };
    into.set(topic, times);
  }
  times.seenAt.push(seenAt);
  times.createdAt.push(createdAt);
}

/**
 * Milliseconds from a fault at `at` until every one of the topics had shown a record produced at or
 * after `at` (so a transaction written before the fault and committed after it does not count): per
 * topic the earliest such sighting, then the latest of those. Undefined if some topic has none yet,
 * or if no topic is named.
 */
export function recoveryMs(observations: Observations, topics: string[], at: number): number | undefined {
  if (topics.length === 0) return undefined;
  let worst = 0;
  for (const topic of topics) {
    const first = firstSeenAfter(observations.get(topic), at);
    if (first === undefined) return undefined;
    worst = Math.max(worst, first - at);
  }
  return worst;
}

function firstSeenAfter(times: TopicTimes | undefined, at: number): number | undefined {
  if (!times) return undefined;
  let first: number | undefined;
  const { seenAt, createdAt } = times;
  for (let i = 0; i < seenAt.length; i++) {
    const seen = seenAt[i] as number;
    if (seen >= at && (createdAt[i] as number) >= at && (first === undefined || seen < first)) first = seen;
  }
  return first;
}

/** Records of the topic seen at or after `at` and produced at or after it. */
export function countSince(observations: Observations, topic: string, at: number): number {
  const times = observations.get(topic);
  if (!times) return 0;
  let n = 0;
  for (let i = 0; i < times.seenAt.length; i++)
    if ((times.seenAt[i] as number) >= at && (times.createdAt[i] as number) >= at) n++;
  return n;
}

/** Records of the topic per second seen in [from, to); 0 for an empty window. */
export function rate(observations: Observations, topic: string, from: number, to: number): number {
  if (!(to > from)) return 0;
  const seenAt = observations.get(topic)?.seenAt ?? [];
  let n = 0;
  for (const seen of seenAt) if (seen >= from && seen < to) n++;
  return n / ((to - from) / 1000);
}

export interface CommitClockOptions {
  /** A follow consumer that has not fetched for this long is replaced (default 15 s). */
  stallMs?: number;
  /**
   * Per topic, which records count as its traffic (counts, rates, recovery); the others are only
   * noted in `seen`. Every record counts where no filter is given.
   */
  counted?: Record<string, (value: Buffer | null) => boolean>;
  log?: Logger;
}

export class CommitClock {
  private readonly times = new Map<string, TopicTimes>();
  private readonly positions = new Map<string, Positions>();
  private follower: Follower | undefined;

  private constructor(private readonly topics: string[]) {
    for (const topic of topics) {
      this.times.set(topic, { seenAt: [], createdAt: [] });
      this.positions.set(topic, new Map());
    }
  }

  /** Starts following the topics from their log start; resolves once the follow consumer is running. */
  static async start(kafka: Kafka, topics: string[], options: CommitClockOptions = {}): Promise<CommitClock> {
    const clock = new CommitClock(topics);
    clock.follower = await followTopics(kafka, {
      topics,
      from: 'earliest',
      stallMs: options.stallMs ?? 15_000,
      log: options.log,
      onMessages: (topic, partition, messages) => {
        const now = Date.now();
        const seen = clock.positions.get(topic) as Positions;
        const counted = options.counted?.[topic];
        for (const m of messages) {
          if (!counted || counted(m.value)) observe(clock.times, topic, now, Number(m.timestamp));
          seen.set(positionKey(partition, m.offset), recordDigest(m.key, m.value));
        }
      },
    });
    return clock;
  }

  /** Committed records of the topic seen so far. */
  count(topic: string): number {
    return this.times.get(topic)?.seenAt.length ?? 0;
  }

  /** Committed records of the topic seen at or after `at` and produced at or after it. */
  countSince(topic: string, at: number): number {
    return countSince(this.times, topic, at);
  }

  /** Where each record of the topic was seen and what it held: the live read, for comparing with a later one. */
  seen(topic: string): Positions {
    return this.positions.get(topic) ?? new Map();
  }

  /** Everything seen so far (live: it grows while the clock runs). */
  observations(): Observations {
    return this.times;
  }

  recoveryMs(topics: string[], at: number): number | undefined {
    return recoveryMs(this.times, topics, at);
  }

  rate(topic: string, from: number, to: number): number {
    return rate(this.times, topic, from, to);
  }

  /** How many times the follow consumer was replaced after stalling or crashing. */
  replacements(): number {
    return this.follower?.replacements() ?? 0;
  }

  /** The topics followed. */
  followed(): string[] {
    return [...this.topics];
  }

  /** Stops following; observations stay readable. */
  async stop(): Promise<void> {
    await this.follower?.stop();
  }
}
