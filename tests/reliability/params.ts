// Sizes of the reliability runs. The full run is what issue #10 asks for; IPT_RELIABILITY=ci picks a
// reduced one that fits a CI time slot (same kinds of faults, fewer documents and kills, shorter outage).
// Any figure can be overridden from the environment.

import { mulberry32 } from '../../core/prng.ts';

export interface ChaosParams {
  profile: 'full' | 'ci';
  documents: number;
  partitions: number;
  /** SIGKILLs of synth and assemble together. */
  kills: number;
  brokerRestart: boolean;
  /** How long every Triton endpoint stays down. */
  tritonStopMs: number;
  /** How long one endpoint answers every batch with an error. */
  endpointFaultMs: number;
  /** Random pause before each chaos event, between these bounds. */
  gapMs: [number, number];
  /** Whole run: documents in, chaos, every document accounted for. */
  timeoutMs: number;
  seed: number;
}

/**
 * The simulated GPU both Triton endpoints serve during the chaos run: a fixed cost per batch, so the
 * run takes long enough for every fault of the schedule to land while documents are still in flight,
 * whatever the speed of the machine (the CPU synthesizer alone finishes 2 500 documents in seconds).
 * Capacity per endpoint = max batch / delay: full 16 / 0.45 s ≈ 36 rounds/s, ci 8 / 0.4 s = 20.
 */
export const SIM_MODEL = 'instruction_synthesizer_sim';

/**
 * The continuous-batching engine simulator: decoupled, max_batch_size 0, reached like the production
 * vLLM model (generate extension, adaptive in-flight limit, chain affinity). The reduced run uses it,
 * so CI exercises that path under the faults; the full run keeps the static-batch sim. Its size (16
 * sequence slots, the simulated H100's steps at 0.3 of their time; answers run to max_tokens) gives
 * about the static sim's rounds per second, so the schedule lands while documents are in flight and
 * the run still ends well inside its timeout.
 */
export const ENGINE_MODEL = 'instruction_synthesizer_engine_sim';

/** The model synth uses in the chaos run (IPT_RELIABILITY_MODEL overrides). */
export function chaosModel(): string {
  return process.env.IPT_RELIABILITY_MODEL || (isCi() ? ENGINE_MODEL : SIM_MODEL);
}

/** serve.py flags of every Triton endpoint of the run (both models' knobs; each model reads its own). */
export function simArgs(): string[] {
  const ci = isCi();
  return [
    '--sim-batch-delay-ms',
    String(envNumber('IPT_RELIABILITY_SIM_DELAY_MS', ci ? 400 : 450)),
    '--sim-max-batch',
    String(envNumber('IPT_RELIABILITY_SIM_MAX_BATCH', ci ? 8 : 16)),
    '--sim-instances',
    '1',
    '--sim-per-token-ms',
    '0',
    '--engine-max-num-seqs',
    String(envNumber('IPT_RELIABILITY_ENGINE_SEQS', 16)),
    '--engine-time-scale',
    String(envNumber('IPT_RELIABILITY_ENGINE_TIME_SCALE', 0.3)),
  ];
}

export interface FuzzParams {
  /** Random-bytes files, and fuzzed lines inside the JSONL file. */
  randomFiles: number;
  jsonlLines: number;
  /** Nesting depth of the deeply nested JSON line. */
  nestingDepth: number;
  /** Bytes of the huge line. */
  hugeLineBytes: number;
  seed: number;
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${raw} is not a non-negative number`);
  return n;
}

export const isCi = () => process.env.IPT_RELIABILITY === 'ci';

export function chaosParams(): ChaosParams {
  const ci = isCi();
  return {
    profile: ci ? 'ci' : 'full',
    documents: envNumber('IPT_RELIABILITY_DOCS', ci ? 2_500 : 20_000),
    partitions: envNumber('IPT_RELIABILITY_PARTITIONS', 4),
    kills: envNumber('IPT_RELIABILITY_KILLS', ci ? 4 : 10),
    brokerRestart: process.env.IPT_RELIABILITY_BROKER_RESTART !== '0',
    tritonStopMs: envNumber('IPT_RELIABILITY_TRITON_STOP_S', ci ? 10 : 30) * 1000,
    endpointFaultMs: envNumber('IPT_RELIABILITY_FAULT_S', ci ? 8 : 20) * 1000,
    gapMs: ci ? [2_000, 6_000] : [6_000, 16_000],
    timeoutMs: envNumber('IPT_RELIABILITY_TIMEOUT_S', ci ? 300 : 1_500) * 1000,
    seed: envNumber('IPT_RELIABILITY_SEED', Date.now() % 100_000),
  };
}

export function fuzzParams(): FuzzParams {
  const ci = isCi();
  return {
    randomFiles: envNumber('IPT_RELIABILITY_FUZZ_FILES', ci ? 12 : 40),
    jsonlLines: envNumber('IPT_RELIABILITY_FUZZ_LINES', ci ? 300 : 2_000),
    nestingDepth: envNumber('IPT_RELIABILITY_FUZZ_DEPTH', 100_000),
    hugeLineBytes: envNumber('IPT_RELIABILITY_FUZZ_HUGE_MB', ci ? 12 : 40) * 1024 * 1024,
    seed: envNumber('IPT_RELIABILITY_SEED', Date.now() % 100_000),
  };
}

/** Seeded (core's mulberry32): a failing run is repeated with IPT_RELIABILITY_SEED. */
export const prng = mulberry32;
