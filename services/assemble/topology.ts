// assemble as a stream topology: SynthRounds in, AugmentedRecords out, open chains in the
// assemble changelog under `<group>/<chain id>` — several assemblers (live, re-assembly) share it.

import type { Topology } from '../../lib/streams/topology.ts';

/** The consumer group (and so the transactional ids and changelog scope) of an assembler. */
export function assembleGroupId(options: { run?: string; asRun?: string; groupId?: string }): string {
  if (options.groupId) return options.groupId;
  const run = options.asRun ?? options.run;
  return run ? `ipt-assemble.${run}` : 'ipt-assemble';
}

export function assembleTopology(groupId: string): Topology<'rounds', 'augmented', 'assembleState'> {
  return {
    name: 'assemble',
    groupId,
    input: 'rounds',
    outputs: ['augmented'],
    state: { role: 'assembleState', scope: () => groupId, chainOf: (key) => key },
    stage: 'ASSEMBLE',
  };
}
