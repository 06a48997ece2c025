import { describe, expect, it } from 'vitest';
import { type EngineCounters, type EngineSample, gpuWaste } from '../reliability/gpu-waste.ts';

const sample = (at: number, c: Partial<EngineCounters>): EngineSample => ({
  at,
  counters: {
    requests_finished: 0,
    generated_tokens: 0,
    prompt_tokens: 0,
    prefix_hit_tokens: 0,
    prefill_tokens: 0,
    busy_ms: 0,
    ...c,
  },
});

describe('gpuWaste', () => {
  // Steady until t = 10 s (half the prompt tokens from the cache), a kill at 10 s, then a minute
  // with a quarter, then steady again; 120 rounds generated for 100 committed.
  const samples = [
    sample(0, {}),
    sample(10_000, {
      requests_finished: 50,
      generated_tokens: 500,
      prompt_tokens: 1000,
      prefix_hit_tokens: 500,
    }),
    sample(70_000, {
      requests_finished: 90,
      generated_tokens: 900,
      prompt_tokens: 2000,
      prefix_hit_tokens: 750,
    }),
    sample(100_000, {
      requests_finished: 120,
      generated_tokens: 1200,
      prompt_tokens: 3000,
      prefix_hit_tokens: 1250,
      prefill_tokens: 1750,
      busy_ms: 60_000,
    }),
  ];

  it('puts generated work against what committed, per kill, and the hit share after kills against the steady one', () => {
    const w = gpuWaste({ samples, kills: [10_000], committed: { rounds: 100, outputTokens: 1000 } });
    expect(w.ratio).toBeCloseTo(1.2);
    expect(w.regeneratedRounds).toBe(20);
    expect(w.regeneratedRoundsPerKill).toBe(20);
    expect(w.wastedGpuSeconds).toBeCloseTo(10); // 60 s busy × 200 / 1200 tokens
    expect(w.prefixHitShareSteady).toBeCloseTo(0.5);
    expect(w.prefixHitShareAfterKills).toBeCloseTo(0.25);
    expect(Number.isNaN(w.fullBatchGpuSeconds)).toBe(true);
  });

  it('cuts the window after a kill at the next one and sizes a full batch from the step cost', () => {
    const w = gpuWaste({
      samples,
      kills: [70_000, 10_000],
      committed: { rounds: 100, outputTokens: 1000 },
      engines: {
        cost: { max_num_seqs: 4, overhead_ms: 10, per_seq_ms: 1, per_prefill_token_ms: 0.1 },
        count: 2,
      },
    });
    expect(w.regeneratedRoundsPerKill).toBe(10);
    // Windows [10 s, 70 s] and [70 s, 100 s]: (250 + 500) / (1000 + 1000); steady is what is left.
    expect(w.prefixHitShareAfterKills).toBeCloseTo(0.375);
    expect(w.prefixHitShareSteady).toBeCloseTo(0.5);
    // 10 tokens out, 14.58 prefilled a request: 2 × (10 × 10 + 4 × 9 × 1 + 4 × 14.583 × 0.1) ms.
    expect(w.fullBatchGpuSeconds).toBeCloseTo((2 * (100 + 36 + 4 * (1750 / 120) * 0.1)) / 1000);
  });
});
