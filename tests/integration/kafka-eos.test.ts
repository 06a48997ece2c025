import { randomUUID } from 'node:crypto';
import {
  type Admin,
  Kafka,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  logLevel,
  type Producer,
} from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { restorePartition } from '../../lib/kafka/changelog.ts';
import {
  FencedError,
  isFencedError,
  PartitionTransactions,
  transactionalIdFor,
} from '../../lib/kafka/partition-transactions.ts';

const kafka = new Kafka({
  clientId: 'ipt-test-eos',
  brokers: loadEndpoints().kafka.brokers,
  logLevel: logLevel.NOTHING,
});
let admin: Admin;
const suffix = randomUUID().slice(0, 8);
const input = `test.eos.in.${suffix}`;
const output = `test.eos.out.${suffix}`;
const changelog = `test.eos.state.${suffix}`;
const restoreLog = `test.eos.restore.${suffix}`;
const topics = [input, output, changelog, restoreLog];

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: input, numPartitions: 2 },
      { topic: output, numPartitions: 1 },
      { topic: changelog, numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      { topic: restoreLog, numPartitions: 3, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ],
    waitForLeaders: true,
  });
});

afterAll(async () => {
  await admin.deleteTopics({ topics }).catch(() => {});
  await admin.disconnect();
});

/** What a read_committed reader sees of a whole topic, lingering past `expected` so leaks show. */
async function readCommitted(
  topic: string,
  expected: number,
): Promise<Array<{ key: string; value: string }>> {
  const consumer = kafka.consumer({ groupId: `test-reader-${randomUUID()}`, maxWaitTimeInMs: 250 });
  const seen: Array<{ key: string; value: string }> = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) =>
      void seen.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' }),
  });
  const deadline = Date.now() + 10_000;
  while (seen.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 1000));
  await consumer.disconnect();
  return seen;
}

async function groupOffset(groupId: string, partition: number): Promise<string | undefined> {
  const offsets = await admin.fetchOffsets({ groupId, topics: [input] });
  return offsets[0]?.partitions.find((p) => p.partition === partition)?.offset;
}

/** Markers land after EndTxn returns: wait until the partition's log end offset reaches `high`. */
async function waitForEnd(topic: string, partition: number, high: number): Promise<void> {
  await expect
    .poll(async () => (await admin.fetchTopicOffsets(topic)).find((o) => o.partition === partition)?.high, {
      timeout: 10_000,
      interval: 50,
    })
    .toBe(String(high));
}

function deferred<T = void>() {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('PartitionTransactions', () => {
  it('derives the transactional id from group, topic and partition', () => {
    expect(transactionalIdFor('ipt-synth', 'ipt.docs.raw', 3)).toBe('ipt-synth.ipt.docs.raw.3');
    expect(new PartitionTransactions(kafka, { groupId: 'g', topic: 't' }).transactionalId(7)).toBe('g.t.7');
  });

  it('recognises fencing through kafkajs wrappers, and nothing else', () => {
    const epoch = new KafkaJSProtocolError({
      type: 'INVALID_PRODUCER_EPOCH',
      code: 47,
      message: 'Producer attempted an operation with an old epoch. Either …',
    } as never);
    expect(isFencedError(epoch)).toBe(true);
    expect(isFencedError(new KafkaJSNonRetriableError(epoch))).toBe(true);
    expect(isFencedError(new KafkaJSNumberOfRetriesExceeded(epoch, { retryCount: 5, retryTime: 1 }))).toBe(
      true,
    );
    expect(isFencedError(new Error('Unknown error code 90'))).toBe(true);
    expect(isFencedError({ errors: [new Error('x'), epoch] })).toBe(true);
    const other = new KafkaJSProtocolError({
      type: 'INVALID_TXN_STATE',
      code: 48,
      message: 'state',
    } as never);
    expect(isFencedError(other)).toBe(false);
    expect(isFencedError(new Error('Unknown error code 900'))).toBe(false);
  });

  it('commits outputs, changelog records and the group offset together (read_committed)', async () => {
    const groupId = `test-eos-a-${suffix}`;
    const txs = new PartitionTransactions(kafka, { groupId, topic: input });
    await txs.open(1);
    expect(txs.isOpen(1)).toBe(true);
    await txs.commit(1, {
      messages: [
        {
          topic: output,
          messages: [
            { key: 'c1', value: 'round-1' },
            { key: 'c2', value: 'round-1' },
          ],
        },
        { topic: changelog, messages: [{ key: 'chain:c1', value: 'open', partition: 1 }] },
      ],
      offsets: { topic: input, partition: 1, offset: '3' },
    });
    await txs.commit(1, {
      messages: [
        { topic: output, messages: [{ key: 'c1', value: 'round-2' }] },
        { topic: changelog, messages: [{ key: 'chain:c1', value: null, partition: 1 }] },
        { topic: changelog, messages: [{ key: 'chain:c2', value: 'open', partition: 1 }] },
      ],
      offsets: { topic: input, partition: 1, offset: '5' },
    });
    await txs.close(1);
    expect(txs.isOpen(1)).toBe(false);

    // Markers (in the output, the changelog and __consumer_offsets) land after EndTxn returns. The next
    // owner's open() waits for them (InitProducerId answers CONCURRENT_TRANSACTIONS until the previous
    // transaction is complete), so offsets and changelog read right after it are current.
    const next = new PartitionTransactions(kafka, { groupId, topic: input });
    await next.open(1);
    expect(await groupOffset(groupId, 1)).toBe('5');
    expect(await groupOffset(groupId, 0)).toBe('-1');
    expect((await readCommitted(output, 3)).map((r) => `${r.key}=${r.value}`)).toEqual([
      'c1=round-1',
      'c2=round-1',
      'c1=round-2',
    ]);
    const restored = await restorePartition(kafka, changelog, 1, { timeoutMs: 15_000 });
    expect(Object.fromEntries([...restored.state].map(([k, v]) => [k, v.toString()]))).toEqual({
      'chain:c2': 'open',
    });
    await next.close(1);
  });

  it('fences a zombie: its open transaction is aborted and its commit fails with FencedError', async () => {
    const groupId = `test-eos-b-${suffix}`;
    // Producer A is a zombie: its commit stalls after the records are sent, the transaction still open.
    const sent = deferred();
    const release = deferred();
    const stalling = {
      producer: (config: Parameters<Kafka['producer']>[0]) => {
        const producer: Producer = kafka.producer(config);
        const transaction = producer.transaction.bind(producer);
        producer.transaction = async () => {
          const tx = await transaction();
          const sendOffsets = tx.sendOffsets.bind(tx);
          tx.sendOffsets = async (offsets) => {
            sent.resolve();
            await release.promise;
            return sendOffsets(offsets);
          };
          return tx;
        };
        return producer;
      },
    } as unknown as Kafka;
    const zombie = new PartitionTransactions(stalling, { groupId, topic: input });
    const successor = new PartitionTransactions(kafka, { groupId, topic: input });
    expect(zombie.transactionalId(0)).toBe(successor.transactionalId(0));

    await zombie.open(0);
    const zombieCommit = zombie.commit(0, {
      messages: [
        { topic: output, messages: [{ key: 'z', value: 'zombie-output' }] },
        { topic: changelog, messages: [{ key: 'z', value: 'zombie-state', partition: 0 }] },
      ],
      offsets: { topic: input, partition: 0, offset: '10' },
    });
    const zombieResult = zombieCommit.then(
      () => 'committed',
      (error: unknown) => error,
    );
    await sent.promise;

    // B takes over the partition: InitProducerId bumps the epoch and aborts A's open transaction.
    await successor.open(0);
    release.resolve();
    const error = await zombieResult;
    expect(error).toBeInstanceOf(FencedError);
    expect((error as FencedError).partition).toBe(0);
    expect(zombie.isOpen(0)).toBe(false);

    await successor.commit(0, {
      messages: [
        { topic: output, messages: [{ key: 'b', value: 'successor-output' }] },
        { topic: changelog, messages: [{ key: 'b', value: 'successor-state', partition: 0 }] },
      ],
      offsets: { topic: input, partition: 0, offset: '7' },
    });
    await successor.closeAll();

    await expect.poll(() => groupOffset(groupId, 0), { timeout: 5_000, interval: 50 }).toBe('7');
    const outputs = (await readCommitted(output, 4)).map((r) => r.value);
    expect(outputs).toContain('successor-output');
    expect(outputs).not.toContain('zombie-output');
    const restored = await restorePartition(kafka, changelog, 0, { timeoutMs: 15_000 });
    expect(Object.fromEntries([...restored.state].map(([k, v]) => [k, v.toString()]))).toEqual({
      b: 'successor-state',
    });
  });

  it('rejects a commit on a partition that is not open', async () => {
    const txs = new PartitionTransactions(kafka, { groupId: `test-eos-c-${suffix}`, topic: input });
    await expect(
      txs.commit(0, { messages: [], offsets: { topic: input, partition: 0, offset: '1' } }),
    ).rejects.toThrow(/not open/);
  });
});

describe('restorePartition', () => {
  let writer: Producer;

  beforeAll(async () => {
    writer = kafka.producer({
      transactionalId: `test-restore-${suffix}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await writer.connect();
  });

  afterAll(async () => {
    await writer.disconnect();
  });

  async function txn(
    partition: number,
    records: Array<[string, string | null]>,
    outcome: 'commit' | 'abort',
  ) {
    const tx = await writer.transaction();
    await tx.send({
      topic: restoreLog,
      messages: records.map(([key, value]) => ({ key, value, partition })),
    });
    await (outcome === 'commit' ? tx.commit() : tx.abort());
  }

  it('returns exactly the committed latest values when the partition ends in an aborted transaction', async () => {
    await txn(
      0,
      [
        ['k1', 'v1'],
        ['k2', 'v2'],
        ['k3', 'v3'],
      ],
      'commit',
    ); // offsets 0–2, marker 3
    await txn(
      0,
      [
        ['k1', 'aborted'],
        ['k4', 'aborted'],
      ],
      'abort',
    ); // 4–5, marker 6
    await txn(
      0,
      [
        ['k2', 'v2b'],
        ['k3', null],
        ['k5', 'v5'],
      ],
      'commit',
    ); // 7–9, marker 10
    // Another partition of the same changelog must not leak in.
    await txn(1, [['other', 'x']], 'commit');
    await txn(
      0,
      [
        ['k5', 'aborted'],
        ['k2', null],
        ['k6', 'aborted'],
      ],
      'abort',
    ); // 11–13, marker 14
    await waitForEnd(restoreLog, 0, 15);

    const restored = await restorePartition(kafka, restoreLog, 0, { timeoutMs: 15_000 });
    expect(Object.fromEntries([...restored.state].map(([k, v]) => [k, v.toString()]))).toEqual({
      k1: 'v1',
      k2: 'v2b',
      k5: 'v5',
    });
    expect(restored.records).toBe(6);
    expect(restored.endOffset).toBe('15');
    expect(restored.ms).toBeLessThan(10_000);
  });

  it('returns an empty map for a partition holding only an aborted transaction', async () => {
    await txn(2, [['gone', 'aborted']], 'abort'); // offset 0, marker 1
    await waitForEnd(restoreLog, 2, 2);
    const restored = await restorePartition(kafka, restoreLog, 2, { timeoutMs: 15_000 });
    expect(restored.state.size).toBe(0);
    expect(restored.records).toBe(0);
    expect(restored.ms).toBeLessThan(10_000);
  });

  it("stops at the last stable offset: another writer's open transaction neither leaks in nor stalls it", async () => {
    // Partition 1 holds other=x (offset 0, marker 1) from the first restore test.
    const other = kafka.producer({
      transactionalId: `test-restore-open-${suffix}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await other.connect();
    const open = await other.transaction();
    await open.send({ topic: restoreLog, messages: [{ key: 'pending', value: 'y', partition: 1 }] });
    try {
      const restored = await restorePartition(kafka, restoreLog, 1, { timeoutMs: 15_000 });
      expect(Object.fromEntries([...restored.state].map(([k, v]) => [k, v.toString()]))).toEqual({
        other: 'x',
      });
      expect(restored.endOffset).toBe('2');
    } finally {
      await open.abort();
      await other.disconnect();
    }
  });

  it('returns an empty map for an empty partition at once', async () => {
    // Partition 1 of the input topic is never written (only its group offsets are committed).
    const empty = await restorePartition(kafka, input, 1, { timeoutMs: 5_000 });
    expect(empty.state.size).toBe(0);
    expect(empty.endOffset).toBe('0');
    expect(empty.ms).toBeLessThan(2_000);
  });

  it('rejects a partition the topic does not have', async () => {
    await expect(restorePartition(kafka, restoreLog, 9)).rejects.toThrow(/no partition 9/);
  });
});
