// Whether a dedup stage is running for a pipeline's topics: its consumer group has members. Ingest
// asks so it can tell a user whose documents would otherwise wait on the candidates topic unseen.

import type { Kafka } from 'kafkajs';
import type { Topics } from '../../lib/topics.ts';
import { dedupGroupId } from './topology.ts';

/** Members of the topics' dedup group (0: none running, documents wait on the candidates topic). */
export async function dedupMembers(kafka: Kafka, topics: Topics): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([dedupGroupId(topics)]);
    return groups[0]?.members.length ?? 0;
  } finally {
    await admin.disconnect();
  }
}

/** What to tell a user when no dedup stage is running (null when one is). */
export function waitingNote(members: number, topics: Topics): string | null {
  if (members > 0) return null;
  return (
    `no dedup stage is running for these topics: documents wait on ${topics.candidates} and reach ` +
    `${topics.raw} once one runs (npx ipt dedup, or npx ipt run, with the same --topic-namespace)`
  );
}
