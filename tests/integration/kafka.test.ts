import { randomUUID } from 'node:crypto';
import { type Admin, ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { createTopics, TOPICS } from '../../lib/topics.ts';

const kafka = new Kafka({
  clientId: 'ipt-test',
  brokers: loadEndpoints().kafka.brokers,
  logLevel: logLevel.ERROR,
});
let admin: Admin;
const suffix = randomUUID().slice(0, 8);
const input = `test.stack.in.${suffix}`;
const output = `test.stack.out.${suffix}`;

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [input, output].map((topic) => ({ topic, numPartitions: 1 })),
    waitForLeaders: true,
  });
});

afterAll(async () => {
  await admin.deleteTopics({ topics: [input, output] }).catch(() => {});
  await admin.disconnect();
});

/** Reads what a read_committed consumer sees of `topic`, until `expected` records or a timeout. */
async function readCommitted(topic: string, expected: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `test-reader-${randomUUID()}` });
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value?.toString() ?? '') });
  const deadline = Date.now() + 15_000;
  while (seen.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  // Linger a little past the expected count so an extra (leaked) record would be seen too.
  await new Promise((r) => setTimeout(r, 1500));
  await consumer.disconnect();
  return seen;
}

describe('Kafka broker (KRaft, one node)', () => {
  it('refuses to auto-create topics', async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: true, retry: { retries: 1 } });
    await producer.connect();
    await expect(
      producer.send({ topic: `test.missing.${suffix}`, messages: [{ value: 'x' }] }),
    ).rejects.toThrow();
    await producer.disconnect();
    const topics = await admin.listTopics();
    expect(topics).not.toContain(`test.missing.${suffix}`);
  });

  it('produces and consumes', async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: input,
      messages: [
        { key: 'a', value: 'first' },
        { key: 'b', value: 'second' },
      ],
    });
    await producer.disconnect();
    expect(await readCommitted(input, 2)).toEqual(['first', 'second']);
  });

  it('commits one transaction with offsets and aborts another; read_committed sees only the first', async () => {
    const groupId = `test-eos-${suffix}`;
    const producer = kafka.producer({
      transactionalId: `test-tx-${suffix}`,
      maxInFlightRequests: 1,
      idempotent: true,
    });
    await producer.connect();

    const committed = await producer.transaction();
    await committed.send({ topic: output, messages: [{ value: 'committed' }] });
    await committed.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic: input, partitions: [{ partition: 0, offset: '2' }] }],
    });
    await committed.commit();

    const aborted = await producer.transaction();
    await aborted.send({ topic: output, messages: [{ value: 'aborted' }] });
    await aborted.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic: input, partitions: [{ partition: 0, offset: '99' }] }],
    });
    await aborted.abort();
    await producer.disconnect();

    // Both records and both transaction markers are in the log (offsets 0–3)…
    // The coordinator writes markers after EndTxn returns, so wait for the end offset to settle.
    await expect
      .poll(async () => (await admin.fetchTopicOffsets(output))[0]?.high, { timeout: 10_000 })
      .toBe('4');
    // …but a read_committed consumer sees only the committed one.
    expect(await readCommitted(output, 1)).toEqual(['committed']);
    const offsets = await admin.fetchOffsets({ groupId, topics: [input] });
    expect(offsets[0]?.partitions[0]?.offset).toBe('2');
  });
});

describe('ipt topics create', () => {
  it('creates the pipeline topics with compacted changelogs, and is idempotent', async () => {
    await createTopics(admin, 4);
    expect(await createTopics(admin, 4)).toEqual([]);
    const metadata = await admin.fetchTopicMetadata({ topics: Object.values(TOPICS) });
    for (const topic of metadata.topics) expect(topic.partitions.length).toBeGreaterThanOrEqual(1);
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [TOPICS.synthState, TOPICS.raw].map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['cleanup.policy'],
      })),
    });
    const policy = (name: string) =>
      configs.resources
        .find((r) => r.resourceName === name)
        ?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue;
    expect(policy(TOPICS.synthState)).toBe('compact');
    expect(policy(TOPICS.raw)).toBe('delete');
  });
});
