// The GPU work a synth crash wastes, from the engines' own accounting (the engine sim's JSON stats
// port) against what the rounds topic committed: generated ÷ committed output tokens, rounds
// generated again per kill, GPU-seconds wasted per kill, and the prefix-cache hit share in the
// minute after each kill against the share before the first. Used by bench/crash-waste.ts and the
// chaos run.

import type { Kafka } from 'kafkajs';
import { mistralTokenizer } from '../../core/mistral.ts';
import type { SynthRound } from '../../core/types.ts';
import { avroCodec, registryClient } from '../../lib/registry.ts';
import { readCommitted } from '../helpers/read-topic.ts';

/** The counters of one engine's stats (GET http://127.0.0.1:<engineStatsPort>/) this module uses. */
export interface EngineCounters {
  requests_finished: number;
  generated_tokens: number;
  prompt_tokens: number;
  prefix_hit_tokens: number;
  /** Prompt tokens computed (not found in the prefix cache). */
  prefill_tokens: number;
  /** Simulated GPU time, milliseconds at time scale 1. */
  busy_ms: number;
}

/** The engine's scheduling limit and step cost (its stats' `config`). */
export interface EngineCost {
  max_num_seqs: number;
  overhead_ms: number;
  per_seq_ms: number;
  per_prefill_token_ms: number;
}

export interface EngineSample {
  at: number;
  /** Summed over every engine watched. */
  counters: EngineCounters;
}

const COUNTERS: (keyof EngineCounters)[] = [
  'requests_finished',
  'generated_tokens',
  'prompt_tokens',
  'prefix_hit_tokens',
  'prefill_tokens',
  'busy_ms',
];
const zero = (): EngineCounters => ({
  requests_finished: 0,
  generated_tokens: 0,
  prompt_tokens: 0,
  prefix_hit_tokens: 0,
  prefill_tokens: 0,
  busy_ms: 0,
});
const minus = (a: EngineCounters, b: EngineCounters): EngineCounters => {
  const out = zero();
  for (const k of COUNTERS) out[k] = a[k] - b[k];
  return out;
};

/** Every engine's counters now, summed. */
export async function engineCounters(statsUrls: readonly string[]): Promise<EngineCounters> {
  const sum = zero();
  for (const url of statsUrls) {
    const stats = (await (
      await fetch(url, { signal: AbortSignal.timeout(10_000) })
    ).json()) as EngineCounters;
    for (const k of COUNTERS) sum[k] += Number(stats[k] ?? 0);
  }
  return sum;
}

/** One engine's step cost, from its stats. */
export async function engineCost(statsUrl: string): Promise<EngineCost> {
  const stats = (await (await fetch(statsUrl, { signal: AbortSignal.timeout(10_000) })).json()) as {
    config: EngineCost;
  };
  return stats.config;
}

/**
 * Samples the engines' counters every `intervalMs` until stopped. The samples are running totals over
 * every engine: an engine that stops answering is skipped until it is back, and one whose counters
 * went down was restarted (the chaos run stops Triton), so its new counters are counted from zero.
 */
export class EngineWatch {
  readonly samples: EngineSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly last = new Map<string, EngineCounters>();
  private readonly total = zero();

  private constructor(private readonly statsUrls: readonly string[]) {}

  static async start(statsUrls: readonly string[], intervalMs = 1_000): Promise<EngineWatch> {
    const watch = new EngineWatch(statsUrls);
    await watch.sample();
    watch.timer = setInterval(() => void watch.sample().catch(() => {}), intervalMs);
    return watch;
  }

  async sample(): Promise<void> {
    const answers = await Promise.all(
      this.statsUrls.map((url) =>
        engineCounters([url]).then(
          (c) => [url, c] as const,
          () => undefined,
        ),
      ),
    );
    for (const answer of answers) {
      if (!answer) continue;
      const [url, now] = answer;
      const before = this.last.get(url);
      const restarted = before !== undefined && COUNTERS.some((k) => now[k] < before[k]);
      const delta = before && !restarted ? minus(now, before) : now;
      for (const k of COUNTERS) this.total[k] += delta[k];
      this.last.set(url, now);
    }
    this.samples.push({ at: Date.now(), counters: { ...this.total } });
  }

  async stop(): Promise<EngineSample[]> {
    clearInterval(this.timer);
    await this.sample();
    return this.samples;
  }
}

export interface CommittedOutput {
  rounds: number;
  /** Output tokens of the committed rounds (Mistral tokenizer, at least 1 a round as the engine counts). */
  outputTokens: number;
}

/** What the rounds topic committed for one run (ROUND records only). */
export async function committedOutput(
  kafka: Kafka,
  registryUrl: string,
  roundsTopic: string,
  runId?: string,
): Promise<CommittedOutput> {
  const codec = await avroCodec<SynthRound>(registryClient(registryUrl), roundsTopic);
  const tokenizer = mistralTokenizer();
  let rounds = 0;
  let outputTokens = 0;
  for (const record of await readCommitted(kafka, roundsTopic)) {
    if (!record.value) continue;
    const round = await codec.decode(record.value);
    if (round.kind !== 'ROUND' || (runId !== undefined && round.run.run_id !== runId)) continue;
    rounds++;
    outputTokens += Math.max(1, tokenizer.count(round.raw_output));
  }
  return { rounds, outputTokens };
}

export interface GpuWasteInput {
  /** EngineWatch samples covering the run (the first before any traffic, the last after it). */
  samples: readonly EngineSample[];
  /** When each SIGKILL landed (epoch ms). */
  kills: readonly number[];
  committed: CommittedOutput;
  /** Sum of synth's ipt_synth_regenerated_rounds_total over its processes, if read. */
  synthRegeneratedRounds?: number;
  /** The window after a kill whose prefix-hit share is measured (default 60 s, cut at the next kill). */
  windowMs?: number;
  /** The engines' step cost and how many there are: gives the GPU time of one full batch. */
  engines?: { cost: EngineCost; count: number };
}

export interface GpuWaste {
  generatedTokens: number;
  committedTokens: number;
  /** generated ÷ committed output tokens: 1 when the GPU did nothing twice. */
  ratio: number;
  generatedRounds: number;
  committedRounds: number;
  /** Rounds the engines finished beyond those committed: generated again (or for nobody). */
  regeneratedRounds: number;
  regeneratedRoundsPerKill: number;
  /** synth's own count, when given. */
  synthRegeneratedRounds: number | undefined;
  /** Engine busy time × the share of generated tokens that was not committed (GPU seconds at time scale 1). */
  wastedGpuSeconds: number;
  wastedGpuSecondsPerKill: number;
  busyGpuSeconds: number;
  /**
   * GPU time of one full batch (max_num_seqs requests of the run's average prefill and output) on
   * every engine: what the requests running at a kill can cost at most, since Triton's HTTP
   * frontend does not cancel a request whose client has gone. NaN without `engines`.
   */
  fullBatchGpuSeconds: number;
  /** Prefix-hit tokens ÷ prompt tokens over the run outside the windows after kills. */
  prefixHitShareSteady: number;
  /** The same over the windows after each kill (from the kill to a minute later or the next kill). */
  prefixHitShareAfterKills: number;
}

/** The figures of a run from its engine samples, kill times and committed output. */
export function gpuWaste(input: GpuWasteInput): GpuWaste {
  const { samples, kills, committed } = input;
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last) throw new Error('gpuWaste needs engine samples');
  const total = minus(last.counters, first.counters);
  const at = (t: number) => {
    // The latest sample at or before t (the first one if t is earlier).
    let best = first;
    for (const s of samples) if (s.at <= t) best = s;
    return best.counters;
  };
  const windowed = (windows: [number, number][]) => {
    let hits = 0;
    let prompts = 0;
    for (const [from, to] of windows) {
      const d = minus(at(to), at(from));
      hits += d.prefix_hit_tokens;
      prompts += d.prompt_tokens;
    }
    return { hits, prompts };
  };
  const ratioOf = (hits: number, prompts: number) => (prompts > 0 ? hits / prompts : Number.NaN);
  const windowMs = input.windowMs ?? 60_000;
  const sorted = [...kills].sort((a, b) => a - b);
  const afterKills = sorted.map((k, i): [number, number] => [
    k,
    Math.min(k + windowMs, sorted[i + 1] ?? last.at),
  ]);
  const after = windowed(afterKills);
  const n = Math.max(1, sorted.length);
  const wastedTokens = Math.max(0, total.generated_tokens - committed.outputTokens);
  const busyGpuSeconds = total.busy_ms / 1000;
  const wastedGpuSeconds =
    total.generated_tokens > 0 ? (busyGpuSeconds * wastedTokens) / total.generated_tokens : 0;
  const regeneratedRounds = Math.max(0, total.requests_finished - committed.rounds);
  let fullBatchGpuSeconds = Number.NaN;
  if (input.engines && total.requests_finished > 0) {
    const { cost, count } = input.engines;
    const s = cost.max_num_seqs;
    const out = total.generated_tokens / total.requests_finished;
    const prefill = total.prefill_tokens / total.requests_finished;
    const batchMs =
      out * cost.overhead_ms + s * (out - 1) * cost.per_seq_ms + s * prefill * cost.per_prefill_token_ms;
    fullBatchGpuSeconds = (count * batchMs) / 1000;
  }
  return {
    generatedTokens: total.generated_tokens,
    committedTokens: committed.outputTokens,
    ratio: committed.outputTokens > 0 ? total.generated_tokens / committed.outputTokens : Number.NaN,
    generatedRounds: total.requests_finished,
    committedRounds: committed.rounds,
    regeneratedRounds,
    regeneratedRoundsPerKill: regeneratedRounds / n,
    synthRegeneratedRounds: input.synthRegeneratedRounds,
    wastedGpuSeconds,
    wastedGpuSecondsPerKill: wastedGpuSeconds / n,
    busyGpuSeconds,
    fullBatchGpuSeconds,
    prefixHitShareSteady: ratioOf(total.prefix_hit_tokens - after.hits, total.prompt_tokens - after.prompts),
    prefixHitShareAfterKills: ratioOf(after.hits, after.prompts),
  };
}
