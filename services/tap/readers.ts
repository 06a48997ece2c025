// The tap's Kafka readers. The live reader is one follower of the tapped topics from "now",
// shared by every live subscription: each record is decoded once and offered to each watching
// client, and its delivery never awaits a client, so no client can slow it (nor the pipeline, which
// never waits for the tap). A positional subscription (from the earliest record, a time, or offsets)
// gets a reader of its own instead, paced by its client: it hands over the next record only once the
// client's queue has room, so it drops nothing.

import type { Kafka } from 'kafkajs';
import {
  type Follower,
  type FollowStart,
  followTopics,
  type Positions,
} from '../../lib/kafka/follow-topics.ts';
import type { Logger } from '../../lib/log.ts';
import type { Topics } from '../../lib/topics.ts';
import type { TapMetrics } from './metrics.ts';
import { type Subscription, TAP_ROLES, type TapRole } from './protocol.ts';
import { type RecordDecoder, type TapRecord, wants } from './records.ts';

interface ReaderContext {
  kafka: Kafka;
  topics: Topics;
  decoder: RecordDecoder;
  stallMs: number | undefined;
  log: Logger;
}

/** A client of the live reader: it re-checks its own subscription, which may change mid-batch. */
export interface LiveClient {
  offerLive(record: TapRecord): void;
}

export interface LiveReader {
  /** Records read, by role, since the tap started. */
  readonly read: Readonly<Record<TapRole, number>>;
  positions(): Positions;
  stop(): Promise<void>;
}

export async function startLiveReader(
  context: ReaderContext,
  metrics: TapMetrics,
  /** Clients subscribed from "now" to a role, asked once per batch. */
  audience: (role: TapRole) => LiveClient[],
): Promise<LiveReader> {
  const { decoder } = context;
  const read = Object.fromEntries(TAP_ROLES.map((r) => [r, 0])) as Record<TapRole, number>;
  const follower = await followTopics(context.kafka, {
    ...followOptions(context, TAP_ROLES, 'latest'),
    async onMessages(topic, partition, messages) {
      const role = decoder.roleOf(topic);
      if (!role) return;
      read[role] += messages.length;
      metrics.read.inc({ topic: role }, messages.length);
      const clients = audience(role);
      // Raw documents are decoded even when nobody watches them: their URLs serve later filters.
      if (clients.length === 0 && role !== 'raw') return;
      for (const message of messages) {
        const record = await decoder.decode(role, topic, partition, message);
        for (const client of clients) client.offerLive(record);
      }
    },
  });
  return { read, positions: () => follower.positions(), stop: () => follower.stop() };
}

/** A client's own reader: `take` gets each wanted record; `room` holds the next until there is space. */
export interface PacedClient {
  /** False once the client has unsubscribed or gone: the reader hands out nothing more. */
  current(): boolean;
  take(record: TapRecord): void;
  room(): Promise<void>;
}

export interface PositionalReader {
  /** Where the reader is, keyed by role. */
  positions(): Record<string, Record<number, string>>;
  /** Never rejects: a failure to stop is logged. */
  stop(): Promise<void>;
}

/** Opens readers for positional subscriptions, at most `max` at once (each holds a Kafka consumer). */
export class PositionalReaders {
  private open = 0;

  constructor(
    private readonly context: ReaderContext,
    private readonly max: number,
  ) {}

  /** Throws with a message meant for the client when the limit is reached or reading cannot start. */
  async start(subscription: Subscription, client: PacedClient): Promise<PositionalReader> {
    if (this.open >= this.max) {
      throw new Error(
        `too many subscriptions from a position (${this.max} at once); subscribe from "now" or retry later`,
      );
    }
    this.open++;
    let follower: Follower;
    try {
      follower = await this.follow(subscription, client);
    } catch (error) {
      this.open--;
      throw new Error(`could not start reading: ${(error as Error).message}`);
    }
    return {
      positions: () => this.context.decoder.rolePositions(follower.positions()),
      stop: () =>
        follower
          .stop()
          .catch((error: Error) =>
            this.context.log.warn({ error: error.message }, 'stopping a positional reader failed'),
          )
          .finally(() => this.open--),
    };
  }

  private follow(subscription: Subscription, client: PacedClient): Promise<Follower> {
    const { decoder } = this.context;
    return followTopics(this.context.kafka, {
      ...followOptions(this.context, subscription.topics, followStart(subscription, this.context.topics)),
      async onMessages(topic, partition, messages) {
        const role = decoder.roleOf(topic);
        if (!role) return;
        for (const message of messages) {
          if (!client.current()) return;
          const record = await decoder.decode(role, topic, partition, message);
          if (wants(subscription, record)) client.take(record);
          await client.room();
        }
      },
    });
  }
}

function followOptions(context: ReaderContext, roles: readonly TapRole[], from: FollowStart) {
  return {
    topics: roles.map((role) => context.topics[role]),
    from,
    ...(context.stallMs ? { stallMs: context.stallMs } : {}),
    log: context.log,
  };
}

function followStart(subscription: Subscription, topics: Topics): FollowStart {
  const from = subscription.from;
  if (from === 'now') return 'latest';
  if (from === 'earliest') return 'earliest';
  if ('timestamp' in from) return { timestamp: from.timestamp };
  const positions: Positions = {};
  for (const [role, byPartition] of Object.entries(from.offsets) as [TapRole, Record<string, string>][]) {
    positions[topics[role]] = Object.fromEntries(Object.entries(byPartition).map(([p, o]) => [Number(p), o]));
  }
  return positions;
}
