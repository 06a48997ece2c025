import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MicroBatcher,
  TritonCluster,
  type TritonClusterOptions,
  type TritonError,
  TritonMetrics,
  TritonRequestFailedError,
} from '../../lib/triton/index.ts';
import { freePortRun, type SpawnedTriton, spawnTriton } from '../helpers/triton-server.ts';

/**
 * The client's concurrency and routing for a continuous-batching model, against the REAL engine
 * simulator (instruction_synthesizer_engine_sim: decoupled, max_batch_size 0, vLLM-like scheduling)
 * served by Triton on ports of this test. What the engine did is read from its own accounting (its
 * stats endpoint), not from the client.
 */

const ENGINE = 'instruction_synthesizer_engine_sim';
const SLOTS = 24;
const faultFile = join(tmpdir(), `ipt-engine-fault-${process.pid}`);
const params = { sampling: { temperature: 0, max_tokens: 48 }, excludeInputInOutput: true };

interface EngineStats {
  running: number;
  waiting: number;
  requests_finished: number;
  prefix_hit_tokens: number;
}

const engineArgs = (httpPort: number, extra: string[] = []) => [
  '--models',
  ENGINE,
  '--engine-max-num-seqs',
  String(SLOTS),
  '--engine-answer',
  'echo',
  '--engine-stats-port',
  String(httpPort + 3),
  ...extra,
];

const stats = async (server: SpawnedTriton): Promise<EngineStats> =>
  (await (await fetch(`http://127.0.0.1:${server.httpPort + 3}/`)).json()) as EngineStats;

let docSeq = 0;
const reading = (tag: string) =>
  `<s> <CON> Report ${tag}n${docSeq++} says the lake rose because the snow melted early. However, the village stayed dry, therefore the farmers planted rice. ${'The valley keeps its water in spring. '.repeat(12)} </CON>\n\n`;

/**
 * Keeps `chains` chains going until stopped: each submits its rounds one after another, round r + 1
 * starting with round r's prompt and output, as synth builds them.
 */
function closedLoop(batcher: MicroBatcher, chains: number, rounds: number) {
  let stop = false;
  let done = 0;
  const failures: unknown[] = [];
  const workers = Array.from({ length: chains }, async (_, c) => {
    for (let n = 0; !stop; n++) {
      const key = `chain-${c}-${n}`;
      let prompt = reading(key);
      for (let r = 0; r < rounds && !stop; r++) {
        try {
          const out = await batcher.submit(prompt, { affinityKey: key });
          prompt = `${prompt}${out}\n\n${reading(key)}`;
          done++;
        } catch (err) {
          failures.push(err);
          break;
        }
      }
    }
  });
  return {
    get done() {
      return done;
    },
    failures,
    async stop() {
      stop = true;
      await Promise.all(workers);
    },
  };
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(200);
  }
}

describe('adaptive concurrency and chain affinity against the engine simulator', () => {
  let a: SpawnedTriton;
  let b: SpawnedTriton;
  const clusters: TritonCluster[] = [];
  const cluster = async (urls: string[], extra: Partial<TritonClusterOptions> = {}) => {
    const c = await new TritonCluster({
      urls,
      models: [ENGINE],
      healthIntervalMs: 500,
      attemptTimeoutMs: 20_000,
      deadlineMs: 60_000,
      backoff: { baseMs: 20, maxMs: 200 },
      ...extra,
    }).start();
    clusters.push(c);
    return c;
  };

  /**
   * An engine sim on free ports whose engine answers its stats port. On a loaded machine PyTriton's
   * model load now and then fails while the server still starts; a second start then succeeds.
   */
  async function spawnEngine(extra: string[] = []): Promise<SpawnedTriton> {
    for (let attempt = 1; ; attempt++) {
      const port = await freePortRun(4);
      const server = await spawnTriton({ httpPort: port, args: engineArgs(port, extra) });
      try {
        await until(
          'the engine answers on its stats port',
          () =>
            stats(server).then(
              () => true,
              () => false,
            ),
          30_000,
        );
        return server;
      } catch (error) {
        await server.stop();
        if (attempt >= 2) throw error;
      }
    }
  }

  beforeAll(async () => {
    rmSync(faultFile, { force: true });
    [a, b] = await Promise.all([spawnEngine(), spawnEngine(['--fault-file', faultFile])]);
  }, 240_000);

  afterAll(async () => {
    rmSync(faultFile, { force: true });
    await Promise.all(clusters.map((c) => c.close()));
    await Promise.all([a, b].filter(Boolean).map((s) => s.stop()));
  }, 60_000);

  it('grows from a low start until the engine runs max_num_seqs with a small waiting queue', async () => {
    const c = await cluster([a.url], { adaptiveLimit: { initial: 4 } });
    const batcher = new MicroBatcher(c, { model: ENGINE, params });
    const load = closedLoop(batcher, 150, 1);
    try {
      await until(
        'the limit reaches the engine size',
        () => (c.endpointStates()[0]?.limit ?? 0) >= SLOTS,
        90_000,
      );
      await sleep(6_000); // a few more windows: the search settles just past the slots
      const samples: EngineStats[] = [];
      for (let i = 0; i < 20; i++) {
        samples.push(await stats(a));
        await sleep(250);
      }
      const mean = (f: (s: EngineStats) => number) => samples.reduce((n, s) => n + f(s), 0) / samples.length;
      console.log(
        `engine sim, max_num_seqs ${SLOTS}: limit ${c.endpointStates()[0]?.limit}, running ${mean((s) => s.running).toFixed(1)}, waiting ${mean((s) => s.waiting).toFixed(1)}`,
      );
      expect(c.adaptive).toBe(true);
      // Snapshots: running dips for a moment whenever several sequences finish in one step.
      expect(mean((s) => s.running)).toBeGreaterThanOrEqual(SLOTS * 0.8);
      expect(mean((s) => s.waiting)).toBeLessThanOrEqual(SLOTS * 0.5);
      expect(c.endpointStates()[0]?.limit).toBeLessThanOrEqual(SLOTS * 2);
    } finally {
      await load.stop();
      batcher.close();
    }
    expect(load.failures).toEqual([]);
  }, 150_000);

  it("two clients of one engine share it through the engine's own counts: full, with a small queue", async () => {
    const [c1, c2] = [await cluster([a.url]), await cluster([a.url])];
    const batchers = [c1, c2].map((c) => new MicroBatcher(c, { model: ENGINE, params }));
    const loads = batchers.map((bt) => closedLoop(bt, 100, 1));
    try {
      await sleep(8_000);
      const samples: EngineStats[] = [];
      for (let i = 0; i < 20; i++) {
        samples.push(await stats(a));
        await sleep(250);
      }
      const mean = (f: (s: EngineStats) => number) => samples.reduce((n, s) => n + f(s), 0) / samples.length;
      const limits = [c1, c2].map((c) => c.endpointStates()[0]?.limit ?? 0);
      console.log(
        `two clients, max_num_seqs ${SLOTS}: limits ${limits.join(' + ')}, running ${mean((s) => s.running).toFixed(1)}, waiting ${mean((s) => s.waiting).toFixed(1)}`,
      );
      // Each alone would hold the published slots and more: together twice the engine, half waiting.
      expect(mean((s) => s.running)).toBeGreaterThanOrEqual(SLOTS * 0.8);
      expect(mean((s) => s.waiting)).toBeLessThanOrEqual(SLOTS * 0.5);
      expect((limits[0] ?? 0) + (limits[1] ?? 0)).toBeLessThan(SLOTS * 1.75);
    } finally {
      await Promise.all(loads.map((l) => l.stop()));
      for (const bt of batchers) bt.close();
    }
    expect(loads.flatMap((l) => l.failures)).toEqual([]);
  }, 120_000);

  it('retries past an endpoint whose engine fails, and cuts the limit of one that stalls', async () => {
    const c = await cluster([a.url, b.url], { attemptTimeoutMs: 5_000, healthTimeoutMs: 1_000 });
    const batcher = new MicroBatcher(c, { model: ENGINE, params });
    const state = (url: string) => c.endpointStates().find((e) => e.url === url);
    const limitOf = (url: string) => state(url)?.limit ?? 0;
    await c.modelConfig(ENGINE);
    // Both start from the published max_num_seqs.
    expect(limitOf(a.url)).toBe(SLOTS);
    expect(limitOf(b.url)).toBe(SLOTS);
    const load = closedLoop(batcher, 150, 1);
    let stopped = false;
    try {
      await until(
        'b has served requests',
        async () => (await stats(b)).requests_finished > 2 * SLOTS,
        60_000,
      );

      // The engine on b fails every request: through the generate extension that is an HTTP 400,
      // which must not fail the rounds — each is tried again on a.
      const failedBefore = state(b.url)?.failed ?? 0;
      writeFileSync(faultFile, 'every request fails');
      await until('b fails requests', () => (state(b.url)?.failed ?? 0) >= failedBefore + 10, 30_000);
      rmSync(faultFile, { force: true });
      await until('b is back', () => state(b.url)?.healthy === true, 30_000);

      // b stalls (every process of it stopped): its requests time out, and its limit comes down.
      const before = limitOf(b.url);
      process.kill(-b.pid, 'SIGSTOP');
      stopped = true;
      await until('b is cut', () => limitOf(b.url) <= before * 0.75, 30_000);
      console.log(
        `stalled endpoint cut from ${before} to ${limitOf(b.url)}; healthy one at ${limitOf(a.url)}`,
      );
      expect(limitOf(a.url)).toBeGreaterThanOrEqual(SLOTS);
    } finally {
      rmSync(faultFile, { force: true });
      if (stopped) process.kill(-b.pid, 'SIGCONT');
      await load.stop();
      batcher.close();
    }
    // Failed and timed-out attempts were retried on the healthy endpoint: no round failed for good.
    expect(load.failures).toEqual([]);
    expect(load.done).toBeGreaterThan(0);
  }, 240_000);

  it("sends a chain's next round before first rounds already queued", async () => {
    const c = await cluster([a.url]);
    const batcher = new MicroBatcher(c, { model: ENGINE, params, maxPending: 10_000 });
    await c.modelConfig(ENGINE);
    const finished: string[] = [];
    const continuations: Promise<void>[] = [];
    const firsts = Array.from({ length: 8 * SLOTS }, async (_, i) => {
      const key = `order-${i}`;
      const prompt = reading(key);
      const out = await batcher.submit(prompt, { affinityKey: key });
      finished.push(`first-${i}`);
      // The first few chains to finish send their next round behind ~7 * SLOTS queued first rounds.
      if (continuations.length < 5) {
        continuations.push(
          batcher.submit(`${prompt}${out}\n\n${reading(key)}`, { affinityKey: key }).then(() => {
            finished.push(`next-${i}`);
          }),
        );
      }
    });
    await Promise.all(firsts);
    await Promise.all(continuations);
    const lastNext = Math.max(...finished.map((f, at) => (f.startsWith('next-') ? at : -1)));
    // Every continuation finished while most first rounds were still waiting their turn.
    expect(continuations).toHaveLength(5);
    expect(lastNext).toBeLessThan(finished.length / 2);
    batcher.close();
  }, 120_000);

  it('fails a poison prompt for good once two endpoints failed it alike, and ejects neither', async () => {
    const c = await cluster([a.url, b.url]);
    await c.modelConfig(ENGINE);
    const err = await c
      .generate(ENGINE, `${reading('poison')}[[ipt-fault:inference-error]]`, params)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TritonRequestFailedError);
    expect((err as TritonRequestFailedError).attempts).toBe(2);
    expect(((err as TritonRequestFailedError).cause as TritonError).kind).toBe('model');
    expect(c.endpointStates().map((e) => e.healthy)).toEqual([true, true]);
    expect(await c.generate(ENGINE, reading('fine'), params)).toMatch(/\S/);
  }, 60_000);

  it('keeps chains on their engine under saturation when called without the batcher', async () => {
    const c = await cluster([a.url, b.url]);
    await c.modelConfig(ENGINE);
    const workers = Array.from({ length: 6 * SLOTS }, async (_, w) => {
      for (let n = 0; n < 3; n++) {
        const key = `direct-${w}-${n}`;
        let prompt = reading(key);
        for (let r = 0; r < 2; r++) {
          const out = await c.generate(ENGINE, prompt, params, { affinityKey: key });
          prompt = `${prompt}${out}\n\n${reading(key)}`;
        }
      }
    });
    await Promise.all(workers);
    const { hits, misses } = c.affinityStats();
    console.log(`affinity through the cluster alone, ${6 * SLOTS} callers: ${hits} hits, ${misses} misses`);
    expect(hits + misses).toBe(6 * SLOTS * 3);
    expect(hits / (hits + misses)).toBeGreaterThanOrEqual(0.8);
  }, 120_000);

  it("keeps a chain's rounds on one engine, and falls back to the other when it is ejected", async () => {
    const registry = new Registry();
    const c = await cluster([a.url, b.url], { metrics: new TritonMetrics(registry) });
    const batcher = new MicroBatcher(c, { model: ENGINE, params });
    const before = await Promise.all([stats(a), stats(b)]);
    const load = closedLoop(batcher, 120, 3);
    let stoppedB = false;
    try {
      await until('chains ran', () => load.done >= 600, 120_000);
      const mid = c.affinityStats();
      console.log(`affinity with two healthy engines: ${mid.hits} hits, ${mid.misses} misses`);
      expect(mid.hits / (mid.hits + mid.misses)).toBeGreaterThanOrEqual(0.8);
      const after = await Promise.all([stats(a), stats(b)]);
      // Both engines saw prefix-cache hits from the later rounds.
      expect(after[0].prefix_hit_tokens).toBeGreaterThan(before[0].prefix_hit_tokens);
      expect(after[1].prefix_hit_tokens).toBeGreaterThan(before[1].prefix_hit_tokens);

      await b.kill();
      stoppedB = true;
      await until(
        'b is ejected',
        () => c.endpointStates().find((e) => e.url === b.url)?.healthy === false,
        20_000,
      );
      const doneAtKill = load.done;
      const finishedA = (await stats(a)).requests_finished;
      await until('chains go on without b', () => load.done >= doneAtKill + 200, 120_000);
      expect((await stats(a)).requests_finished - finishedA).toBeGreaterThanOrEqual(200);
    } finally {
      await load.stop();
      batcher.close();
    }
    expect(load.failures).toEqual([]);
    const misses =
      (await registry.getSingleMetric('ipt_triton_client_affinity_misses_total')?.get())?.values ?? [];
    // Chains whose rounds had been on b went to a: misses for an unhealthy endpoint (or a retry).
    const elsewhere = misses
      .filter((v) => v.labels.reason === 'unhealthy' || v.labels.reason === 'retry')
      .reduce((n, v) => n + v.value, 0);
    expect(elsewhere).toBeGreaterThan(0);
    expect(stoppedB).toBe(true);
  }, 300_000);
});
