// Deterministic chains over a partition's record sequence (ARCHITECTURE.md §2, "offline chain layout"
// carried into a stream): blocks of K·M consecutive records; chain j of a block takes block
// positions j, K + j, 2K + j, … . Replaying the same records rebuilds the same chains.

export const DEFAULT_ROUNDS_PER_CHAIN = 2;

export interface LayoutConfig {
  /** K: chains per block (how many chains are open at once per partition). */
  chainsPerBlock: number;
  /** M: rounds per chain. */
  roundsPerChain: number;
}

export interface Slot {
  block: number;
  chainIndex: number;
  roundIndex: number;
  /** This record is round M − 1: its chain is complete once it is synthesized. */
  isLastRound: boolean;
}

function check(cfg: LayoutConfig): void {
  if (!Number.isSafeInteger(cfg.chainsPerBlock) || cfg.chainsPerBlock < 1)
    throw new RangeError(`chainsPerBlock must be a positive integer, got ${cfg.chainsPerBlock}`);
  if (!Number.isSafeInteger(cfg.roundsPerChain) || cfg.roundsPerChain < 1)
    throw new RangeError(`roundsPerChain must be a positive integer, got ${cfg.roundsPerChain}`);
}

/** Where the record with partition sequence number `seq` (0-based) goes. */
export function slotOf(seq: number, cfg: LayoutConfig): Slot {
  check(cfg);
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`bad sequence number ${seq}`);
  const blockSize = cfg.chainsPerBlock * cfg.roundsPerChain;
  const block = Math.floor(seq / blockSize);
  const pos = seq - block * blockSize;
  const roundIndex = Math.floor(pos / cfg.chainsPerBlock);
  return {
    block,
    chainIndex: pos - roundIndex * cfg.chainsPerBlock,
    roundIndex,
    isLastRound: roundIndex === cfg.roundsPerChain - 1,
  };
}

/** Inverse of slotOf. */
export function seqOf(slot: Pick<Slot, 'block' | 'chainIndex' | 'roundIndex'>, cfg: LayoutConfig): number {
  check(cfg);
  return (
    slot.block * cfg.chainsPerBlock * cfg.roundsPerChain +
    slot.roundIndex * cfg.chainsPerBlock +
    slot.chainIndex
  );
}

/**
 * Chains of one block holding `n` records (n ≤ K·M; a short last block at end of input):
 * element j lists the block positions of chain j, in round order. Empty chains are omitted.
 */
export function blockChains(n: number, cfg: LayoutConfig): number[][] {
  check(cfg);
  const chains: number[][] = [];
  for (let j = 0; j < cfg.chainsPerBlock; j++) {
    const positions: number[] = [];
    for (let r = 0; r < cfg.roundsPerChain; r++) {
      const p = r * cfg.chainsPerBlock + j;
      if (p < n) positions.push(p);
    }
    if (positions.length > 0) chains.push(positions);
  }
  return chains;
}

/**
 * The paper's offline layout, for reference: N texts cut into M consecutive portions of
 * B = ⌈N/M⌉; chain i takes text i of each portion. Equal to one block with K = B.
 */
export function paperLayout(n: number, roundsPerChain: number = DEFAULT_ROUNDS_PER_CHAIN): number[][] {
  const b = Math.ceil(n / roundsPerChain);
  return b === 0 ? [] : blockChains(n, { chainsPerBlock: b, roundsPerChain });
}
