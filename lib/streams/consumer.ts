// The group consumer of a stream runtime: read_committed, no auto-commit (offsets commit inside
// each partition's transaction), and offsets resolved only for records a task has taken.

import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from '../log.ts';

export interface ConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  sessionTimeoutMs: number;
  log: Logger;
}

export interface ConsumerHandlers {
  /** The group gave this member these partitions of the topic (its whole assignment). */
  onAssigned(partitions: Set<number>): void;
  /** kafkajs gave up on the consumer without restarting it. */
  onDead(): void;
  onBatch(consumer: Consumer, payload: EachBatchPayload): Promise<void>;
}

/** Creates and connects the consumer, subscribed to the topic; fetchBatches starts it. */
export async function connectConsumer(
  options: ConsumerOptions,
  handlers: ConsumerHandlers,
): Promise<Consumer> {
  const { kafka, groupId, topic, sessionTimeoutMs, log } = options;
  const consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    sessionTimeout: sessionTimeoutMs,
    heartbeatInterval: Math.max(500, Math.floor(sessionTimeoutMs / 10)),
    // While a rebalance waits, a crashed member is dropped only after the rebalance timeout (not
    // its session timeout), so this bounds how long a crash stalls the group. Members rejoin
    // quickly here: a batch is only placed into state, never waits for inference.
    rebalanceTimeout: Math.max(10_000, 2 * sessionTimeoutMs),
    maxWaitTimeInMs: 200,
    retry: { retries: 10 },
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    handlers.onAssigned(new Set(payload.memberAssignment[topic] ?? []));
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    log.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
    if (!payload.restart) handlers.onDead();
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  return consumer;
}

/** Starts fetching. Separate from connectConsumer so the runtime holds the consumer before batches arrive. */
export function fetchBatches(consumer: Consumer, handlers: ConsumerHandlers): Promise<void> {
  return consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 64,
    // Offsets are resolved only for records a task has taken: a batch returned untouched (its
    // partition not started yet, a rebalance pending) is fetched again instead of skipped.
    eachBatchAutoResolve: false,
    eachBatch: (payload) => handlers.onBatch(consumer, payload),
  });
}
