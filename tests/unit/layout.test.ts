import { describe, expect, it } from 'vitest';
import {
  chainIdOfKey,
  chainKeyInScope,
  chainPlace,
  chainRun,
  formatChainId,
  parseChainId,
  partitionScope,
} from '../../core/chain-id.ts';
import { blockChains, DEFAULT_ROUNDS_PER_CHAIN, paperLayout, seqOf, slotOf } from '../../core/layout.ts';

describe('chain layout', () => {
  const cfg = { chainsPerBlock: 3, roundsPerChain: 2 };

  it('M defaults to 2', () => {
    expect(DEFAULT_ROUNDS_PER_CHAIN).toBe(2);
  });

  it('chain j of a block takes positions j, K + j, 2K + j, …', () => {
    expect(blockChains(6, cfg)).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(blockChains(12, { chainsPerBlock: 4, roundsPerChain: 3 })).toEqual([
      [0, 4, 8],
      [1, 5, 9],
      [2, 6, 10],
      [3, 7, 11],
    ]);
  });

  it('a short last block gives short chains', () => {
    expect(blockChains(4, cfg)).toEqual([[0, 3], [1], [2]]);
    expect(blockChains(2, cfg)).toEqual([[0], [1]]);
    expect(blockChains(0, cfg)).toEqual([]);
  });

  it('slotOf places sequence numbers across blocks and inverts with seqOf', () => {
    expect(slotOf(0, cfg)).toEqual({ block: 0, chainIndex: 0, roundIndex: 0, isLastRound: false });
    expect(slotOf(4, cfg)).toEqual({ block: 0, chainIndex: 1, roundIndex: 1, isLastRound: true });
    expect(slotOf(8, cfg)).toEqual({ block: 1, chainIndex: 2, roundIndex: 0, isLastRound: false });
    for (let s = 0; s < 50; s++) expect(seqOf(slotOf(s, cfg), cfg)).toBe(s);
  });

  it('is deterministic: the same sequence gives the same chains', () => {
    const a = Array.from({ length: 20 }, (_, s) => slotOf(s, cfg));
    const b = Array.from({ length: 20 }, (_, s) => slotOf(s, cfg));
    expect(a).toEqual(b);
  });

  it('matches the paper’s offline layout (portions of ⌈N/M⌉)', () => {
    // N = 7, M = 2: portions [0..3] and [4..6]; chain i takes text i of each.
    expect(paperLayout(7, 2)).toEqual([[0, 4], [1, 5], [2, 6], [3]]);
    expect(paperLayout(6, 3)).toEqual([
      [0, 2, 4],
      [1, 3, 5],
    ]);
  });

  it('rejects bad configs', () => {
    expect(() => slotOf(0, { chainsPerBlock: 0, roundsPerChain: 2 })).toThrow(RangeError);
    expect(() => slotOf(-1, cfg)).toThrow(RangeError);
  });

  it('chain ids round-trip', () => {
    const parts = { runId: 'run-1', topic: 'ipt.docs.raw', partition: 3, block: 17, chainIndex: 5 };
    const id = formatChainId(parts);
    expect(id).toBe('run-1/ipt.docs.raw/3/17/5');
    expect(parseChainId(id)).toEqual(parts);
    expect(() => parseChainId('a/b/c')).toThrow();
    expect(() => parseChainId('run/t/1/2/x')).toThrow();
    expect(() => parseChainId('run/t/1/2/-3')).toThrow();
  });

  it('every view of a chain id agrees with its format', () => {
    const id = formatChainId({ runId: 'r', topic: 'ns.ipt.docs.raw', partition: 1, block: 9, chainIndex: 2 });
    const scope = partitionScope('r', 'ns.ipt.docs.raw', 1);
    expect(id.startsWith(`${scope}/`)).toBe(true);
    expect(chainKeyInScope(id)).toBe('9/2');
    expect(chainIdOfKey(scope, '9/2')).toBe(id);
    expect(chainIdOfKey(scope, '9/2/answer/1')).toBe(id);
    expect(chainIdOfKey(scope, '')).toBeUndefined();
    expect(chainPlace(id)).toBe('ns.ipt.docs.raw/1/9/2');
    expect(chainRun(id)).toBe('r');
  });
});
