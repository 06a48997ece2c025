import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AffinityMemory } from '../../lib/triton/affinity.ts';
import { chooseEndpoint, chooseWithAffinity, type RouteCandidate } from '../../lib/triton/routing.ts';

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

describe('chain affinity', () => {
  const eps = () => [ep('a', 1), ep('b', 3), ep('c', 2)];

  it('holds a chain on the endpoint that served it while that one is healthy and has room', () => {
    expect(chooseWithAffinity(eps(), 'b')).toEqual({ index: 1, affinity: 'hit' });
  });

  it('falls back to the least loaded when the remembered endpoint is saturated', () => {
    expect(chooseWithAffinity([ep('a', 1), ep('b', 4), ep('c', 2)], 'b')).toEqual({
      index: 0,
      affinity: 'saturated',
    });
  });

  it('falls back when the remembered endpoint is ejected or gone', () => {
    expect(chooseWithAffinity([ep('a', 1), ep('b', 0, false), ep('c', 2)], 'b')).toEqual({
      index: 0,
      affinity: 'unhealthy',
    });
    expect(chooseWithAffinity(eps(), 'z')).toEqual({ index: 0, affinity: 'unhealthy' });
  });

  it('sends a retry elsewhere even when the remembered endpoint has room', () => {
    expect(chooseWithAffinity(eps(), 'b', new Set(['b']))).toEqual({ index: 0, affinity: 'retry' });
  });

  it('without a memory it is plain least-outstanding routing', () => {
    expect(chooseWithAffinity(eps(), undefined)).toEqual({ index: 0, affinity: undefined });
  });

  it('returns -1 when nothing has room, whatever it remembers', () => {
    expect(chooseWithAffinity([ep('a', 4), ep('b', 4)], 'a').index).toBe(-1);
  });
});

describe('affinity memory', () => {
  it('remembers the last endpoint per key and forgets the least recently used beyond its capacity', () => {
    const m = new AffinityMemory(3);
    m.remember('c1', 'a');
    m.remember('c2', 'b');
    m.remember('c3', 'a');
    m.remember('c1', 'b'); // c1 is now the youngest, and moved
    m.remember('c4', 'a'); // evicts c2, the oldest
    expect(m.size).toBe(3);
    expect(m.get('c1')).toBe('b');
    expect(m.get('c2')).toBeUndefined();
    expect(m.get('c3')).toBe('a');
    expect(m.get('c4')).toBe('a');
  });

  it('never holds more than its capacity', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), (keys) => {
        const m = new AffinityMemory(8);
        for (const k of keys) m.remember(`k${k}`, 'a');
        return m.size === Math.min(8, new Set(keys).size);
      }),
    );
  });

  it('rejects a capacity below 1', () => {
    expect(() => new AffinityMemory(0)).toThrow(/positive integer/);
  });
});
