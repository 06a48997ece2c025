// Which broker of a multi-broker cluster to fault, and whether the cluster has healed — for the chaos run.
//
// Everything here reads the brokers' own Metadata answers through a kafkajs Admin (each call sends a
// fresh Metadata request, so nothing is served from a stale cache). Coordinators are found the way the
// brokers place them: a group id or transactional id hashes to one partition of the internal topic, and
// that partition's leader is the coordinator.
//
// kafkajs fails a whole Metadata call when any named partition has no leader (LEADER_NOT_AVAILABLE,
// after its retries), e.g. a replication-factor-1 topic whose broker is down. Name the topics you care
// about where that can happen; the waiters below treat such a failure as "not healed yet".

import type { Admin, PartitionMetadata } from 'kafkajs';
import { transactionalIdFor } from '../../lib/kafka/partition-transactions.ts';

/** All these helpers need of an Admin: tests can pass a stand-in. */
export type MetadataAdmin = Pick<Admin, 'fetchTopicMetadata'>;

export const GROUP_METADATA_TOPIC = '__consumer_offsets';
export const TRANSACTION_STATE_TOPIC = '__transaction_state';

/** Java's String.hashCode: h = 31·h + c over UTF-16 code units, wrapping at 32 bits. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * Kafka's Utils.abs: like Math.abs, except that Integer.MIN_VALUE (whose negation overflows back to
 * itself in Java) maps to 0. It is not the `& 0x7fffffff` the producer's partitioner uses: the two
 * differ for every negative hash.
 */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

/** The partition of __consumer_offsets / __transaction_state that a group id / transactional id lives in. */
export function coordinatorPartition(key: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1)
    throw new RangeError(`partition count must be a positive integer, got ${partitions}`);
  return kafkaAbs(javaStringHashCode(key)) % partitions;
}

/** The transactional ids of a PartitionTransactions member over every partition of its input topic. */
export function transactionalIdsFor(groupId: string, inputTopic: string, partitions: number): string[] {
  return Array.from({ length: partitions }, (_, p) => transactionalIdFor(groupId, inputTopic, p));
}

/** Node id → how many of `keys` that node coordinates, given the internal topic's partitions (-1: leaderless). */
export function coordinatorCounts(partitions: PartitionMetadata[], keys: string[]): Map<number, number> {
  const leaderOf = new Map(partitions.map((p) => [p.partitionId, p.leader]));
  const counts = new Map<number, number>();
  for (const key of keys) {
    const leader = leaderOf.get(coordinatorPartition(key, partitions.length));
    if (leader === undefined) throw new Error(`no metadata for the partition of ${JSON.stringify(key)}`);
    counts.set(leader, (counts.get(leader) ?? 0) + 1);
  }
  return counts;
}

/**
 * The node with the highest count (ties: the lowest node id), ignoring -1 (no leader); undefined when
 * no node has any.
 */
export function busiestNode(counts: ReadonlyMap<number, number>): number | undefined {
  let best: number | undefined;
  for (const [node, n] of counts) {
    if (node < 0 || n <= 0) continue;
    const bestCount = best === undefined ? 0 : (counts.get(best) ?? 0);
    if (best === undefined || n > bestCount || (n === bestCount && node < best)) best = node;
  }
  return best;
}

/** Every partition of the topics (every topic, internal ones included, when none are named). */
export async function partitionMetadata(
  admin: MetadataAdmin,
  topics: string[] = [],
): Promise<{ topic: string; partitions: PartitionMetadata[] }[]> {
  const found = await fetchMetadata(admin, topics);
  for (const topic of topics) {
    const meta = found.find((t) => t.name === topic);
    if (!meta || meta.partitions.length === 0) throw new Error(`topic ${topic} has no partitions yet`);
  }
  return found.map((t) => ({ topic: t.name, partitions: t.partitions }));
}

/** What brokers answer while a topic's metadata is still reaching all of them. */
const NOT_YET_KNOWN = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);
const NOT_YET_KNOWN_MS = 10_000;

/**
 * One Metadata answer. Each call may reach a different broker, and one that has not yet applied a new
 * topic (or a new leader) fails the whole call, so those answers are retried for a few seconds.
 */
async function fetchMetadata(admin: MetadataAdmin, topics: string[]) {
  const deadline = Date.now() + NOT_YET_KNOWN_MS;
  for (;;) {
    try {
      // An empty list asks for every topic (kafkajs sends it as a null array).
      return (await admin.fetchTopicMetadata({ topics })).topics;
    } catch (error) {
      const type = (error as { type?: unknown }).type;
      if (typeof type !== 'string' || !NOT_YET_KNOWN.has(type) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function internalPartitions(admin: MetadataAdmin, topic: string): Promise<PartitionMetadata[]> {
  const found = await partitionMetadata(admin, [topic]);
  return found.find((t) => t.topic === topic)?.partitions ?? [];
}

/** The node coordinating one key of an internal topic; -1 while that partition has no leader. */
async function coordinatorNode(admin: MetadataAdmin, topic: string, key: string): Promise<number> {
  const [node] = coordinatorCounts(await internalPartitions(admin, topic), [key]).keys();
  return node as number;
}

/** The broker coordinating a consumer group (-1 while its __consumer_offsets partition has no leader). */
export function groupCoordinatorNode(admin: MetadataAdmin, groupId: string): Promise<number> {
  return coordinatorNode(admin, GROUP_METADATA_TOPIC, groupId);
}

/**
 * The broker coordinating a transactional id (-1 while its __transaction_state partition has no
 * leader). __transaction_state exists only once some producer has initialized transactions.
 */
export function transactionCoordinatorNode(admin: MetadataAdmin, transactionalId: string): Promise<number> {
  return coordinatorNode(admin, TRANSACTION_STATE_TOPIC, transactionalId);
}

/** Node → how many of the transactional ids it coordinates (-1: ids whose partition has no leader). */
export async function transactionCoordinatorNodes(
  admin: MetadataAdmin,
  transactionalIds: string[],
): Promise<Map<number, number>> {
  return coordinatorCounts(await internalPartitions(admin, TRANSACTION_STATE_TOPIC), transactionalIds);
}

/** Node → partitions of the topics it leads (leaderless partitions are left out). */
export async function leaderCounts(admin: MetadataAdmin, topics: string[]): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const { partitions } of await partitionMetadata(admin, topics)) {
    for (const { leader } of partitions) if (leader >= 0) counts.set(leader, (counts.get(leader) ?? 0) + 1);
  }
  return counts;
}

/** The broker leading the most partitions of the topics (ties: the lowest node id). */
export async function mostLeadersNode(admin: MetadataAdmin, topics: string[]): Promise<number> {
  const node = busiestNode(await leaderCounts(admin, topics));
  if (node === undefined) throw new Error(`no partition of ${topics.join(', ')} has a leader`);
  return node;
}

export interface PartitionReplication {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

/** Partitions whose in-sync replica set is smaller than their replica set (all topics when none are named). */
export async function underReplicated(
  admin: MetadataAdmin,
  topics?: string[],
): Promise<PartitionReplication[]> {
  const out: PartitionReplication[] = [];
  for (const { topic, partitions } of await partitionMetadata(admin, topics)) {
    for (const { partitionId, leader, replicas, isr } of partitions) {
      if (isr.length < replicas.length) out.push({ topic, partition: partitionId, leader, replicas, isr });
    }
  }
  return out;
}

/** How many partitions that have a replica on the node currently have that node outside their ISR. */
export async function isrExcludes(admin: MetadataAdmin, nodeId: number, topics?: string[]): Promise<number> {
  let n = 0;
  for (const { partitions } of await partitionMetadata(admin, topics)) {
    for (const { replicas, isr } of partitions) if (replicas.includes(nodeId) && !isr.includes(nodeId)) n++;
  }
  return n;
}

export interface WaitOptions {
  /** Topics to look at; every topic when absent. */
  topics?: string[];
  timeoutMs?: number;
  pollMs?: number;
}

/**
 * Waits until no partition is under-replicated (a failed Metadata call counts as not yet); resolves
 * with the milliseconds waited, rejects on timeout naming what was still short.
 */
export async function awaitFullyReplicated(admin: MetadataAdmin, options: WaitOptions = {}): Promise<number> {
  return pollUntil(options, 'every partition back in sync', async () => {
    const short = await underReplicated(admin, options.topics);
    if (short.length === 0) return { done: true };
    const sample = short
      .slice(0, 5)
      .map((p) => `${p.topic}[${p.partition}] isr ${p.isr.join(',')} of ${p.replicas.join(',')}`);
    return { done: false, why: `${short.length} under-replicated, e.g. ${sample.join('; ')}` };
  });
}

/**
 * Waits until the node is outside the ISR of at least one partition it hosts (a paused broker is
 * dropped after the controller stops hearing from it); resolves with the milliseconds waited.
 */
export async function awaitIsrExcludes(
  admin: MetadataAdmin,
  nodeId: number,
  options: WaitOptions = {},
): Promise<number> {
  return pollUntil(options, `node ${nodeId} out of some ISR`, async () => {
    const n = await isrExcludes(admin, nodeId, options.topics);
    return n > 0 ? { done: true } : { done: false, why: `node ${nodeId} is in every ISR it belongs to` };
  });
}

async function pollUntil(
  { timeoutMs = 120_000, pollMs = 1_000 }: WaitOptions,
  what: string,
  check: () => Promise<{ done: boolean; why?: string }>,
): Promise<number> {
  const start = Date.now();
  let why = 'not checked';
  for (;;) {
    try {
      const result = await check();
      if (result.done) return Date.now() - start;
      why = result.why ?? why;
    } catch (error) {
      why = `metadata failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (Date.now() - start >= timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${why}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
