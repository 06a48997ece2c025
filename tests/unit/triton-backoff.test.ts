import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay, DEFAULT_BACKOFF } from '../../lib/triton/backoff.ts';

describe('backoff schedule', () => {
  it('grows exponentially from the base and stops at the cap', () => {
    const opts = { baseMs: 100, maxMs: 1_000, factor: 2 };
    expect([1, 2, 3, 4, 5, 6].map((r) => backoffCeiling(r, opts))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });

  it('is zero before the first retry and finite for huge retry numbers', () => {
    expect(backoffCeiling(0)).toBe(0);
    expect(backoffCeiling(10_000)).toBe(DEFAULT_BACKOFF.maxMs);
  });

  it('jitters within [ceiling/2, ceiling] — never an immediate retry', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.double({ min: 0, max: 1, noNaN: true }), (retry, r) => {
        const ceiling = backoffCeiling(retry);
        const d = backoffDelay(retry, {}, () => r);
        return d >= ceiling / 2 && d <= ceiling;
      }),
    );
  });

  it('spreads simultaneous failures over the window', () => {
    const delays = [0, 0.25, 0.5, 0.75, 1].map((r) => backoffDelay(3, { baseMs: 100 }, () => r));
    expect(delays).toEqual([200, 250, 300, 350, 400]);
  });
});
