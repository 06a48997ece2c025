// What every template version shares: the rounds it renders, what it returns, how a chain is cut
// into connected segments, and the recorded per-chain seed.

import { fnv1a32 } from '../prng.ts';
import type { QAPair } from '../types.ts';
import { TEMPLATE_VERSION } from './version.ts';

export type Framing = 'plain' | 'classic' | 'pairs_first' | 'dialog' | 'numbered' | 'fewshot' | 'next_turn';

/** What rendering needs of a round. */
export interface RenderRound {
  text: string;
  pairs: readonly QAPair[];
  inherit_from_prev: boolean;
}

export interface Rendered {
  text: string;
  /** Positions (in the input array) of the rounds this text is made of, in the order they appear. */
  round_indexes: number[];
  framing: Framing;
}

/** Positions of the rounds of each connected segment: a new one starts where a round does not inherit. */
export function segmentsOf(rounds: readonly Pick<RenderRound, 'inherit_from_prev'>[]): number[][] {
  const out: number[][] = [];
  rounds.forEach((r, i) => {
    const last = out[out.length - 1];
    if (i === 0 || !r.inherit_from_prev || !last) out.push([i]);
    else last.push(i);
  });
  return out;
}

/** The recorded template seed of a chain (uint32). */
export function templateSeed(chainId: string, version: string = TEMPLATE_VERSION): number {
  return fnv1a32(`${version}\u0000${chainId}`);
}
