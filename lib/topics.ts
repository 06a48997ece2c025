import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, ITopicConfig } from 'kafkajs';

/** Every topic of the pipeline, with the settings its role needs. ARCHITECTURE.md §3. */
export const TOPICS = {
  candidates: 'ipt.dedup.candidates',
  raw: 'ipt.docs.raw',
  rounds: 'ipt.synth.rounds',
  augmented: 'ipt.corpus.augmented',
  dlq: 'ipt.dlq',
  synthState: 'ipt.synth.state',
  assembleState: 'ipt.assemble.state',
  dedupState: 'ipt.dedup.state',
  crawlInputs: 'ipt.crawl.inputs',
  crawlProgress: 'ipt.crawl.progress',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];
export type TopicRole = keyof typeof TOPICS;
/** The pipeline's topic names by role; a namespace prefixes them all (tests, side-by-side deployments). */
export type Topics = Record<TopicRole, string>;

const NAMESPACE = /^[A-Za-z0-9_-]{1,100}$/;

/** `ipt.docs.raw` etc., or `<namespace>.ipt.docs.raw` when a namespace is given. */
export function topicsFor(namespace?: string): Topics {
  if (!namespace) return { ...TOPICS };
  if (!NAMESPACE.test(namespace)) {
    throw new Error(
      `topic namespace must match ${NAMESPACE} (letters, digits, _ and -), got ${JSON.stringify(namespace)}`,
    );
  }
  const named = {} as Topics;
  for (const [role, name] of Object.entries(TOPICS) as [TopicRole, string][])
    named[role] = `${namespace}.${name}`;
  return named;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Topic configs by role: changelogs keep the latest state per key forever; the DLQ outlives everything.
 * Without a replication factor the broker's default.replication.factor applies (and its
 * min.insync.replicas), so the same call fits one node and a cluster.
 */
export function topicSpecs(
  partitions: number,
  replicationFactor?: number,
  topics: Topics = TOPICS,
): ITopicConfig[] {
  const data = (topic: string): ITopicConfig => ({
    topic,
    numPartitions: partitions,
    replicationFactor,
    configEntries: [{ name: 'retention.ms', value: String(30 * DAY_MS) }],
  });
  const changelog = (topic: string): ITopicConfig => ({
    topic,
    numPartitions: partitions,
    replicationFactor,
    configEntries: [
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'min.compaction.lag.ms', value: '0' },
      { name: 'segment.ms', value: String(60 * 60 * 1000) },
    ],
  });
  return [
    data(topics.candidates),
    data(topics.raw),
    data(topics.rounds),
    data(topics.augmented),
    {
      topic: topics.dlq,
      numPartitions: partitions,
      replicationFactor,
      configEntries: [{ name: 'retention.ms', value: String(365 * DAY_MS) }],
    },
    changelog(topics.synthState),
    changelog(topics.assembleState),
    changelog(topics.dedupState),
    // A crawl's inputs are its to-do list: kept until deleted, like the DLQ's reasons.
    {
      topic: topics.crawlInputs,
      numPartitions: partitions,
      replicationFactor,
      configEntries: [{ name: 'retention.ms', value: '-1' }],
    },
    changelog(topics.crawlProgress),
  ];
}

/** Creates the missing topics; returns the names it created. Existing topics are left as they are. */
export async function createTopics(
  admin: Admin,
  partitions: number,
  topics: Topics = TOPICS,
  replicationFactor?: number,
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topicSpecs(partitions, replicationFactor, topics).filter(
    (spec) => !existing.has(spec.topic),
  );
  if (missing.length === 0) return [];
  // Not kafkajs's waitForLeaders: it asks one broker and gives up when that broker has not yet heard
  // of the new topic (UNKNOWN_TOPIC_OR_PARTITION), which on a cluster happens about every other call.
  await admin.createTopics({ topics: missing, waitForLeaders: false });
  await waitForLeaders(
    admin,
    missing.map((spec) => spec.topic),
  );
  return missing.map((spec) => spec.topic);
}

/** Kafka's answers while a new topic's metadata is still reaching every broker of a cluster. */
const NOT_YET_KNOWN = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/** Resolves once every partition of `topics` has a leader, as the brokers answering metadata see it. */
export async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      if (found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (error) {
      if (!NOT_YET_KNOWN.has((error as { type?: string }).type ?? '')) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`topics without a leader after ${timeoutMs / 1000} s: ${topics.join(', ')}`);
    await sleep(100);
  }
}

export class MissingTopicsError extends Error {
  override readonly name = 'MissingTopicsError';
  constructor(readonly missing: string[]) {
    super(`missing Kafka topics: ${missing.join(', ')}; create them with \`npx ipt topics create\``);
  }
}

/**
 * Refuses to start a service whose topics do not exist (auto-creation would get their settings wrong).
 * On a cluster it asks again for a few seconds first: the broker answering may not yet have heard of
 * topics created a moment ago.
 */
export async function requireTopics(admin: Admin, names: readonly string[]): Promise<void> {
  const graceMs = (await admin.describeCluster()).brokers.length > 1 ? 5_000 : 0;
  const deadline = Date.now() + graceMs;
  for (;;) {
    const existing = new Set(await admin.listTopics());
    const missing = names.filter((name) => !existing.has(name));
    if (missing.length === 0) return;
    if (Date.now() >= deadline) throw new MissingTopicsError(missing);
    await sleep(250);
  }
}
