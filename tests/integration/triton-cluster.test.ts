import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MicroBatcher,
  TritonCluster,
  type TritonClusterOptions,
  TritonDeadlineError,
  TritonHttpClient,
  TritonHttpError,
  TritonMetrics,
  TritonRequestFailedError,
} from '../../lib/triton/index.ts';
import { type SpawnedTriton, spawnTriton } from '../helpers/triton-server.ts';

/**
 * The client against several REAL Triton servers (PyTriton, triton/serve.py)
 * started here on free ports. What happened is read from the servers' own
 * observation logs (one line per executed batch), not from the client.
 */

const SIM = 'instruction_synthesizer_sim';
const CPU = 'instruction_synthesizer_cpu';
const params = { sampling: { temperature: 0, max_tokens: 400 }, excludeInputInOutput: true };
const PAIR = /<QUE> .+? <ANS> .+? <\/END>/s;

const FAST = ['--sim-batch-delay-ms', '30', '--sim-per-token-ms', '0', '--sim-max-batch', '16'];
const SLOW = [
  '--models',
  SIM,
  '--sim-batch-delay-ms',
  '500',
  '--sim-per-token-ms',
  '0',
  '--sim-max-batch',
  '16',
];

const reading = (t: string) => `<s> <CON> ${t} </CON>\n\n`;
let tagSeq = 0;
/** Prompts unique to one test, so server logs can be filtered to it. */
function prompts(n: number): { tag: string; list: string[] } {
  const tag = `t${Date.now().toString(36)}x${tagSeq++}`;
  const list = Array.from({ length: n }, (_, i) =>
    reading(
      `Report ${tag}n${i} says the lake rose because the snow melted early. However, the village of Vale${i} stayed dry.`,
    ),
  );
  return { tag, list };
}

/** Prompts of this test each server executed (a prompt may appear twice if a retry re-ran it). */
function executed(server: SpawnedTriton, tag: string): { prompts: string[]; batchSizes: number[] } {
  const batches = server.observed().filter((b) => b.prompts.some((p) => p.includes(tag)));
  return {
    prompts: batches.flatMap((b) => b.prompts.filter((p) => p.includes(tag))),
    batchSizes: batches.map((b) => b.batch_size),
  };
}

function cluster(urls: string[], extra: Partial<TritonClusterOptions> = {}): TritonCluster {
  return new TritonCluster({
    urls,
    models: [SIM],
    maxInFlightPerEndpoint: 2,
    attemptTimeoutMs: 10_000,
    deadlineMs: 40_000,
    healthIntervalMs: 500,
    backoff: { baseMs: 20, maxMs: 200 },
    ...extra,
  });
}

describe('Triton cluster client against real Triton servers', () => {
  let a: SpawnedTriton;
  let b: SpawnedTriton;
  let slow: SpawnedTriton;
  const open: TritonCluster[] = [];
  const spawned: SpawnedTriton[] = [];
  const start = async (args: string[], httpPort?: number) => {
    const s = await spawnTriton({ args, httpPort });
    spawned.push(s);
    return s;
  };
  const track = (c: TritonCluster) => {
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    [a, b, slow] = await Promise.all([start(FAST), start(FAST), start(SLOW)]);
    // One request each first: a cold Python stub answers its first batch late, which would skew
    // the routing tests toward whichever server happened to warm up sooner.
    await Promise.all([a, b, slow].map((s) => new TritonHttpClient(s.url).infer(SIM, ['warm-up'], params)));
  }, 150_000);

  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await Promise.all(spawned.map((s) => s.stop()));
  }, 60_000);

  it('micro-batches single-prompt submits: the server executes batches larger than one', async () => {
    const c = track(await cluster([a.url]).start());
    const batcher = new MicroBatcher(c, { model: SIM, params, maxBatch: 16, lingerMs: 5 });
    const { tag, list } = prompts(64);
    const outputs = await Promise.all(list.map((p) => batcher.submit(p)));
    expect(outputs.every((o) => PAIR.test(o))).toBe(true);
    expect(batcher.batchCap).toBe(16);
    const seen = executed(a, tag);
    expect(seen.prompts.sort()).toEqual([...list].sort());
    expect(Math.max(...seen.batchSizes)).toBeGreaterThan(1);
    expect(seen.batchSizes.length).toBeLessThan(64);
    expect(seen.batchSizes.every((s) => s <= 16)).toBe(true);
  });

  it('spreads load over both endpoints and counts it in the metrics', async () => {
    const registry = new Registry();
    const metrics = new TritonMetrics(registry);
    const c = track(await cluster([a.url, b.url], { metrics }).start());
    const batcher = new MicroBatcher(c, { model: SIM, params, maxBatch: 4, metrics });
    const { tag, list } = prompts(160);
    await Promise.all(list.map((p) => batcher.submit(p)));
    const onA = executed(a, tag).prompts.length;
    const onB = executed(b, tag).prompts.length;
    expect(onA + onB).toBe(160);
    expect(onA).toBeGreaterThanOrEqual(40);
    expect(onB).toBeGreaterThanOrEqual(40);
    const requests =
      (await registry.getSingleMetric('ipt_triton_client_requests_total')?.get())?.values ?? [];
    const inferByEndpoint = (url: string) =>
      requests
        .filter((v) => v.labels.endpoint === url && v.labels.op === 'infer')
        .reduce((n, v) => n + v.value, 0);
    expect(inferByEndpoint(a.url)).toBeGreaterThan(0);
    expect(inferByEndpoint(b.url)).toBeGreaterThan(0);
    expect(inferByEndpoint(a.url) + inferByEndpoint(b.url)).toBe(40);
    const batchSize = (await registry.getSingleMetric('ipt_triton_client_batch_size')?.get())?.values ?? [];
    expect(batchSize.find((v) => (v as { metricName?: string }).metricName?.endsWith('_sum'))?.value).toBe(
      160,
    );
  });

  it('sends fewer requests to a slow endpoint', async () => {
    const c = track(await cluster([a.url, slow.url]).start());
    const batcher = new MicroBatcher(c, { model: SIM, params, maxBatch: 4 });
    const { tag, list } = prompts(160);
    await Promise.all(list.map((p) => batcher.submit(p)));
    const onFast = executed(a, tag).prompts.length;
    const onSlow = executed(slow, tag).prompts.length;
    expect(onFast + onSlow).toBe(160);
    expect(onSlow).toBeLessThan(onFast / 4);
  });

  it('gives identical text through the generate extension and through infer', async () => {
    const c = track(await cluster([a.url, b.url], { models: [CPU] }).start());
    const { list } = prompts(3);
    const batched = await c.infer(CPU, list, params);
    for (const [i, p] of list.entries()) {
      const viaGenerate = await c.generate(CPU, p, params);
      const [viaInfer] = await c.infer(CPU, [p], params);
      expect(viaGenerate).toMatch(PAIR);
      expect(viaGenerate).toBe(viaInfer);
      expect(viaGenerate).toBe(batched[i]);
    }
  });

  it('sends one generate request per prompt in single mode, with the same answers as batch mode', async () => {
    const c = track(await cluster([a.url], { models: [CPU], maxInFlightPerEndpoint: 8 }).start());
    const single = new MicroBatcher(c, { model: CPU, params, dispatch: 'single' });
    const batched = new MicroBatcher(c, { model: CPU, params, maxBatch: 16 });
    const { tag, list } = prompts(24);
    const viaSingle = await Promise.all(list.map((p) => single.submit(p)));
    expect(single.batchCap).toBe(1);
    // Each request carried one prompt (Triton may still have grouped several requests into one execution).
    const lines = a.observed().filter((l) => l.prompts.some((p) => p.includes(tag)));
    expect(lines.every((l) => l.requests === l.batch_size)).toBe(true);
    expect(lines.reduce((n, l) => n + l.batch_size, 0)).toBe(24);
    expect(await Promise.all(list.map((p) => batched.submit(p)))).toEqual(viaSingle);
  });

  it('fails a request past its deadline with a clear error', async () => {
    const client = new TritonHttpClient(slow.url);
    const [p] = prompts(1).list as [string];
    const t0 = performance.now();
    const err = await client.infer(SIM, [p], params, { timeoutMs: 150 }).catch((e: unknown) => e);
    const took = performance.now() - t0;
    await client.close();
    expect(err).toBeInstanceOf(TritonDeadlineError);
    expect((err as Error).message).toBe(`Triton infer ${SIM} at ${slow.url} exceeded its deadline of 150 ms`);
    expect(took).toBeLessThan(450);

    // Through the cluster: retried, then a permanent failure naming attempts and the deadline as cause.
    const c = track(await cluster([slow.url], { attemptTimeoutMs: 150, maxAttempts: 2 }).start());
    const failed = await c.infer(SIM, [p], params).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(TritonRequestFailedError);
    expect((failed as TritonRequestFailedError).attempts).toBe(2);
    expect((failed as TritonRequestFailedError).cause).toBeInstanceOf(TritonDeadlineError);
  });

  it('does not retry a 4xx and keeps the endpoint in service', async () => {
    const c = track(await cluster([a.url]).start());
    const err = (await c
      .infer('no_such_model', ['x'], params)
      .catch((e: unknown) => e)) as TritonRequestFailedError;
    expect(err).toBeInstanceOf(TritonRequestFailedError);
    expect(err.attempts).toBe(1);
    expect(err.cause).toBeInstanceOf(TritonHttpError);
    expect((err.cause as TritonHttpError).kind).toBe('client');
    expect(c.availability).toBe('available');
    expect(c.endpointStates()[0]?.healthy).toBe(true);
  });

  it('loses no request when one endpoint is killed mid-run', async () => {
    const registry = new Registry();
    const c = track(await cluster([a.url, b.url], { metrics: new TritonMetrics(registry) }).start());
    const ejected: string[] = [];
    c.on('eject', (url: string) => ejected.push(url));
    const batcher = new MicroBatcher(c, { model: SIM, params, maxBatch: 4, maxPending: 16 });
    const { tag, list } = prompts(300);

    const results: Array<Promise<string>> = [];
    const killed = (async () => {
      while (executed(b, tag).prompts.length < 40) await sleep(10);
      await b.kill();
    })();
    for (const p of list) {
      // A well-behaved producer: pause while the batcher is full.
      await batcher.whenRoom();
      results.push(batcher.submit(p));
    }
    const outputs = await Promise.all(results);
    await killed;

    const onA = executed(a, tag).prompts;
    const onB = executed(b, tag).prompts;
    expect(onB.length).toBeGreaterThanOrEqual(40);
    expect(onB.length).toBeLessThan(300);
    expect(ejected).toContain(b.url);
    // Requests were in flight on b when it died, and were retried on a.
    const errors = (await registry.getSingleMetric('ipt_triton_client_errors_total')?.get())?.values ?? [];
    expect(
      errors.filter((v) => v.labels.endpoint === b.url).reduce((n, v) => n + v.value, 0),
    ).toBeGreaterThan(0);
    const retries = (await registry.getSingleMetric('ipt_triton_client_retries_total')?.get())?.values ?? [];
    expect(retries.reduce((n, v) => n + v.value, 0)).toBeGreaterThan(0);
    // Every prompt was answered, and each answer is the one the model gives for that prompt.
    expect(new Set([...onA, ...onB]).size).toBe(300);
    const direct = new TritonHttpClient(a.url);
    const expected: string[] = [];
    for (let i = 0; i < list.length; i += 16)
      expected.push(...(await direct.infer(SIM, list.slice(i, i + 16), params)));
    await direct.close();
    expect(outputs).toEqual(expected);
  });

  it('is unavailable while no endpoint is healthy and re-admits a server that comes back', async () => {
    // b was killed by the previous test; nothing listens at its address.
    const c = track(cluster([b.url], { deadlineMs: 50_000 }));
    const events: string[] = [];
    c.on('availability', (s: string) => events.push(`availability:${s}`));
    c.on('admit', () => events.push('admit'));
    await c.start();
    expect(c.availability).toBe('unavailable');
    const [p] = prompts(1).list as [string];
    // A request made while no endpoint is available waits for an endpoint instead of burning its attempts.
    const pending = c.infer(SIM, [p], params);
    await sleep(300);
    b = await start(FAST, b.httpPort);
    await c.whenCircuitClosed();
    const [out] = await pending;
    expect(out).toMatch(PAIR);
    expect(events).toEqual(['admit', 'availability:available']);
  }, 60_000);
});
