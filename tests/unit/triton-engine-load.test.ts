import { describe, expect, it } from 'vitest';
import { AdaptiveLimit, type EngineSample } from '../../lib/triton/concurrency.ts';
import { defaultMetricsUrl, parseEngineLoad } from '../../lib/triton/engine-load.ts';

const EXPOSITION = `# HELP vllm:num_requests_running Number of requests currently running on GPU.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{model="other",version="1"} 99
vllm:num_requests_running{model="synth",version="1"} 240
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{model="synth",version="1"} 12 1700000000000
nv_inference_count{model="synth",version="1"} 5000
`;

describe("the engine's own load from Triton's metrics", () => {
  it("reads the model's running and waiting gauges and skips other models' series", () => {
    expect(parseEngineLoad(EXPOSITION, 'synth')).toEqual({ running: 240, waiting: 12 });
  });

  it('is undefined when a gauge is missing (no vLLM engine behind that port)', () => {
    expect(parseEngineLoad(EXPOSITION, 'other')).toBeUndefined();
    expect(parseEngineLoad('nv_inference_count 3\n', 'synth')).toBeUndefined();
  });

  it("takes unlabelled series as the engine's", () => {
    expect(parseEngineLoad('vllm:num_requests_running 3\nvllm:num_requests_waiting 0\n', 'm')).toEqual({
      running: 3,
      waiting: 0,
    });
  });

  it('finds the metrics where Triton puts them by default: the HTTP port + 2', () => {
    expect(defaultMetricsUrl('http://triton:8000')).toBe('http://triton:8002/metrics');
    expect(defaultMetricsUrl('http://127.0.0.1:18000/')).toBe('http://127.0.0.1:18002/metrics');
    expect(defaultMetricsUrl('not a url')).toBeUndefined();
  });
});

/**
 * Clients sharing one engine with `slots` sequence slots, each with demand above its limit: every
 * tick the engine holds all their requests (running up to its slots, the rest waiting) and each
 * client reads the engine's counts.
 */
function share(limiters: AdaptiveLimit[], slots: number, ticks: number): EngineSample[] {
  const seen: EngineSample[] = [];
  for (let t = 0; t < ticks; t++) {
    const total = limiters.reduce((n, l) => n + l.limit, 0);
    const running = Math.min(slots, total);
    const waiting = total - running;
    for (const l of limiters) {
      const sample = { now: t * 500, running, waiting, inFlight: l.limit };
      l.onEngineSample(sample);
      seen.push(sample);
    }
  }
  return seen;
}

describe('adaptive limit on the engine’s own counts', () => {
  const limiter = (initial: number) => new AdaptiveLimit({ initial, max: 4096, slots: 256 });

  it('one client alone fills the engine with a small queue', () => {
    const l = limiter(32);
    const seen = share([l], 256, 40);
    const last = seen.at(-1) as EngineSample;
    expect(last.running).toBe(256);
    expect(last.waiting).toBeGreaterThan(0);
    expect(last.waiting).toBeLessThanOrEqual(2 * 8);
  });

  it('two clients that each start at the published slots converge to one engine’s worth between them', () => {
    const a = limiter(256);
    const b = limiter(256);
    const seen = share([a, b], 256, 40);
    const last = seen.at(-1) as EngineSample;
    expect(last.running).toBe(256);
    expect(last.waiting).toBeLessThanOrEqual(2 * 8);
    expect(Math.abs(a.limit - b.limit)).toBeLessThanOrEqual(16);
  });

  it('a client gives back room when another one fills the engine', () => {
    const l = limiter(256);
    // Another client keeps 200 in flight at the same engine: this one sees 256 + 200 - 256 waiting.
    for (let t = 0; t < 20; t++) {
      const total = l.limit + 200;
      l.onEngineSample({ now: t * 500, running: 256, waiting: total - 256, inFlight: l.limit });
    }
    expect(l.limit).toBeLessThan(100);
  });

  it('does not grow while the caller sends less than its limit', () => {
    const l = limiter(64);
    l.onEngineSample({ now: 0, running: 10, waiting: 0, inFlight: 10 });
    expect(l.limit).toBe(64);
  });

  it("while the engine's counts are fresh, the client's own latency figures do not move the limit", () => {
    const l = new AdaptiveLimit({ initial: 8, max: 4096 });
    l.onEngineSample({ now: 0, running: 8, waiting: 4, inFlight: 8 });
    const before = l.limit;
    for (let i = 0; i < 200; i++)
      l.onSample({ startedAt: i * 10, now: i * 10 + 100, ok: true, inFlight: before });
    expect(l.limit).toBe(before);
    // Failures still cut at once.
    l.onSample({ startedAt: 3_000, now: 3_100, ok: false, inFlight: before });
    expect(l.limit).toBeLessThan(before);
    // Once they are stale (5 s), the client's own measurements take over again.
    const cut = l.limit;
    for (let i = 0; i < 400; i++) {
      const t = 10_000 + i * 10;
      l.onSample({ startedAt: t, now: t + 100, ok: true, inFlight: l.limit });
    }
    expect(l.limit).toBeGreaterThan(cut);
  });
});
