import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TritonCluster } from '../../lib/triton/index.ts';
import { groupAlive } from '../../stack/processes.ts';
import { freePortRun, type SpawnedTriton, spawnTriton } from '../helpers/triton-server.ts';

/**
 * Cancellation through Triton's gRPC frontend, against the REAL engine simulator served by Triton on
 * ports of this test: a client that aborts its gRPC call makes the engine drop the request (its own
 * accounting says so), where an aborted HTTP request is generated to the end for nobody.
 */

const ENGINE = 'instruction_synthesizer_engine_sim';

interface EngineStats {
  running: number;
  waiting: number;
  generated_tokens: number;
  requests_finished: number;
  requests_cancelled: number;
}

let server: SpawnedTriton;
let grpcCluster: TritonCluster;
let httpCluster: TritonCluster;

const stats = async (): Promise<EngineStats> =>
  (await (await fetch(`http://127.0.0.1:${server.httpPort + 3}/`)).json()) as EngineStats;

async function until(what: string, check: (s: EngineStats) => boolean): Promise<EngineStats> {
  for (;;) {
    const s = await stats();
    if (check(s)) return s;
    if (!groupAlive(server.pid)) throw new Error(`Triton exited while waiting for ${what}:\n${server.log}`);
    await sleep(20);
  }
}

let docSeq = 0;
/** A reading whose echoed answer is a few hundred tokens: seconds of engine time at the test's time scale. */
const reading = () =>
  `<s> <CON> Report ${docSeq++} on the valley. ${'The lake rose because the snow melted early, and the village stayed dry. '.repeat(20)} </CON>\n\n`;
const params = { sampling: { temperature: 0, max_tokens: 4000 }, excludeInputInOutput: true };

/** Sends `prompt`, aborts the call once the engine has generated its first tokens; the stats before it. */
async function abortAfterFirstTokens(cluster: TritonCluster, prompt: string): Promise<EngineStats> {
  const start = await stats();
  const abort = new AbortController();
  const outcome = cluster.generate(ENGINE, prompt, params, { signal: abort.signal }).then(
    () => 'answered',
    (err: unknown) => err,
  );
  await until('the first tokens', (s) => s.generated_tokens - start.generated_tokens >= 5);
  abort.abort(new Error('the caller gave up'));
  expect(((await outcome) as Error).message).toBe('the caller gave up');
  return start;
}

beforeAll(async () => {
  const base = await freePortRun(4);
  server = await spawnTriton({
    httpPort: base,
    args: [
      '--models',
      ENGINE,
      '--engine-answer',
      'echo',
      // Five wall seconds per simulated second: one answer takes seconds, a cancel lands mid-way.
      '--engine-time-scale',
      '5',
      '--engine-cancel-check-ms',
      '20',
      '--engine-stats-port',
      String(base + 3),
    ],
  });
  const common = { models: [ENGINE], engineMetricsUrl: false as const, deadlineMs: 120_000 };
  grpcCluster = await new TritonCluster({ urls: [server.url], grpc: true, ...common }).start();
  httpCluster = await new TritonCluster({ urls: [server.url], ...common }).start();
}, 120_000);

afterAll(async () => {
  await grpcCluster?.close();
  await httpCluster?.close();
  await server?.stop();
});

describe('gRPC transport against the engine sim', () => {
  it('answers as the HTTP generate extension does', async () => {
    expect(grpcCluster.endpointStates()[0]?.transport).toBe('grpc');
    const prompt = reading();
    const [overGrpc, overHttp] = await Promise.all([
      grpcCluster.generate(ENGINE, prompt, { sampling: { temperature: 0, max_tokens: 8 } }),
      httpCluster.generate(ENGINE, prompt, { sampling: { temperature: 0, max_tokens: 8 } }),
    ]);
    expect(overGrpc.length).toBeGreaterThan(0);
    expect(overGrpc).toBe(overHttp);
  }, 60_000);

  it('an aborted gRPC call makes the engine drop its request; generation stops', async () => {
    const prompt = reading();
    // The whole answer's tokens, from a run nobody cancels (another prompt of the same length).
    const before = await stats();
    await grpcCluster.generate(ENGINE, reading(), params);
    const full = (await stats()).generated_tokens - before.generated_tokens;
    expect(full).toBeGreaterThan(50);

    const start = await abortAfterFirstTokens(grpcCluster, prompt);

    const after = await until(
      'the engine to drop it',
      (s) => s.requests_cancelled > start.requests_cancelled,
    );
    expect(after.requests_cancelled - start.requests_cancelled).toBe(1);
    expect(after.requests_finished).toBe(start.requests_finished);
    const idle = await until('the engine to be idle', (s) => s.running + s.waiting === 0);
    // Stopped part-way: the tokens it never generated are the GPU time the cancel saved.
    expect(idle.generated_tokens - start.generated_tokens).toBeLessThan(full);
    // Published on Triton's metrics endpoint too (every 50 ms): wait for it to arrive there.
    const published = /^ipt_engine_cancelled_requests_total\{[^}]*\} [1-9]/m;
    let metrics = '';
    while (!published.test(metrics)) {
      if (metrics !== '') await sleep(50);
      metrics = await (await fetch(`http://127.0.0.1:${server.httpPort + 2}/metrics`)).text();
    }
    expect(metrics).toMatch(published);
  }, 120_000);

  it('an aborted HTTP request is generated to the end for nobody (why gRPC is used)', async () => {
    const start = await abortAfterFirstTokens(httpCluster, reading());
    const end = await until('the request to finish', (s) => s.requests_finished > start.requests_finished);
    expect(end.requests_cancelled).toBe(start.requests_cancelled);
  }, 120_000);
});
