// synth as a stream topology: raw documents in, SynthRounds out, state in the synth changelog
// under `<run>/<raw topic>/<partition>`; the consumer group and transactional ids derive from the run.

import { DEFAULT_TOKEN_MARGIN } from '../../core/budget.ts';
import { chainIdOfKey, partitionScope } from '../../core/chain-id.ts';
import { TEMPLATE_VERSION } from '../../core/templates/version.ts';
import type { Run } from '../../core/types.ts';
import type { Topology } from '../../lib/streams/topology.ts';
import type { Topics } from '../../lib/topics.ts';

export const synthGroupId = (runId: string) => `ipt-synth.${runId}`;

export type SynthTopology = Topology<'raw', 'rounds', 'synthState'>;

export function synthTopology(run: Run, topics: Topics): SynthTopology {
  return {
    name: 'synth',
    groupId: synthGroupId(run.run_id),
    input: 'raw',
    outputs: ['rounds'],
    state: {
      role: 'synthState',
      scope: (partition) => partitionScope(run.run_id, topics.raw, partition),
      // Chain keys are `<block>/<j>`; a kept answer's is `<block>/<j>/answer/<round>`.
      chainOf: (key, partition) => chainIdOfKey(partitionScope(run.run_id, topics.raw, partition), key),
    },
    stage: 'SYNTH',
    runId: run.run_id,
  };
}

export interface RunParameters {
  runId: string;
  model: string;
  modelVersion: string;
  maxNewTokens: number;
  maxModelLen: number;
  roundsPerChain: number;
  chainsPerBlock: number;
}

/** The run every SynthRound names: who synthesized, with what, under which layout and budget. */
export function synthRun(o: RunParameters, tokenizer: string): Run {
  return {
    run_id: o.runId,
    model: o.model,
    model_version: o.modelVersion,
    sampling_parameters: JSON.stringify({ temperature: 0, max_tokens: o.maxNewTokens }),
    temperature: 0,
    max_new_tokens: o.maxNewTokens,
    max_model_len: o.maxModelLen,
    rounds_per_chain: o.roundsPerChain,
    chains_per_block: o.chainsPerBlock,
    token_margin: DEFAULT_TOKEN_MARGIN,
    tokenizer,
    template_version: TEMPLATE_VERSION,
    started_at: Date.now(),
  };
}
