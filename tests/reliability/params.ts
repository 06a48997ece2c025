// Sizes of the reliability runs. The full run is the one ARCHITECTURE.md describes; IPT_RELIABILITY=ci
// picks a reduced one that fits a CI time slot (every kind of fault, fewer service kills, shorter
// outages, less traffic between faults). Any figure can be overridden from the environment.

import { mulberry32 } from '../../core/prng.ts';
import { BROKER_FAULTS, type BrokerFault } from './broker-faults.ts';

export interface ChaosParams {
  profile: 'full' | 'ci';
  partitions: number;
  /**
   * Documents are fed until the schedule is done (feed.ts): the feed keeps about this many seconds of
   * work (at the rate of the last half minute) waiting ahead of synth, and never fewer than minBacklog.
   */
  backlogSeconds: number;
  minBacklog: number;
  /** Rounds committed after one fault ended (and before the first) before the next fault strikes. */
  roundsBetweenFaults: number;
  /** SIGKILLs of synth and assemble together. */
  kills: number;
  /** Kafka faults on the three-node cluster, each once (broker-faults.ts). */
  brokerFaults: BrokerFault[];
  /** How long a killed broker stays down. */
  brokerDownMs: number;
  /** How long a broker stays frozen by SIGSTOP. */
  brokerPauseMs: number;
  /** How long every Triton endpoint stays down. */
  tritonStopMs: number;
  /** How long one endpoint answers every batch with an error. */
  endpointFaultMs: number;
  /** Least pause between one fault's end and the next fault. */
  minGapMs: number;
  /** Whole run: documents in, chaos, every document accounted for. */
  timeoutMs: number;
  seed: number;
}

/**
 * The static-batch GPU-cost simulator (IPT_RELIABILITY_MODEL=instruction_synthesizer_sim): a fixed
 * cost per batch. Capacity per endpoint = max batch / delay: full 16 / 0.45 s ≈ 36 rounds/s, ci 8 / 0.4 s = 20.
 */
export const SIM_MODEL = 'instruction_synthesizer_sim';

/**
 * The model of both runs: the continuous-batching engine simulator — decoupled, max_batch_size 0,
 * reached like the production vLLM model (generate extension, adaptive in-flight limit, chain
 * affinity). A simulated GPU keeps the rate of rounds near a real engine's, so the backlog the feed
 * keeps stays small (the CPU synthesizer alone finishes thousands of documents in seconds). Its size (16 sequence slots, the simulated H100's steps at 0.3 of their
 * time; answers run to max_tokens) gives 20–30 rounds/s here.
 */
export const ENGINE_MODEL = 'instruction_synthesizer_engine_sim';

/** The model synth uses in the chaos run (IPT_RELIABILITY_MODEL overrides). */
export function chaosModel(): string {
  return process.env.IPT_RELIABILITY_MODEL || ENGINE_MODEL;
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
    backlogSeconds: envNumber('IPT_RELIABILITY_BACKLOG_S', 20),
    minBacklog: envNumber('IPT_RELIABILITY_MIN_BACKLOG', 200),
    roundsBetweenFaults: envNumber('IPT_RELIABILITY_ROUNDS_BETWEEN', ci ? 100 : 300),
    partitions: envNumber('IPT_RELIABILITY_PARTITIONS', 4),
    kills: envNumber('IPT_RELIABILITY_KILLS', ci ? 4 : 10),
    brokerFaults: brokerFaults(process.env.IPT_RELIABILITY_BROKER_FAULTS),
    brokerDownMs: envNumber('IPT_RELIABILITY_BROKER_DOWN_S', ci ? 10 : 30) * 1000,
    brokerPauseMs: envNumber('IPT_RELIABILITY_BROKER_PAUSE_S', ci ? 15 : 30) * 1000,
    tritonStopMs: envNumber('IPT_RELIABILITY_TRITON_STOP_S', ci ? 10 : 30) * 1000,
    endpointFaultMs: envNumber('IPT_RELIABILITY_FAULT_S', ci ? 8 : 20) * 1000,
    minGapMs: ci ? 2_000 : 5_000,
    timeoutMs: envNumber('IPT_RELIABILITY_TIMEOUT_S', ci ? 1_200 : 2_400) * 1000,
    seed: envNumber('IPT_RELIABILITY_SEED', Date.now() % 100_000),
  };
}

/** `all` (the default), `none`, or a comma-separated list of BROKER_FAULTS. */
function brokerFaults(raw: string | undefined): BrokerFault[] {
  if (raw === undefined || raw === '' || raw === 'all') return [...BROKER_FAULTS];
  if (raw === 'none') return [];
  const named = raw.split(',').map((s) => s.trim());
  const unknown = named.filter((f) => !(BROKER_FAULTS as readonly string[]).includes(f));
  if (unknown.length > 0)
    throw new Error(
      `IPT_RELIABILITY_BROKER_FAULTS: unknown ${unknown.join(', ')}; known: ${BROKER_FAULTS.join(', ')}`,
    );
  return named as BrokerFault[];
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
