import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseEndpoint, type RouteCandidate } from '../../lib/triton/routing.ts';

const ep = (url: string, outstanding: number, healthy = true, limit = 4): RouteCandidate => ({
  url,
  outstanding,
  healthy,
  limit,
});

describe('least-outstanding routing', () => {
  it('picks the endpoint with the fewest outstanding requests', () => {
    expect(chooseEndpoint([ep('a', 3), ep('b', 1), ep('c', 2)])).toBe(1);
  });

  it('skips unhealthy endpoints and endpoints at their in-flight limit', () => {
    expect(chooseEndpoint([ep('a', 0, false), ep('b', 4), ep('c', 3)])).toBe(2);
    expect(chooseEndpoint([ep('a', 0, false), ep('b', 4)])).toBe(-1);
    expect(chooseEndpoint([])).toBe(-1);
  });

  it('sends a retry elsewhere even when the failed endpoint is less loaded', () => {
    expect(chooseEndpoint([ep('a', 0), ep('b', 3)], new Set(['a']))).toBe(1);
  });

  it('falls back to an endpoint already tried when no other has room', () => {
    expect(chooseEndpoint([ep('a', 0), ep('b', 4)], new Set(['a']))).toBe(0);
    expect(chooseEndpoint([ep('a', 1), ep('b', 0, false)], new Set(['a']))).toBe(0);
  });

  it('rotates ties so an idle cluster spreads load', () => {
    const idle = [ep('a', 0), ep('b', 0), ep('c', 0)];
    expect([0, 1, 2, 3].map((s) => chooseEndpoint(idle, new Set(), s))).toEqual([0, 1, 2, 0]);
  });

  it('always returns a healthy endpoint with room, minimal among the non-avoided when any exists', () => {
    const cand = fc.record({
      url: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      outstanding: fc.integer({ min: 0, max: 6 }),
      healthy: fc.boolean(),
      limit: fc.integer({ min: 1, max: 6 }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(cand, { selector: (c) => c.url, maxLength: 5 }),
        fc.subarray(['a', 'b', 'c', 'd', 'e']),
        fc.nat(10),
        (cands, avoidList, start) => {
          const avoid = new Set(avoidList);
          const i = chooseEndpoint(cands, avoid, start);
          const eligible = cands.filter((c) => c.healthy && c.outstanding < c.limit);
          if (eligible.length === 0) return i === -1;
          const chosen = cands[i];
          if (chosen === undefined || !chosen.healthy || chosen.outstanding >= chosen.limit) return false;
          const fresh = eligible.filter((c) => !avoid.has(c.url));
          const pool = fresh.length > 0 ? fresh : eligible;
          return pool.includes(chosen) && chosen.outstanding === Math.min(...pool.map((c) => c.outstanding));
        },
      ),
    );
  });
});
