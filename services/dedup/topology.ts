// The dedup stage as a stream topology: ipt.dedup.candidates in — ingest's candidates and the
// stage's own messages between partitions — kept documents to ipt.docs.raw, the messages back to
// the candidates topic, documents and band keys in ipt.dedup.state. ARCHITECTURE.md §9.

import type { Topology } from '../../lib/streams/topology.ts';
import { TOPICS, type Topics } from '../../lib/topics.ts';

export const DEDUP_GROUP = 'ipt-dedup';

/**
 * The consumer group (and so transactional ids and changelog scope) of a pipeline's dedup stage:
 * one per topic namespace, since a group shared by two namespaces would mix their members.
 */
export function dedupGroupId(topics: Topics): string {
  if (topics.candidates === TOPICS.candidates) return DEDUP_GROUP;
  return `${DEDUP_GROUP}.${topics.candidates.slice(0, -TOPICS.candidates.length - 1)}`;
}

export function dedupTopology(
  groupId = DEDUP_GROUP,
): Topology<'candidates', 'candidates' | 'raw', 'dedupState'> {
  return {
    name: 'dedup',
    groupId,
    input: 'candidates',
    outputs: ['candidates', 'raw'],
    state: { role: 'dedupState', scope: () => groupId },
    stage: 'DEDUP',
  };
}
