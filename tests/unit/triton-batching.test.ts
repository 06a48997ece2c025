import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { effectiveBatchCap, nextDispatch } from '../../lib/triton/batching.ts';

describe('micro-batch assembly', () => {
  it('caps the batch at the model max_batch_size', () => {
    expect(effectiveBatchCap(32, 16)).toBe(16);
    expect(effectiveBatchCap(8, 64)).toBe(8);
    expect(effectiveBatchCap(32, 1)).toBe(1);
    expect(() => effectiveBatchCap(0, 16)).toThrow(/positive integer/);
  });

  it('sends a full batch at once, without lingering', () => {
    expect(nextDispatch(40, 32, 0, 5)).toEqual({ kind: 'send', size: 32 });
    expect(nextDispatch(32, 32, 0, 5)).toEqual({ kind: 'send', size: 32 });
  });

  it('holds a partial batch for the rest of its linger, then sends what it has', () => {
    expect(nextDispatch(3, 32, 2, 5)).toEqual({ kind: 'wait', ms: 3 });
    expect(nextDispatch(3, 32, 5, 5)).toEqual({ kind: 'send', size: 3 });
    expect(nextDispatch(0, 32, 100, 5)).toEqual({ kind: 'idle' });
  });

  it('never sends more than the cap or than is queued, and never waits past the linger', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 1, max: 128 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        (queued, cap, age, linger) => {
          const d = nextDispatch(queued, cap, age, linger);
          if (d.kind === 'send') return d.size >= 1 && d.size <= cap && d.size <= queued;
          if (d.kind === 'wait') return queued > 0 && queued < cap && d.ms > 0 && d.ms <= linger;
          return queued === 0;
        },
      ),
    );
  });

  it('draining a queue with the rules yields full batches then one remainder', () => {
    let queued = 70;
    const sizes: number[] = [];
    while (queued > 0) {
      const d = nextDispatch(queued, 32, 10, 5);
      if (d.kind !== 'send') throw new Error('expected send');
      sizes.push(d.size);
      queued -= d.size;
    }
    expect(sizes).toEqual([32, 32, 6]);
  });
});
