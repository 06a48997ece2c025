import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { avroCodec, registryClient } from '../../lib/registry.ts';

export interface TopicRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
}

/**
 * Every committed record of a topic from the beginning to its end offsets now (read_committed), in
 * partition/offset order. The end is the LSO, so open transactions neither stall nor leak in.
 */
export async function readCommitted(kafka: Kafka, topic: string, timeoutMs = 60_000): Promise<TopicRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(
    ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]),
  );
  const out: TopicRecord[] = [];
  if (remaining.size === 0) return out;
  const consumer = kafka.consumer({
    groupId: `test-read-${randomUUID()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`reading ${topic} timed out; left: ${[...remaining.keys()]}`)),
      timeoutMs,
    );
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const end = remaining.get(payload.partition);
      if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end) remaining.delete(payload.partition);
      if (remaining.size === 0) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const end = ends.find((e) => e.partition === batch.partition);
      for (const m of batch.messages as KafkaMessage[]) {
        if (end && BigInt(m.offset) >= BigInt(end.high)) break;
        out.push({
          partition: batch.partition,
          offset: m.offset,
          key: m.key?.toString() ?? null,
          value: m.value,
        });
      }
    },
  });
  try {
    await done;
  } finally {
    await consumer.disconnect();
  }
  return out.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

/** Every committed record of a topic, decoded with the registry's Avro schema for it. */
export async function readDecoded<T>(kafka: Kafka, registryUrl: string, topic: string): Promise<T[]> {
  const codec = await avroCodec<T>(registryClient(registryUrl), topic);
  return Promise.all((await readCommitted(kafka, topic)).map((r) => codec.decode(r.value as Buffer)));
}
