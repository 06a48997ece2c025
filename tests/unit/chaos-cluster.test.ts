import type { PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { synthGroupId } from '../../services/synth/topology.ts';
import {
  busiestNode,
  coordinatorCounts,
  coordinatorPartition,
  groupCoordinatorNode,
  isrExcludes,
  javaStringHashCode,
  kafkaAbs,
  leaderCounts,
  type MetadataAdmin,
  mostLeadersNode,
  transactionalIdsFor,
  transactionCoordinatorNode,
  transactionCoordinatorNodes,
  underReplicated,
} from '../reliability/cluster.ts';
import { observe, rate, recoveryMs, type TopicTimes } from '../reliability/commit-clock.ts';

// Reference values printed by Java 17's String.hashCode (and Kafka's Utils.abs(h) % n).
const JAVA: [string, number, number][] = [
  // [string, hashCode, partition of 50]
  ['', 0, 0],
  ['hello', 99162322, 22],
  ['polygenelubricants', -2147483648, 0],
  ['GydZG_', -2147483648, 0],
  ['héllo wörld', 1628148953, 3],
  ['日本語', 25921943, 43],
  ['😀', 1772899, 49],
  ['a😀b', 57849694, 44],
  ['ipt-synth-xyz.ns.ipt.docs.raw.3', 1668656030, 30],
  ['ipt-synth-run42.ipt.docs.raw.0', 122365102, 2],
  ['ipt-assemble.run42', -1526307635, 35],
  ['ipt-assemble', -151516302, 2],
  ['ipt-synth-abc', -723840847, 47],
];

describe('javaStringHashCode', () => {
  it.each(JAVA)('%j hashes as in Java', (s, hash) => {
    expect(javaStringHashCode(s)).toBe(hash);
  });
});

describe('coordinatorPartition', () => {
  it.each(JAVA)('%j maps to the partition Kafka computes', (s, _hash, partition) => {
    expect(coordinatorPartition(s, 50)).toBe(partition);
  });

  it('maps Integer.MIN_VALUE to 0, not to a negative remainder', () => {
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(coordinatorPartition('polygenelubricants', 7)).toBe(0);
  });

  it('uses the absolute value, not the low 31 bits, for negative hashes', () => {
    // (-151516302 & 0x7fffffff) % 50 would be 46.
    expect(coordinatorPartition('ipt-assemble', 50)).toBe(2);
    expect(coordinatorPartition('ipt-assemble.run42', 7)).toBe(1526307635 % 7);
  });

  it('refuses a partition count that is not a positive integer', () => {
    expect(() => coordinatorPartition('x', 0)).toThrow(RangeError);
    expect(() => coordinatorPartition('x', 2.5)).toThrow(RangeError);
  });
});

const part = (
  partitionId: number,
  leader: number,
  replicas: number[],
  isr = replicas,
): PartitionMetadata => ({
  partitionErrorCode: 0,
  partitionId,
  leader,
  replicas,
  isr,
});

/** An Admin stand-in answering Metadata from a fixed table; no topics named → every topic. */
function fakeAdmin(table: Record<string, PartitionMetadata[]>): MetadataAdmin {
  return {
    fetchTopicMetadata: async (request) => {
      const names = request?.topics?.length ? request.topics : Object.keys(table);
      return {
        topics: names.filter((n) => n in table).map((name) => ({ name, partitions: table[name] ?? [] })),
      };
    },
  };
}

/** 50 internal partitions led round-robin by nodes 1..3. */
const internal = Array.from({ length: 50 }, (_, p) => part(p, (p % 3) + 1, [1, 2, 3]));

describe('coordinators', () => {
  const admin = fakeAdmin({ __consumer_offsets: internal, __transaction_state: internal });

  it('finds the leader of the hashed partition', async () => {
    // 'hello' → partition 22 → node 22 % 3 + 1 = 2; 'ipt-assemble' → 2 → node 3.
    expect(await groupCoordinatorNode(admin, 'hello')).toBe(2);
    expect(await transactionCoordinatorNode(admin, 'ipt-assemble')).toBe(3);
  });

  it('counts the transactional ids each node coordinates', async () => {
    const ids = transactionalIdsFor(synthGroupId('run42'), 'ipt.docs.raw', 6);
    expect(ids[3]).toBe('ipt-synth.run42.ipt.docs.raw.3');
    const counts = await transactionCoordinatorNodes(admin, ids);
    const expected = new Map<number, number>();
    for (const id of ids) {
      const node = (coordinatorPartition(id, 50) % 3) + 1;
      expected.set(node, (expected.get(node) ?? 0) + 1);
    }
    expect(counts).toEqual(expected);
  });

  it('reports -1 for a key whose partition has no leader', () => {
    const leaderless = internal.map((p) => (p.partitionId === 22 ? { ...p, leader: -1 } : p));
    expect(coordinatorCounts(leaderless, ['hello', 'hello'])).toEqual(new Map([[-1, 2]]));
  });

  it('fails clearly before the internal topic exists', async () => {
    await expect(transactionCoordinatorNode(fakeAdmin({}), 'x')).rejects.toThrow(/__transaction_state/);
  });
});

describe('leaders and replication', () => {
  const admin = fakeAdmin({
    a: [part(0, 1, [1, 2, 3]), part(1, 2, [2, 3, 1]), part(2, 2, [2, 1, 3], [2, 1])],
    b: [part(0, 3, [3, 1, 2]), part(1, -1, [1, 2, 3], [1])],
    __consumer_offsets: [part(0, 1, [1, 2, 3], [1, 3])],
  });

  it('counts leaders per node, leaving out leaderless partitions', async () => {
    expect(await leaderCounts(admin, ['a', 'b'])).toEqual(
      new Map([
        [1, 1],
        [2, 2],
        [3, 1],
      ]),
    );
    expect(await mostLeadersNode(admin, ['a', 'b'])).toBe(2);
    expect(await mostLeadersNode(admin, ['b'])).toBe(3);
  });

  it('breaks ties by the lowest node id and ignores -1', () => {
    expect(
      busiestNode(
        new Map([
          [3, 2],
          [-1, 9],
          [2, 2],
        ]),
      ),
    ).toBe(2);
    expect(busiestNode(new Map())).toBeUndefined();
  });

  it('lists under-replicated partitions of every topic, internal ones included', async () => {
    expect(await underReplicated(admin)).toEqual([
      { topic: 'a', partition: 2, leader: 2, replicas: [2, 1, 3], isr: [2, 1] },
      { topic: 'b', partition: 1, leader: -1, replicas: [1, 2, 3], isr: [1] },
      { topic: '__consumer_offsets', partition: 0, leader: 1, replicas: [1, 2, 3], isr: [1, 3] },
    ]);
    expect(await underReplicated(admin, ['a'])).toHaveLength(1);
  });

  it('counts the partitions that have a node outside their ISR', async () => {
    expect(await isrExcludes(admin, 3, ['a', 'b'])).toBe(2);
    expect(await isrExcludes(admin, 2)).toBe(2);
    expect(await isrExcludes(admin, 1, ['a'])).toBe(0);
  });
});

describe('recoveryMs', () => {
  const obs = (rows: [string, number, number][]): Map<string, TopicTimes> => {
    const out = new Map<string, TopicTimes>();
    for (const [topic, seenAt, createdAt] of rows) observe(out, topic, seenAt, createdAt);
    return out;
  };

  it('takes, per topic, the first record produced and seen after the fault, then the slowest topic', () => {
    const o = obs([
      ['rounds', 900, 800],
      ['rounds', 1_500, 1_200],
      ['augmented', 2_000, 1_900],
      ['rounds', 3_000, 2_500],
      ['augmented', 4_000, 3_900],
    ]);
    expect(recoveryMs(o, ['rounds'], 1_000)).toBe(500);
    expect(recoveryMs(o, ['rounds', 'augmented'], 1_000)).toBe(1_000);
  });

  it('does not count a record committed after the fault but produced before it', () => {
    // A transaction written before the fault and committed after it.
    const o = obs([
      ['rounds', 1_100, 950],
      ['rounds', 1_800, 990],
      ['rounds', 2_600, 1_300],
    ]);
    expect(recoveryMs(o, ['rounds'], 1_000)).toBe(1_600);
  });

  it('is undefined while some topic has no such record, or when no topic is named', () => {
    const o = obs([['rounds', 2_000, 1_500]]);
    expect(recoveryMs(o, ['rounds', 'augmented'], 1_000)).toBeUndefined();
    expect(recoveryMs(o, ['rounds'], 2_500)).toBeUndefined();
    expect(recoveryMs(o, [], 1_000)).toBeUndefined();
  });

  it('counts a record seen exactly at the fault moment', () => {
    expect(recoveryMs(obs([['rounds', 1_000, 1_000]]), ['rounds'], 1_000)).toBe(0);
  });
});

describe('rate', () => {
  const o = new Map<string, TopicTimes>();
  for (let t = 0; t < 10_000; t += 100) observe(o, 'raw', t, t);

  it('is records per second seen in [from, to)', () => {
    expect(rate(o, 'raw', 0, 10_000)).toBe(10);
    expect(rate(o, 'raw', 1_000, 3_000)).toBe(10);
    expect(rate(o, 'raw', 9_950, 10_950)).toBe(0);
    expect(rate(o, 'raw', 50, 250)).toBe(10);
    expect(rate(o, 'raw', 50, 450)).toBe(10);
    expect(rate(o, 'raw', 0, 50)).toBe(20);
  });

  it('is 0 for an unknown topic or an empty window', () => {
    expect(rate(o, 'other', 0, 10_000)).toBe(0);
    expect(rate(o, 'raw', 5_000, 5_000)).toBe(0);
  });
});
