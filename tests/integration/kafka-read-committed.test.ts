import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';

// Our rounds and augmented topics are written by many transactional producers at once (one per input
// partition), and crashes leave aborted transactions interleaved in them. kafkajs 2.2.4 let a
// read_committed consumer see aborted records when its fetch began after the first offsets of two
// aborted transactions (it applied one aborted-transaction entry per message); patches/ fixes that.

let kafka: Kafka;
beforeAll(() => {
  kafka = kafkaClient('test-read-committed', loadEndpoints().kafka.brokers);
});

const transactional = async (id: string) => {
  const producer = kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return producer;
};

describe('read_committed with interleaved aborted transactions (patched kafkajs)', () => {
  const producers: { disconnect(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(producers.map((p) => p.disconnect()));
  });

  it('never delivers a record of an aborted transaction, wherever the fetch starts', async () => {
    const topic = `test-aborted-${randomUUID().slice(0, 8)}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });

    const a = await transactional(`${topic}.a`);
    const b = await transactional(`${topic}.b`);
    const c = await transactional(`${topic}.c`);
    producers.push(a, b, c);
    const ta = await a.transaction();
    const tb = await b.transaction();
    await ta.send({ topic, messages: [{ value: 'aborted-a1' }] });
    await tb.send({ topic, messages: [{ value: 'aborted-b1' }] });
    await tb.send({ topic, messages: [{ value: 'aborted-b2' }] });
    await ta.send({ topic, messages: [{ value: 'aborted-a2' }] });
    await ta.abort();
    await tb.abort();
    const tc = await c.transaction();
    await tc.send({ topic, messages: [{ value: 'committed-c1' }] });
    await tc.commit();

    // Start reading at aborted-b2 (offset 2): both aborted transactions began before it.
    const groupId = `test-aborted-${randomUUID()}`;
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '2' }] });
    const end = (await admin.fetchTopicOffsets(topic))[0]?.high as string;
    await admin.disconnect();

    const seen: string[] = [];
    const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic });
    const done = new Promise<void>((resolve) => {
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (BigInt(payload.lastOffset) + 1n >= BigInt(end)) resolve();
      });
    });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        seen.push(message.value?.toString() ?? '');
      },
    });
    await done;
    await consumer.disconnect();
    expect(seen).toEqual(['committed-c1']);
  });
});
