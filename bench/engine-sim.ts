// The continuous-batching engine simulator (instruction_synthesizer_engine_sim) as benchmarks use
// it: start it with known settings on ports of the bench's own range, read its accounting, and
// measure its capacity by saturating it directly with plain undici (no ipt client logic in the way).

import { Pool } from 'undici';
import { type PromptTokenModel, promptTokenModel } from '../core/budget.ts';
import type { TokenCounter } from '../core/tokens.ts';
import type { RawDocument } from '../core/types.ts';
import { buildGenerateBody, parseGenerateResponse } from '../lib/triton/protocol.ts';
import { portFree } from '../stack/processes.ts';
import { type SpawnedTriton, spawnTriton } from '../tests/helpers/triton-server.ts';
import { firstPrompt, secondPrompt } from './offline.ts';
import { groupCpuSeconds, sleep } from './proc.ts';
import { SIM_PARAMS } from './sim.ts';

export const ENGINE_MODEL = 'instruction_synthesizer_engine_sim';

export interface EngineSettings {
  /** Wall seconds per simulated GPU second (< 1: faster than the GPU it models). */
  timeScale: number;
  prefixCaching: boolean;
}

/** A running engine sim: its Triton server and its accounting endpoint. */
export interface EngineServer extends SpawnedTriton {
  statsUrl: string;
  settings: EngineSettings;
}

/** The engine's accounting (GET on its stats port), the fields the benchmarks read. */
export interface EngineStats {
  steps: number;
  /** wall seconds the engine spent in steps (simulated step time × time scale) */
  busy_s: number;
  /** wall seconds since the model loaded */
  uptime_s: number;
  /** wall seconds with nothing running or waiting */
  idle_s: number;
  /** wall seconds lost to the engine thread waking too late to catch up (host CPU starvation) */
  lag_s?: number;
  running: number;
  waiting: number;
  requests_finished: number;
  prompt_tokens: number;
  prefix_hit_tokens: number;
  prefill_tokens: number;
  generated_tokens: number;
  preemptions: number;
  kv_usage: number;
  time_scale: number;
  config: {
    max_num_seqs: number;
    max_num_batched_tokens: number;
    enable_prefix_caching: boolean;
    kv_cache_tokens: number;
    overhead_ms: number;
    per_seq_ms: number;
    per_prefill_token_ms: number;
  };
}

// serve.py's HTTP, gRPC and metrics ports are base, base + 1, base + 2; the stats port base + 3.
const PORTS_PER_ENGINE = 4;

/** Bases of free port quadruples in [first, last]; the bench runs its engines there (not at random). */
async function freeBase(first: number, last: number, taken: Set<number>): Promise<number> {
  for (let base = first; base + PORTS_PER_ENGINE - 1 <= last; base += PORTS_PER_ENGINE) {
    if (taken.has(base)) continue;
    let free = true;
    for (let k = 0; k < PORTS_PER_ENGINE && free; k++) free = await portFree(base + k);
    if (free) return base;
  }
  throw new Error(`no ${PORTS_PER_ENGINE} free consecutive ports in ${first}–${last}`);
}

export interface PortRange {
  first: number;
  last: number;
}

const inUse = new Set<number>();

/** serve.py serving only the engine sim (echoed answers: the simulated GPU costs no host CPU). */
export async function startEngine(s: EngineSettings, ports: PortRange): Promise<EngineServer> {
  const base = await freeBase(ports.first, ports.last, inUse);
  inUse.add(base);
  const statsPort = base + 3;
  const args = [
    '--models',
    ENGINE_MODEL,
    '--engine-time-scale',
    String(s.timeScale),
    '--engine-enable-prefix-caching',
    String(s.prefixCaching),
    '--engine-answer',
    'echo',
    '--engine-stats-port',
    String(statsPort),
  ];
  console.log(`starting engine sim on ${base}: ${args.join(' ')}`);
  try {
    // As with the static sim: on a loaded box PyTriton's model load now and then fails and then
    // succeeds on a second start with the same flags.
    for (let attempt = 1; ; attempt++) {
      try {
        const server = await spawnTriton({ args, httpPort: base });
        const stop = server.stop;
        return {
          ...server,
          statsUrl: `http://127.0.0.1:${statsPort}`,
          settings: s,
          stop: async () => {
            await stop();
            inUse.delete(base);
          },
        };
      } catch (error) {
        if (attempt >= 3) throw error;
        console.log(`engine sim did not start (attempt ${attempt}); starting it again`);
      }
    }
  } catch (error) {
    inUse.delete(base);
    throw error;
  }
}

export async function engineStats(e: EngineServer): Promise<EngineStats> {
  const res = await fetch(e.statsUrl);
  if (!res.ok) throw new Error(`engine stats ${e.statsUrl}: HTTP ${res.status}`);
  return (await res.json()) as EngineStats;
}

/** The stats of several engines at one moment, in the order given. */
export const allStats = (engines: EngineServer[]) => Promise.all(engines.map(engineStats));

/** What an engine did between two readings of its stats. */
export interface EngineWindow {
  seconds: number;
  /** share of the window's wall time spent in steps */
  busy: number;
  /** share lost to host CPU starvation (the engine had work but its thread woke too late) */
  lag: number;
  finished: number;
  /** prefix-cache hits as a share of the prompt tokens admitted */
  prefixHit: number;
  prefixHitTokens: number;
  promptTokens: number;
  generatedTokens: number;
  preemptions: number;
}

/** Between two readings `a` and `b` of one engine's stats, timed by the engine's own clock. */
export function engineWindow(a: EngineStats, b: EngineStats): EngineWindow {
  const promptTokens = b.prompt_tokens - a.prompt_tokens;
  const prefixHitTokens = b.prefix_hit_tokens - a.prefix_hit_tokens;
  const seconds = b.uptime_s - a.uptime_s;
  return {
    seconds,
    busy: seconds > 0 ? (b.busy_s - a.busy_s) / seconds : Number.NaN,
    lag: seconds > 0 ? ((b.lag_s ?? 0) - (a.lag_s ?? 0)) / seconds : Number.NaN,
    finished: b.requests_finished - a.requests_finished,
    prefixHit: promptTokens > 0 ? prefixHitTokens / promptTokens : 0,
    prefixHitTokens,
    promptTokens,
    generatedTokens: b.generated_tokens - a.generated_tokens,
    preemptions: b.preemptions - a.preemptions,
  };
}

/** Chains as synth makes them at M = 2: round 0 on `first`, round 1 on `next` with round 0 as history. */
export interface ChainPair {
  first: RawDocument;
  next: RawDocument;
}

export interface CapacityResult {
  /** prompts (= documents) per second over the steady window, all engines together */
  rate: number;
  /** per engine, over the same window */
  windows: EngineWindow[];
  /** mean running and waiting sequences per engine, sampled every 200 ms in the window */
  meanRunning: number[];
  meanWaiting: number[];
  concurrency: number;
  seconds: number;
  /** CPU seconds per wall second of each engine's Triton process group in the window */
  serverCpu: number[];
}

/**
 * Saturates `engines` with the pipeline's prompt mix at M = 2: `perEngine` loops per engine, each
 * sending a chain's round 0 and then its round 1 (built from the answer, as synth builds it) to the
 * same engine, one generate request at a time, then the next chain. Counts prompts answered in a
 * window after `warmupS`; every chain is used once.
 */
export async function measureEngineCapacity(
  engines: EngineServer[],
  chains: ChainPair[],
  tokenizer: TokenCounter,
  opts: { perEngine: number; warmupS: number; seconds: number },
): Promise<CapacityResult> {
  const model: PromptTokenModel = promptTokenModel(tokenizer);
  const pools = engines.map((e) => new Pool(e.url, { connections: opts.perEngine }));
  const path = `/v2/models/${ENGINE_MODEL}/generate`;
  const generate = async (pool: Pool, prompt: string): Promise<string> => {
    const res = await pool.request({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(buildGenerateBody(prompt, SIM_PARAMS)),
    });
    const json = await res.body.json();
    if (res.statusCode !== 200) throw new Error(`generate HTTP ${res.statusCode}: ${JSON.stringify(json)}`);
    return parseGenerateResponse(json);
  };
  const t0 = performance.now();
  const windowStart = t0 + opts.warmupS * 1000;
  const end = windowStart + opts.seconds * 1000;
  let next = 0;
  let inWindow = 0;
  const count = () => {
    const now = performance.now();
    if (now >= windowStart && now <= end) inWindow++;
  };
  const loop = async (pool: Pool) => {
    while (performance.now() < end) {
      const chain = chains[next++];
      if (chain === undefined)
        throw new Error(`capacity: all ${chains.length} chains used before the window ended`);
      const out = await generate(pool, firstPrompt(chain.first));
      count();
      if (performance.now() >= end) break;
      await generate(pool, secondPrompt(chain.first, out, chain.next, model));
      count();
    }
  };
  // Engine stats at the window's edges, and running/waiting sampled inside it.
  const sampler = (async () => {
    await sleep(Math.max(0, windowStart - performance.now()));
    const first = await allStats(engines);
    const cpu0 = engines.map((e) => groupCpuSeconds(e.pid));
    const running: number[][] = engines.map(() => []);
    const waiting: number[][] = engines.map(() => []);
    while (performance.now() < end) {
      const s = await allStats(engines);
      s.forEach((x, i) => {
        running[i]?.push(x.running);
        waiting[i]?.push(x.waiting);
      });
      await sleep(200);
    }
    const last = await allStats(engines);
    const windows = first.map((a, i) => engineWindow(a, last[i] as EngineStats));
    const serverCpu = engines.map(
      (e, i) => (groupCpuSeconds(e.pid) - (cpu0[i] as number)) / (windows[i] as EngineWindow).seconds,
    );
    return { windows, running, waiting, serverCpu };
  })();
  await Promise.all(pools.flatMap((pool) => Array.from({ length: opts.perEngine }, () => loop(pool))));
  const s = await sampler;
  await Promise.all(pools.map((p) => p.close()));
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
  return {
    rate: inWindow / opts.seconds,
    windows: s.windows,
    meanRunning: s.running.map(mean),
    meanWaiting: s.waiting.map(mean),
    concurrency: opts.perEngine * engines.length,
    seconds: opts.seconds,
    serverCpu: s.serverCpu,
  };
}

/**
 * The engine's capacity in requests/s with `max_num_seqs` always running, prompts of `promptTokens`
 * uncached tokens and `outputTokens` generated (the closed form the simulator documents in
 * triton/ipt_synth/engine.py): each step samples one token per sequence, so S/N sequences finish
 * per step. For checking a measured C against what the simulator should give.
 */
export function closedFormCapacity(s: EngineStats, promptTokens: number, outputTokens: number): number {
  const c = s.config;
  const S = c.max_num_seqs;
  const N = outputTokens;
  const ms = N * c.overhead_ms + S * (N - 1) * c.per_seq_ms + S * promptTokens * c.per_prefill_token_ms;
  return (S * 1000) / (ms * s.time_scale);
}
