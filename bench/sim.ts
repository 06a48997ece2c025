// The GPU-cost simulator as benchmarks use it: start it with known settings and measure its real
// capacity C by saturating it directly (plain undici, no ipt client logic in the way).

import { Pool } from 'undici';
import { buildInferBody, parseInferResponse } from '../lib/triton/protocol.ts';
import { type SpawnedTriton, spawnTriton } from '../tests/helpers/triton-server.ts';
import type { OfflineClient } from './offline.ts';

export const SIM_MODEL = 'instruction_synthesizer_sim';
export const SIM_PARAMS = { sampling: { temperature: 0, max_tokens: 400 }, excludeInputInOutput: true };

export interface SimSettings {
  delayMs: number;
  maxBatch: number;
  instances: number;
  /** 'echo': answers cut from the prompt's text at ~no CPU (triton/ipt_synth/sim.py); default 'mined'. */
  answer?: 'mined' | 'echo';
}

/** How a client of the simulator sends (bench/offline.ts): full batches, two per instance in flight. */
export const simClient = (s: SimSettings): OfflineClient => ({
  model: SIM_MODEL,
  params: SIM_PARAMS,
  maxBatch: s.maxBatch,
  maxInFlight: 2 * s.instances,
});

export const theoreticalCapacity = (s: SimSettings) => (s.instances * s.maxBatch) / (s.delayMs / 1000);

export async function startSim(s: SimSettings): Promise<SpawnedTriton> {
  const args = [
    '--models',
    SIM_MODEL,
    '--sim-batch-delay-ms',
    String(s.delayMs),
    '--sim-per-token-ms',
    '0',
    '--sim-max-batch',
    String(s.maxBatch),
    '--sim-instances',
    String(s.instances),
    '--sim-answer',
    s.answer ?? 'mined',
  ];
  console.log(`starting sim: ${args.join(' ')}`);
  // On a loaded box PyTriton's model load now and then fails ("failed to load all models") and
  // then succeeds on a second start with the same flags: try three times before giving up.
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnTriton({ args });
    } catch (error) {
      if (attempt >= 3) throw error;
      console.log(`sim did not start (attempt ${attempt}); starting it again`);
    }
  }
}

/** Steady-state prompts/s with `concurrency` loops each re-sending a full batch as soon as it returns. */
export async function measureCapacity(
  url: string,
  s: SimSettings,
  seconds: number,
  prompt: (i: number) => string,
): Promise<number> {
  const concurrency = 4 * s.instances;
  const pool = new Pool(url, { connections: concurrency });
  const body = JSON.stringify(
    buildInferBody(
      Array.from({ length: s.maxBatch }, (_, i) => prompt(i)),
      SIM_PARAMS,
    ),
  );
  // Count only answers inside a window that skips the start-up, so C is the steady-state rate.
  const warmupMs = 2_000;
  const windowStart = performance.now() + warmupMs;
  const end = windowStart + seconds * 1000;
  let inWindow = 0;
  const loop = async () => {
    while (performance.now() < end) {
      const res = await pool.request({ method: 'POST', path: `/v2/models/${SIM_MODEL}/infer`, body });
      const json = await res.body.json();
      if (res.statusCode !== 200) throw new Error(`infer HTTP ${res.statusCode}: ${JSON.stringify(json)}`);
      parseInferResponse(json, s.maxBatch);
      const now = performance.now();
      if (now >= windowStart && now <= end) inWindow += s.maxBatch;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  await pool.close();
  return inWindow / seconds;
}
