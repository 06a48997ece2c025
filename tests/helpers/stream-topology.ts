import type { Topology } from '../../lib/streams/topology.ts';

/** A topology for lib/streams unit tests: raw in, rounds out, synth's state role, plain scopes. */
export const testTopology: Topology<'raw', 'rounds', 'synthState'> = {
  name: 'test',
  groupId: 'g',
  input: 'raw',
  outputs: ['rounds'],
  state: { role: 'synthState', scope: (p) => `run/${p}`, chainOf: (key) => `chain:${key}` },
  stage: 'SYNTH',
  runId: 'run',
};
