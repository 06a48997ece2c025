// The chaos run's cluster probes and commit clock against the real stack (one broker in the dev stack;
// the assertions hold for any number of brokers).

import { randomUUID } from 'node:crypto';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { waitForLeaders } from '../../lib/topics.ts';
import {
  groupCoordinatorNode,
  isrExcludes,
  leaderCounts,
  mostLeadersNode,
  transactionCoordinatorNode,
  transactionCoordinatorNodes,
  underReplicated,
} from '../reliability/cluster.ts';
import { CommitClock } from '../reliability/commit-clock.ts';

const kafka = new Kafka({
  clientId: 'ipt-test',
  brokers: loadEndpoints().kafka.brokers,
  logLevel: logLevel.ERROR,
});
const suffix = randomUUID().slice(0, 8);
const topic = `test.chaos-cluster.${suffix}`;
const transactionalId = `test-chaos-cluster-${suffix}`;
let admin: Admin;
let nodes: number[];

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  nodes = (await admin.describeCluster()).brokers.map((b) => b.nodeId);
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: false });
  await waitForLeaders(admin, [topic]);
});

afterAll(async () => {
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
});

describe('cluster probes', () => {
  it("counts a fresh topic's partitions by leader, all in sync", async () => {
    const counts = await leaderCounts(admin, [topic]);
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(3);
    for (const node of counts.keys()) expect(nodes).toContain(node);
    expect(nodes).toContain(await mostLeadersNode(admin, [topic]));
    expect(await underReplicated(admin, [topic])).toEqual([]);
    for (const node of nodes) expect(await isrExcludes(admin, node, [topic])).toBe(0);
  });

  it('finds the coordinators of a group and of a transactional id among the brokers', async () => {
    const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const tx = await producer.transaction();
    await tx.send({ topic, messages: [{ key: 'k', value: 'v' }] });
    await tx.commit();
    await producer.disconnect();

    expect(nodes).toContain(await transactionCoordinatorNode(admin, transactionalId));
    const counts = await transactionCoordinatorNodes(admin, [transactionalId, `${transactionalId}.b`]);
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(2);
    // __consumer_offsets exists once any group has been used (the stack's own tests and services do).
    expect(nodes).toContain(await groupCoordinatorNode(admin, `test-chaos-group-${suffix}`));
  });

  it('every partition of every topic, internal ones included, is in sync on a healthy stack', async () => {
    const short = await underReplicated(admin);
    expect(short.filter((p) => p.topic === topic)).toEqual([]);
  });
});

describe('CommitClock', () => {
  it('notes committed records with their own timestamps, and none of an aborted transaction', async () => {
    const before = Date.now();
    const producer = kafka.producer({ transactionalId: `${transactionalId}.clock`, idempotent: true });
    await producer.connect();
    const committed = await producer.transaction();
    await committed.send({ topic, messages: [1, 2, 3, 4].map((i) => ({ key: `c${i}`, value: 'x' })) });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ key: 'a', value: 'x' }] });
    await aborted.abort();
    await producer.disconnect();

    const clock = await CommitClock.start(kafka, [topic]);
    try {
      // 1 record from the coordinator test plus the 4 committed here.
      const deadline = Date.now() + 20_000;
      while (clock.count(topic) < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 1_000));
      expect(clock.count(topic)).toBe(5);
      const recovery = clock.recoveryMs([topic], before);
      expect(recovery).toBeGreaterThanOrEqual(0);
      expect(clock.recoveryMs([topic], Date.now() + 1)).toBeUndefined();
      expect(clock.rate(topic, before, Date.now() + 1)).toBeGreaterThan(0);
    } finally {
      await clock.stop();
    }
  });
});
