import type { Admin, ITopicConfig } from 'kafkajs';

/** Every topic of the pipeline, with the settings its role needs. DESIGN.md §3. */
export const TOPICS = {
  raw: 'ipt.docs.raw',
  rounds: 'ipt.synth.rounds',
  augmented: 'ipt.corpus.augmented',
  dlq: 'ipt.dlq',
  synthState: 'ipt.synth.state',
  assembleState: 'ipt.assemble.state',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

const DAY_MS = 24 * 60 * 60 * 1000;

/** Topic configs by role: changelogs keep the latest state per key forever; the DLQ outlives everything. */
export function topicSpecs(partitions: number, replicationFactor = 1): ITopicConfig[] {
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
    data(TOPICS.raw),
    data(TOPICS.rounds),
    data(TOPICS.augmented),
    {
      topic: TOPICS.dlq,
      numPartitions: partitions,
      replicationFactor,
      configEntries: [{ name: 'retention.ms', value: String(365 * DAY_MS) }],
    },
    changelog(TOPICS.synthState),
    changelog(TOPICS.assembleState),
  ];
}

/** Creates the missing topics; returns the names it created. Existing topics are left as they are. */
export async function createTopics(admin: Admin, partitions: number): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topicSpecs(partitions).filter((spec) => !existing.has(spec.topic));
  if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
  return missing.map((spec) => spec.topic);
}
