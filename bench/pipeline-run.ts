// One measured run of the whole pipeline, shared by the benchmarks that drive it (bench/pipeline.ts
// on the static-batch simulator, bench/engine.ts on the continuous-batching engine simulator):
// start the services on fresh topics, feed documents through ingest, follow the committed augmented
// topic, and read throughput, CPU per document and latency.

import { readFileSync } from 'node:fs';
import type { AugmentedRecord, RawDocument, SynthRound } from '../core/types.ts';
import { type Follower, followTopics } from '../lib/kafka/follow-topics.ts';
import { avroCodec, registryClient } from '../lib/registry.ts';
import type { Topics } from '../lib/topics.ts';
import { stackConfig } from '../stack/config.ts';
import { endpointsFile } from '../stack/stack.ts';
import { type FeedDoc, ndjsonBodies, postAll, postPaced } from './feed.ts';
import { cpuSeconds, groupCpuSeconds, sleep } from './proc.ts';
import { fmt, quantile } from './results.ts';
import {
  benchKafka,
  endpoints,
  type PipelineSettings,
  type RunningPipeline,
  startServices,
  withTopics,
} from './services.ts';

/** Inference servers the pipeline talks to: their URLs go to synth, their process groups' CPU is counted. */
export interface InferenceServer {
  url: string;
  pid: number;
}

/** How the bench runs the pipeline, the same in every run of one benchmark. */
export interface RunShape {
  partitions: number;
  /** A partial block at the end of a finite input closes this long after its last record. */
  idleMs: number;
  /** Ingest's worker threads (0: its steps on the main thread). */
  threads: number;
}

const registry = registryClient(endpoints.registry.url);
// The stack's endpoints file also names the broker's pid (not part of the Endpoints type).
const BROKER_PID = Number(
  (
    JSON.parse(readFileSync(process.env.IPT_ENDPOINTS ?? endpointsFile(stackConfig()), 'utf8')) as {
      kafka?: { pid?: number };
    }
  ).kafka?.pid ?? 0,
);

export interface Arrivals {
  follower: Follower;
  /** doc id → ms since the epoch its augmented record arrived (committed) here */
  arrived: Map<string, number>;
  /** doc id → position of its round in the chain */
  position: Map<string, number>;
  /** doc id → RawDocument.ingested_at, when the raw topic is followed too */
  ingested: Map<string, number>;
  /** doc id → when its SynthRound arrived here, when the rounds topic is followed too */
  synthesized: Map<string, number>;
}

/** Follows the augmented topic (and optionally the raw one) read_committed, noting arrival times. */
export async function follow(topics: Topics, all: boolean): Promise<Arrivals> {
  const augmented = await avroCodec<AugmentedRecord>(registry, topics.augmented);
  const rawCodec = all ? await avroCodec<RawDocument>(registry, topics.raw) : undefined;
  const roundCodec = all ? await avroCodec<SynthRound>(registry, topics.rounds) : undefined;
  const arrived = new Map<string, number>();
  const position = new Map<string, number>();
  const ingested = new Map<string, number>();
  const synthesized = new Map<string, number>();
  const follower = await followTopics(benchKafka, {
    topics: all ? [topics.augmented, topics.raw, topics.rounds] : [topics.augmented],
    from: 'earliest',
    async onMessages(topic, _partition, messages) {
      const now = Date.now();
      for (const m of messages) {
        if (!m.value) continue;
        if (topic === topics.raw && rawCodec) {
          const d = await rawCodec.decode(m.value);
          ingested.set(d.doc_id, Number(d.ingested_at));
        } else if (topic === topics.rounds && roundCodec) {
          const r = await roundCodec.decode(m.value);
          if (r.kind === 'ROUND') synthesized.set(r.doc_id, now);
        } else {
          const r = await augmented.decode(m.value);
          r.doc_ids.forEach((id, k) => {
            arrived.set(id, now);
            position.set(id, k);
          });
        }
      }
    },
  });
  return { follower, arrived, position, ingested, synthesized };
}

export async function until(
  what: string,
  p: RunningPipeline,
  done: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    for (const s of p.all())
      if (!s.proc.alive()) throw new Error(`${s.name} exited while waiting for ${what}:\n${s.proc.tail()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export interface Sample<P = undefined> {
  /** performance.now() */
  t: number;
  /** rounds produced by synth so far */
  n: number;
  /** what the run's probe read at the same moment */
  probe: P;
}

/** The first samples at which synth's count reached 10 % and 90 % of `total`: the steady window. */
export function steadyWindow<P>(
  samples: Sample<P>[],
  total: number,
): { lo: Sample<P>; hi: Sample<P> } | undefined {
  const lo = samples.find((s) => s.n >= 0.1 * total);
  const hi = samples.find((s) => s.n >= 0.9 * total);
  return lo && hi && hi.t > lo.t ? { lo, hi } : undefined;
}

/** rounds/s over the window in which synth's count went from 10 % to 90 % of `total`. */
export function steadyRate<P>(samples: Sample<P>[], total: number): number {
  const w = steadyWindow(samples, total);
  return w ? (w.hi.n - w.lo.n) / ((w.hi.t - w.lo.t) / 1000) : Number.NaN;
}

export interface RunResult<P = undefined> {
  docs: number;
  /** first POST → last document's augmented record arrived */
  seconds: number;
  docsPerSec: number;
  /** synth rounds/s, steady window (10 % → 90 % of the rounds) */
  steadyRounds: number;
  /** CPU seconds per document by process */
  cpuPerDoc: Record<string, number>;
  /** synth's round count (and the probe) every 200 ms */
  samples: Sample<P>[];
}

export interface RunHooks<P> {
  /** Read with every sample (e.g. an inference server's own accounting, the services' metrics). */
  probe?: (p: RunningPipeline) => Promise<P>;
  /** Called with the running pipeline after the last record arrived, before it stops. */
  inspect?: (p: RunningPipeline) => Promise<void>;
}

/** Feeds `docs` through ingest as fast as it takes them and waits for every augmented record. */
export async function throughput<P = undefined>(
  label: string,
  servers: InferenceServer[],
  settings: Omit<PipelineSettings, 'tritonUrl'>,
  docs: FeedDoc[],
  shape: RunShape,
  hooks: RunHooks<P> = {},
): Promise<RunResult<P>> {
  return withTopics(`bench-pipe-${label}`, shape.partitions, async (topics) => {
    const p = await startServices(topics, {
      ...settings,
      tritonUrl: servers.map((s) => s.url).join(','),
      synthArgs: ['--idle-ms', String(shape.idleMs), ...(settings.synthArgs ?? [])],
      threads: shape.threads,
    });
    const arrivals = await follow(topics, false);
    try {
      const bodies = ndjsonBodies(docs, 250);
      const cpu0 = cpuSnapshot(p, servers);
      const t0Wall = Date.now();
      const samples: Sample<P>[] = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const [n, probe] = await Promise.all([p.rounds(), hooks.probe?.(p)]);
          samples.push({ t: performance.now(), n, probe: probe as P });
          await sleep(200);
        }
      })();
      const accepted = await postAll(p.ingest?.url as string, bodies, 2);
      if (accepted !== docs.length)
        throw new Error(`${label}: ingest accepted ${accepted} of ${docs.length}`);
      await until(
        `${label}: every augmented record`,
        p,
        () => arrivals.arrived.size >= docs.length,
        15 * 60_000,
      );
      const cpu1 = cpuSnapshot(p, servers);
      sampling = false;
      await sampler;
      await hooks.inspect?.(p);
      const last = Math.max(...arrivals.arrived.values());
      const seconds = (last - t0Wall) / 1000;
      const cpuPerDoc: Record<string, number> = {};
      for (const k of Object.keys(cpu1)) cpuPerDoc[k] = ((cpu1[k] ?? 0) - (cpu0[k] ?? 0)) / docs.length;
      const r = {
        docs: docs.length,
        seconds,
        docsPerSec: docs.length / seconds,
        steadyRounds: steadyRate(samples, docs.length),
        cpuPerDoc,
      };
      console.log(`${label}: ${JSON.stringify(r)}`);
      return { ...r, samples };
    } finally {
      await arrivals.follower.stop();
      await p.stop();
    }
  });
}

/** CPU seconds so far of each pipeline process, the inference servers' process groups, the shared broker and this process. */
function cpuSnapshot(p: RunningPipeline, servers: InferenceServer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of p.all()) out[s.name] = cpuSeconds(s.proc.pid);
  out.triton = servers.reduce((sum, s) => sum + groupCpuSeconds(s.pid), 0);
  out['kafka (shared broker)'] = cpuSeconds(BROKER_PID);
  const self = process.cpuUsage();
  out['bench (feeder, follower)'] = (self.user + self.system) / 1e6;
  return out;
}

export interface LatencyResult {
  /** ms from ingested_at to the augmented record, documents ingested inside the window */
  all: number[];
  /** the same by the document's position in its chain */
  byPosition: number[][];
  /** ms from ingested_at to the document's own SynthRound, by position */
  toRound: number[][];
  fed: number;
  feedSeconds: number;
  perBody: number;
  intervalMs: number;
}

/**
 * Feeds `docs` through ingest at `rate` docs/s (bodies of rate/10 every 100 ms) and measures each
 * document's ingested_at → committed augmented record, leaving out the first and last 5 s.
 */
export async function latencyRun(
  label: string,
  servers: InferenceServer[],
  settings: Omit<PipelineSettings, 'tritonUrl'>,
  docs: FeedDoc[],
  rate: number,
  shape: RunShape,
): Promise<LatencyResult> {
  const perBody = Math.max(1, Math.round(rate / 10));
  const intervalMs = (perBody / rate) * 1000;
  return withTopics(`bench-pipe-${label}`, shape.partitions, async (topics) => {
    const p = await startServices(topics, {
      ...settings,
      tritonUrl: servers.map((s) => s.url).join(','),
      synthArgs: ['--idle-ms', String(shape.idleMs), ...(settings.synthArgs ?? [])],
      threads: shape.threads,
    });
    const arrivals = await follow(topics, true);
    try {
      const feedStart = Date.now();
      await postPaced(p.ingest?.url as string, ndjsonBodies(docs, perBody), intervalMs);
      const feedEnd = Date.now();
      await until('every augmented record', p, () => arrivals.arrived.size >= docs.length, 5 * 60_000);
      // The first seconds warm caches and fill the first blocks; the last ones end in partial
      // blocks closed by the idle timer, which a never-ending stream does not have.
      const lo = feedStart + 5_000;
      const hi = feedEnd - 5_000;
      const all: number[] = [];
      const byPosition: number[][] = [[], []];
      const toRound: number[][] = [[], []];
      for (const [id, at] of arrivals.arrived) {
        const ingestedAt = arrivals.ingested.get(id);
        if (ingestedAt === undefined || ingestedAt < lo || ingestedAt > hi) continue;
        const k = arrivals.position.get(id) ?? 0;
        all.push(at - ingestedAt);
        byPosition[k]?.push(at - ingestedAt);
        const synthesizedAt = arrivals.synthesized.get(id);
        if (synthesizedAt !== undefined) toRound[k]?.push(synthesizedAt - ingestedAt);
      }
      return {
        all,
        byPosition,
        toRound,
        fed: docs.length,
        feedSeconds: (feedEnd - feedStart) / 1000,
        perBody,
        intervalMs,
      };
    } finally {
      await arrivals.follower.stop();
      await p.stop();
    }
  });
}

/** The latency table's rows (| documents | n | p50 | p99 | max |). */
export function latencyRows(r: LatencyResult): string[] {
  const row = (label: string, xs: number[]) =>
    `| ${label} | ${xs.length} | ${fmt(quantile(xs, 0.5) / 1000, 2)} s | ${fmt(quantile(xs, 0.99) / 1000, 2)} s | ${fmt(Math.max(...xs) / 1000, 2)} s |`;
  return [
    '| documents | n | p50 | p99 | max |',
    '| --- | --- | --- | --- | --- |',
    row('all', r.all),
    row('round 0 of their chain', r.byPosition[0] ?? []),
    row('round 1 of their chain', r.byPosition[1] ?? []),
    row('… only to their own SynthRound, round 0', r.toRound[0] ?? []),
    row('… only to their own SynthRound, round 1', r.toRound[1] ?? []),
  ];
}
