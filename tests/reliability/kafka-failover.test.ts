// What a leader failover does to a producer mid-send, on the suite's three-node cluster.
//
// kafkajs sends one produce request per leader and, when some fail, retries after refreshing its
// metadata. It remembered which *brokers* had answered, not which partitions: when a partition's
// leadership moved to a broker that had already acknowledged other partitions of the same send, that
// partition's records were never sent again, and the send resolved as if they had been written. In
// a transaction that commits half of what belongs together (found by the chaos run: a chain's last
// round lost while the state that deleted the chain committed). patches/kafkajs+2.2.4.patch tracks
// acknowledgements per partition; this test fails without it.

import { randomUUID } from 'node:crypto';
import { type Admin, ConfigResourceTypes, type Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Endpoints, loadEndpoints } from '../../lib/endpoints.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { createTopics, topicsFor, waitForLeaders } from '../../lib/topics.ts';
import { kafkaNodeList } from '../../stack/components.ts';
import type { StackConfig } from '../../stack/config.ts';
import { pauseComponent } from '../../stack/stack.ts';
import { readCommitted } from '../helpers/read-topic.ts';
import { nodeName } from './broker-faults.ts';
import { awaitFullyReplicated, partitionMetadata } from './cluster.ts';
import { simArgs } from './params.ts';
import { privateStackConfig } from './private-stack.ts';

let endpoints: Endpoints;
let cfg: StackConfig;
let kafka: Kafka;
let admin: Admin;

beforeAll(async () => {
  process.env.IPT_ENDPOINTS = inject('reliabilityEndpoints');
  endpoints = loadEndpoints();
  cfg = privateStackConfig(inject('reliabilityStack'), simArgs());
  kafka = kafkaClient('ipt-reliability-failover', endpoints.kafka.brokers);
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
});

const nameOf = (id: number) => nodeName(cfg, id);

/** The topic's effective min.insync.replicas; asked again while the answering broker has not heard of the topic yet. */
async function minInsyncReplicas(topic: string): Promise<string | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
      });
      return resources[0]?.configEntries[0]?.configValue;
    } catch (error) {
      if (attempt >= 20 || (error as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

describe('pipeline topics on the cluster', () => {
  it('are created with three replicas and min.insync.replicas 2, and the call returns once they have leaders', async () => {
    // kafkajs's own wait (createTopics waitForLeaders) failed here about every other call: it asks one
    // broker, which may not have heard of the topic yet (UNKNOWN_TOPIC_OR_PARTITION), and gives up.
    for (let i = 0; i < 5; i++) {
      const topics = topicsFor(`cluster-${randomUUID().slice(0, 8)}`);
      expect(await createTopics(admin, 2, topics)).toHaveLength(Object.keys(topics).length);
      for (const { partitions } of await partitionMetadata(admin, Object.values(topics))) {
        for (const p of partitions) {
          expect(p.leader).toBeGreaterThan(0);
          expect(p.replicas).toHaveLength(3);
        }
      }
      expect(await minInsyncReplicas(topics.raw)).toBe('2');
      await admin.deleteTopics({ topics: Object.values(topics) });
    }
  });
});

describe('a send across a leader failover', () => {
  it('writes every partition once its leader moves to a broker that already acknowledged the send', async () => {
    const [a, b, c] = kafkaNodeList(cfg).map((n) => n.id) as [number, number, number];
    const topic = `failover-${randomUUID().slice(0, 8)}`;
    // Partition 0 is led by A; partition 1 is led by B with A its only other replica, so when B dies
    // its leadership can only move to A — the broker that answers for partition 0. (Kafka wants the
    // same replica count for every partition of a hand-placed topic.)
    await admin.createTopics({
      waitForLeaders: false, // kafkajs's wait trips over brokers that have not heard of the topic yet
      topics: [
        {
          topic,
          replicaAssignment: [
            { partition: 0, replicas: [a, c] },
            { partition: 1, replicas: [b, a] },
          ],
          configEntries: [{ name: 'min.insync.replicas', value: '1' }],
        },
      ],
    });
    await waitForLeaders(admin, [topic]);
    const [metadata] = await partitionMetadata(admin, [topic]);
    const leaders = metadata?.partitions.map((p) => `${p.partitionId}@${p.leader}`).sort();
    expect(leaders).toEqual([`0@${a}`, `1@${b}`]);

    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    try {
      // Warm up: the producer knows both leaders and holds connections to them.
      await producer.send({
        topic,
        acks: -1,
        messages: [
          { partition: 0, value: 'warm-0' },
          { partition: 1, value: 'warm-1' },
        ],
      });
      // Frozen, not killed: its connection stays open, so the send's request to it is written and hangs
      // (as with a hung broker) while A answers at once; by the time that request times out, the
      // controller has fenced B and moved partition 1 to A.
      pauseComponent(cfg, nameOf(b), true);
      await producer.send({
        topic,
        acks: -1,
        messages: [
          { partition: 0, value: 'after-0' },
          { partition: 1, value: 'after-1' },
        ],
      });
    } finally {
      await producer.disconnect();
      pauseComponent(cfg, nameOf(b), false);
      await awaitFullyReplicated(admin, { timeoutMs: 120_000 });
    }

    const written = (await readCommitted(kafka, topic)).map((r) => `${r.partition}:${r.value?.toString()}`);
    expect(written.sort()).toEqual(['0:after-0', '0:warm-0', '1:after-1', '1:warm-1']);
    await admin.deleteTopics({ topics: [topic] });
  });
});
