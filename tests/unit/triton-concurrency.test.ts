import { describe, expect, it } from 'vitest';
import { AdaptiveLimit, type AdaptiveLimitOptions } from '../../lib/triton/concurrency.ts';
import { continuousBatching, engineSlotsHint } from '../../lib/triton/protocol.ts';

/**
 * A closed loop on a virtual clock: the client keeps `limiter.limit` requests
 * at an engine with `slots` sequence slots, each sequence taking `serviceMs`
 * (plus `perSeqMs` for every other running sequence, as a batched step does),
 * the rest waiting FIFO — the shape of a continuous-batching server.
 */
interface Engine {
  slots: number;
  serviceMs: number;
  perSeqMs?: number;
  /** Requests that fail (the endpoint is sick) from this time on. */
  failFrom?: number;
}

interface Trace {
  limits: number[];
  maxWaiting: number;
  /** Waiting requests, averaged over the last quarter of the run. */
  lateWaiting: number;
  lateRunning: number;
}

function drive(limiter: AdaptiveLimit, engine: (done: number) => Engine, completions: number): Trace {
  let now = 0;
  const waiting: number[] = []; // sent-at times
  const running: Array<{ startedAt: number; endsAt: number }> = [];
  const limits: number[] = [];
  let maxWaiting = 0;
  let seed = 42;
  let lateW = 0;
  let lateR = 0;
  let lateN = 0;
  let done = 0;
  const admit = () => {
    const e = engine(done);
    while (running.length < e.slots && waiting.length > 0) {
      const startedAt = waiting.shift() as number;
      // Output lengths vary (a fixed LCG, so runs repeat): service from 0.5x to 1.5x serviceMs.
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      const cost = e.serviceMs * (0.5 + seed / 2_147_483_648) + (e.perSeqMs ?? 0) * running.length;
      running.push({ startedAt, endsAt: now + cost });
    }
  };
  const fill = () => {
    while (running.length + waiting.length < limiter.limit) waiting.push(now);
    admit();
  };
  fill();
  for (; done < completions; done++) {
    running.sort((a, b) => a.endsAt - b.endsAt);
    const next = running.shift() as { startedAt: number; endsAt: number };
    now = next.endsAt;
    const inFlight = running.length + waiting.length + 1;
    const e = engine(done);
    const ok = e.failFrom === undefined || next.startedAt < e.failFrom;
    limiter.onSample({ startedAt: next.startedAt, now, ok, inFlight });
    admit();
    fill();
    limits.push(limiter.limit);
    maxWaiting = Math.max(maxWaiting, waiting.length);
    if (done >= completions * 0.75) {
      lateW += waiting.length;
      lateR += running.length;
      lateN++;
    }
  }
  return { limits, maxWaiting, lateWaiting: lateW / lateN, lateRunning: lateR / lateN };
}

const limiter = (o: Partial<AdaptiveLimitOptions> & { initial: number }) =>
  new AdaptiveLimit({ max: 4096, ...o });

describe('adaptive concurrency limit', () => {
  it('grows from a low start until the engine is full, then keeps a small waiting queue', () => {
    const l = limiter({ initial: 4 });
    const t = drive(l, () => ({ slots: 64, serviceMs: 100, perSeqMs: 0.5 }), 20_000);
    expect(t.lateRunning).toBeGreaterThan(63);
    expect(t.lateWaiting).toBeGreaterThan(0);
    expect(t.lateWaiting).toBeLessThanOrEqual(64 * 0.35);
  });

  it('starting from the published slot count, it holds there plus a small queue', () => {
    const l = limiter({ initial: 256, slots: 256 });
    const t = drive(l, () => ({ slots: 256, serviceMs: 1000, perSeqMs: 0.2 }), 40_000);
    expect(Math.min(...t.limits)).toBeGreaterThanOrEqual(256);
    expect(t.lateRunning).toBeGreaterThan(255);
    expect(t.lateWaiting).toBeGreaterThan(0);
    expect(t.lateWaiting).toBeLessThanOrEqual(256 * 0.08);
  });

  it('without the slot count it still finds them, a growth step at a time', () => {
    const l = limiter({ initial: 256 });
    const t = drive(l, () => ({ slots: 256, serviceMs: 1000, perSeqMs: 0.2 }), 40_000);
    expect(t.lateRunning).toBeGreaterThan(255);
    expect(t.lateWaiting).toBeLessThanOrEqual(256 * 0.3);
  });

  it('never exceeds its cap nor drops below its floor', () => {
    const capped = limiter({ initial: 4, max: 20 });
    const t = drive(capped, () => ({ slots: 64, serviceMs: 100 }), 5_000);
    expect(Math.max(...t.limits)).toBe(20);
    const floored = limiter({ initial: 16, min: 3 });
    const f = drive(floored, () => ({ slots: 64, serviceMs: 100, failFrom: 0 }), 2_000);
    expect(Math.min(...f.limits)).toBe(3);
    expect(floored.limit).toBe(3);
  });

  it('comes down when latency climbs without throughput (the engine lost slots)', () => {
    const l = limiter({ initial: 8 });
    // From completion 15 000 on fewer sequences fit (e.g. a smaller KV cache).
    const t = drive(l, (done) => ({ slots: done < 15_000 ? 64 : 16, serviceMs: 100 }), 40_000);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const before = mean(t.limits.slice(10_000, 15_000));
    const after = mean(t.limits.slice(30_000));
    expect(before).toBeGreaterThanOrEqual(64);
    expect(after).toBeLessThan(before * 0.6);
    expect(t.lateRunning).toBeGreaterThan(15.5); // still keeps the smaller engine full
    expect(t.lateWaiting).toBeLessThanOrEqual(24); // without the walk down ~50 would wait
  });

  it('cuts on failures, once per generation of requests, and climbs back when they stop', () => {
    const l = limiter({ initial: 100 });
    let failing = true;
    let cuts = 0;
    let last = l.limit;
    // 100 requests sent at t=0 all fail together: one cut, not 100.
    for (let i = 0; i < 100; i++) {
      l.onSample({ startedAt: 0, now: 10 + i, ok: !failing, inFlight: 100 - i });
      if (l.limit < last) cuts++;
      last = l.limit;
    }
    expect(cuts).toBe(1);
    expect(l.limit).toBe(70);
    // A later generation failing again cuts again.
    l.onSample({ startedAt: 200, now: 300, ok: false, inFlight: 70 });
    expect(l.limit).toBe(49);
    failing = false;
    const t = drive(l, () => ({ slots: 64, serviceMs: 100 }), 10_000);
    expect(Math.max(...t.limits)).toBeGreaterThanOrEqual(64);
    expect(t.lateRunning).toBeGreaterThan(63);
  });

  it('a sick endpoint that fails everything is driven to the floor', () => {
    const l = limiter({ initial: 256 });
    drive(l, () => ({ slots: 256, serviceMs: 100, failFrom: 0 }), 5_000);
    expect(l.limit).toBe(1);
  });

  it('does not grow on windows where the caller sent less than the limit', () => {
    const l = limiter({ initial: 32 });
    for (let i = 0; i < 1_000; i++)
      l.onSample({ startedAt: i * 10, now: i * 10 + 100, ok: true, inFlight: 10 });
    expect(l.limit).toBe(32);
  });

  it('rejects a cap below the floor', () => {
    expect(() => new AdaptiveLimit({ initial: 1, min: 8, max: 4 })).toThrow(/below its floor/);
  });
});

describe("the engine's published slot count", () => {
  const config = (parameters: unknown) => ({
    name: 'm',
    max_batch_size: 0,
    model_transaction_policy: { decoupled: true },
    input: [{ name: 'text_input' }],
    parameters,
  });

  it('reads ipt_max_num_seqs (or max_num_seqs) from the config parameters', () => {
    expect(engineSlotsHint(config({ ipt_max_num_seqs: { string_value: '256' } }))).toBe(256);
    expect(engineSlotsHint(config({ max_num_seqs: { string_value: ' 48 ' } }))).toBe(48);
  });

  it('ignores what is absent or not a positive integer', () => {
    expect(engineSlotsHint(config(undefined))).toBeUndefined();
    expect(engineSlotsHint(config({ ipt_max_num_seqs: { string_value: 'lots' } }))).toBeUndefined();
    expect(engineSlotsHint(config({ ipt_max_num_seqs: { string_value: '0' } }))).toBeUndefined();
    expect(engineSlotsHint(config({ ipt_max_num_seqs: 256 }))).toBeUndefined();
  });

  it('only decoupled or batch-less models count as continuous batching', () => {
    expect(continuousBatching(config(undefined))).toBe(true);
    expect(continuousBatching({ ...config(undefined), model_transaction_policy: {} })).toBe(true);
    expect(
      continuousBatching({ ...config(undefined), max_batch_size: 16, model_transaction_policy: {} }),
    ).toBe(false);
  });
});
