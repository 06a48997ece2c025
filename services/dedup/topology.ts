// The dedup stage as a stream topology: ipt.dedup.candidates in — ingest's candidates and the
// stage's own messages between partitions — kept documents to ipt.docs.raw, the messages back to
// the candidates topic, documents and band keys in ipt.dedup.state. ARCHITECTURE.md §9.

import type { Topology } from '../../lib/streams/topology.ts';

export const DEDUP_GROUP = 'ipt-dedup';

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
