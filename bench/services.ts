// The pipeline as an operator runs it, for benchmarks: `ipt ingest --serve`, `ipt dedup`, N × `ipt
// synth` and `ipt assemble`, each its own child process on fresh namespaced topics, so each
// service's CPU time and RSS can be read from /proc and its progress from its /metrics.

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { loadEndpoints } from '../lib/endpoints.ts';
import { kafkaClient } from '../lib/kafka/client.ts';
import type { Topics } from '../lib/topics.ts';
import { portFree } from '../stack/processes.ts';
import { freshTopics } from '../tests/helpers/pipeline-topics.ts';
import { type ServiceProcess, spawnIpt } from '../tests/helpers/service-process.ts';
import { metric, sleep } from './proc.ts';

export const endpoints = loadEndpoints();
export const benchKafka: Kafka = kafkaClient('ipt-bench', endpoints.kafka.brokers);

const NAMESPACE_SUFFIX = `.${'ipt.docs.raw'}`;
export const namespaceOf = (topics: Topics) => topics.raw.slice(0, -NAMESPACE_SUFFIX.length);

/** A free port below the ephemeral range, so no outgoing connection takes it before the child binds. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await portFree(port)) return port;
  }
  throw new Error('no free port');
}

export interface Service {
  name: string;
  proc: ServiceProcess;
  opsPort: number;
}

export interface PipelineSettings {
  tritonUrl: string;
  model: string;
  /** M */
  rounds: number;
  /** K */
  chains?: number;
  /** `--max-batch`; synth's default when absent */
  maxBatch?: number;
  /** `--max-in-flight`; synth's default when absent */
  maxInFlight?: number;
  synthInstances: number;
  /** Extra `ipt synth` flags (e.g. --max-buffered). */
  synthArgs?: string[];
  /** Leave ingest out (documents are produced straight to the raw topic). */
  ingest?: boolean;
  /** false: ingest writes straight to the raw topic (`--no-dedup`) and no `ipt dedup` runs. */
  dedup?: boolean;
  /** Leave assemble out. */
  assemble?: boolean;
  /** Ingest's worker threads (the service default when absent). */
  threads?: number;
}

export interface RunningPipeline {
  topics: Topics;
  runId: string;
  ingest?: Service & { url: string };
  dedup?: Service;
  synth: Service[];
  assemble?: Service;
  all(): Service[];
  /** rounds produced by every synth instance (their /metrics). */
  rounds(): Promise<number>;
  /** augmented records emitted by assemble (its /metrics, counted when queued for the next commit). */
  emitted(): Promise<number>;
  stop(): Promise<void>;
}

export async function startServices(topics: Topics, s: PipelineSettings): Promise<RunningPipeline> {
  const ns = namespaceOf(topics);
  const runId = `bench-${randomUUID().slice(0, 8)}`;
  const started: Service[] = [];
  const start = async (name: string, args: string[]) => {
    const opsPort = await freePort();
    const proc = spawnService([...args, '--topic-namespace', ns, '--ops-port', String(opsPort)], name);
    const service = { name, proc, opsPort };
    started.push(service);
    return service;
  };
  try {
    // Downstream first, as `ipt run` does: each stage is consuming before its input arrives.
    const assemble = s.assemble === false ? undefined : await start('assemble', ['assemble', '--run', runId]);
    const synth: Service[] = [];
    for (let i = 0; i < s.synthInstances; i++) {
      synth.push(
        await start(`synth-${i}`, [
          'synth',
          '--run-id',
          runId,
          '--triton',
          s.tritonUrl,
          '--model',
          s.model,
          '--m',
          String(s.rounds),
          '--k',
          String(s.chains ?? 16),
          ...(s.maxBatch !== undefined ? ['--max-batch', String(s.maxBatch)] : []),
          ...(s.maxInFlight !== undefined ? ['--max-in-flight', String(s.maxInFlight)] : []),
          ...(s.synthArgs ?? []),
        ]),
      );
    }
    let ingest: (Service & { url: string }) | undefined;
    const withStage = s.ingest !== false && s.dedup !== false;
    const dedup = withStage ? await start('dedup', ['dedup']) : undefined;
    if (s.ingest !== false) {
      const port = await freePort();
      const service = await start('ingest', [
        'ingest',
        '--serve',
        '--port',
        String(port),
        // The bench's made-up-word texts are not English prose: the language and quality filters would
        // drop them. These benches measure the synthesis path; bench/ingest-warc.ts measures the filters.
        '--no-language-filter',
        '--no-quality',
        ...(withStage ? [] : ['--no-dedup']),
        ...(s.threads !== undefined ? ['--threads', String(s.threads)] : []),
      ]);
      ingest = { ...service, url: `http://127.0.0.1:${port}` };
    }
    await waitReady(started);
    return {
      topics,
      runId,
      ...(ingest ? { ingest } : {}),
      ...(dedup ? { dedup } : {}),
      synth,
      ...(assemble ? { assemble } : {}),
      all: () => started,
      rounds: async () =>
        (await Promise.all(synth.map((x) => metric(x.opsPort, 'ipt_synth_rounds_total')))).reduce(
          (a, b) => a + b,
          0,
        ),
      emitted: async () =>
        assemble ? metric(assemble.opsPort, 'ipt_assemble_records_total', 'event="emitted"') : 0,
      stop: () => stopAll(started),
    };
  } catch (error) {
    await Promise.all(started.map((x) => x.proc.kill()));
    throw error;
  }
}

/**
 * `ipt <args>` as a child process (tests/helpers spawnIpt); with IPT_BENCH_CPU_PROF=<dir> the child
 * runs under `node --cpu-prof` (not allowed in NODE_OPTIONS) and writes its profile there on exit.
 */
function spawnService(args: string[], name: string): ServiceProcess {
  const dir = process.env.IPT_BENCH_CPU_PROF;
  if (!dir) return spawnIpt(args, name);
  // A directory per service: each thread (the ESM loader's hooks worker too) writes its own file.
  return spawnIpt(args, name, { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', join(dir, name)], logDir: dir });
}

/** Every service answers /readyz 200 (assigned, restored, Triton reachable). */
export async function waitReady(services: Service[], timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const s of services) {
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${s.opsPort}/readyz`)).ok) break;
      } catch {
        // not listening yet
      }
      if (!s.proc.alive()) throw new Error(`${s.name} exited:\n${s.proc.tail()}`);
      if (Date.now() > deadline) throw new Error(`${s.name} not ready in ${timeoutMs} ms:\n${s.proc.tail()}`);
      await sleep(250);
    }
  }
}

async function stopAll(services: Service[]): Promise<void> {
  // Upstream first, so nothing downstream waits on input that will not come.
  for (const s of [...services].reverse()) {
    await s.proc.stop().catch(async () => s.proc.kill());
  }
}

export async function withTopics<T>(
  prefix: string,
  partitions: number,
  fn: (topics: Topics) => Promise<T>,
): Promise<T> {
  const topics = await freshTopics(prefix, partitions);
  try {
    return await fn(topics);
  } finally {
    // The dev stack is shared: leave no bench topics (a million-document backlog) behind.
    const admin = benchKafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => {});
    await admin.disconnect();
  }
}
