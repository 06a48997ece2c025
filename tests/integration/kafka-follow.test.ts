// followTopics: live reading of every partition from a start position, exactly once per record in
// offset order, across consumer replacements and transactions (aborted records never delivered).

import { randomUUID } from 'node:crypto';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { type Follower, type FollowStart, followTopics } from '../../lib/kafka/follow-topics.ts';

const kafka = new Kafka({
  clientId: 'ipt-test-follow',
  brokers: loadEndpoints().kafka.brokers,
  logLevel: logLevel.ERROR,
});
const suffix = randomUUID().slice(0, 8);
const topicA = `test.follow.a.${suffix}`;
const topicB = `test.follow.b.${suffix}`;
let admin: Admin;

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [topicA, topicB].map((topic) => ({ topic, numPartitions: 2 })),
    waitForLeaders: true,
  });
});

afterAll(async () => {
  await admin.deleteTopics({ topics: [topicA, topicB] }).catch(() => {});
  await admin.disconnect();
});

async function produce(topic: string, values: string[], partition?: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: values.map((value, i) => ({ value, partition: partition ?? i % 2 })),
  });
  await producer.disconnect();
}

interface Seen {
  topic: string;
  partition: number;
  offset: bigint;
  value: string;
}

async function follow(from: FollowStart, stallMs?: number): Promise<{ follower: Follower; seen: Seen[] }> {
  const seen: Seen[] = [];
  const follower = await followTopics(kafka, {
    topics: [topicA, topicB],
    from,
    stallMs,
    onMessages: (topic, partition, messages) => {
      for (const m of messages)
        seen.push({ topic, partition, offset: BigInt(m.offset), value: String(m.value) });
    },
  });
  return { follower, seen };
}

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every partition's offsets strictly increasing: nothing delivered twice or out of order. */
function inOffsetOrder(seen: Seen[]): boolean {
  const last = new Map<string, bigint>();
  for (const s of seen) {
    const k = `${s.topic}/${s.partition}`;
    if ((last.get(k) ?? -1n) >= s.offset) return false;
    last.set(k, s.offset);
  }
  return true;
}

describe('followTopics', () => {
  it('from earliest: the old records, then new ones, each once, in offset order', async () => {
    await produce(topicA, ['a0', 'a1', 'a2', 'a3']);
    const { follower, seen } = await follow('earliest');
    try {
      await until(() => seen.length >= 4, 'the old records');
      await produce(topicB, ['b0', 'b1']);
      await until(() => seen.length >= 6, 'the new records');
      await new Promise((r) => setTimeout(r, 1000));
      expect(seen.map((s) => s.value).sort()).toEqual(['a0', 'a1', 'a2', 'a3', 'b0', 'b1']);
      expect(inOffsetOrder(seen)).toBe(true);
      expect(follower.positions()[topicA]).toEqual({ 0: '2', 1: '2' });
    } finally {
      await follower.stop();
    }
  });

  it('from latest and from explicit offsets: nothing before the start', async () => {
    const latest = await follow('latest');
    const explicit = await follow({ [topicA]: { 0: '1' } });
    try {
      await produce(topicA, ['later0', 'later1']);
      await until(() => latest.seen.length >= 2, 'records written after the start');
      await until(() => explicit.seen.length >= 3, 'records from offset 1 of partition 0');
      await new Promise((r) => setTimeout(r, 1000));
      expect(latest.seen.map((s) => s.value).sort()).toEqual(['later0', 'later1']);
      // partition 0 from offset 1 (a2, later0); partition 1 and topic B from their end (later1)
      expect(explicit.seen.map((s) => s.value).sort()).toEqual(['a2', 'later0', 'later1']);
    } finally {
      await latest.follower.stop();
      await explicit.follower.stop();
    }
  });

  it('never delivers aborted records, and committed ones once', async () => {
    const { follower, seen } = await follow('latest');
    try {
      const producer = kafka.producer({
        transactionalId: `test-follow-${suffix}`,
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await producer.connect();
      const aborted = await producer.transaction();
      await aborted.send({ topic: topicB, messages: [{ value: 'aborted', partition: 0 }] });
      await aborted.abort();
      const committed = await producer.transaction();
      await committed.send({ topic: topicB, messages: [{ value: 'committed', partition: 0 }] });
      await committed.commit();
      await producer.disconnect();
      await until(() => seen.length >= 1, 'the committed record');
      await new Promise((r) => setTimeout(r, 1000));
      expect(seen.map((s) => s.value)).toEqual(['committed']);
    } finally {
      await follower.stop();
    }
  });

  it('a delivery that throws stops following and says why, delivering nothing after it', async () => {
    const seen: string[] = [];
    const follower = await followTopics(kafka, {
      topics: [topicB],
      from: 'latest',
      onMessages: (_topic, _partition, messages) => {
        for (const m of messages) {
          if (String(m.value) === 'poison') throw new Error('cannot take poison');
          seen.push(String(m.value));
        }
      },
    });
    try {
      await produce(topicB, ['ok-1', 'poison'], 1);
      await until(() => follower.failure() !== undefined, 'the failure');
      await produce(topicB, ['after'], 1);
      await new Promise((r) => setTimeout(r, 1500));
      expect(follower.failure()?.message).toBe('cannot take poison');
      expect(seen).toEqual(['ok-1']);
    } finally {
      await follower.stop();
    }
  });

  it('a replaced consumer resumes where delivery had got to: nothing lost, nothing twice', async () => {
    // stallMs 1: the watchdog replaces the consumer every half second, while records keep coming.
    const { follower, seen } = await follow('latest', 1);
    try {
      const values: string[] = [];
      for (let round = 0; round < 8; round++) {
        const batch = Array.from({ length: 25 }, (_, i) => `churn-${round}-${i}`);
        values.push(...batch);
        await produce(round % 2 ? topicA : topicB, batch);
        await new Promise((r) => setTimeout(r, 400));
      }
      await until(() => seen.length >= values.length, 'every record across replacements', 60_000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(seen.map((s) => s.value).sort()).toEqual(values.sort());
      expect(inOffsetOrder(seen)).toBe(true);
      expect(follower.replacements()).toBeGreaterThanOrEqual(3);
    } finally {
      await follower.stop();
    }
  });
});
