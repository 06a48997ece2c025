import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackStatus } from '../../stack/stack.ts';
import { type IptResult, runIpt } from '../helpers/service-process.ts';
import { freePortTriple } from '../helpers/triton-server.ts';

// Asynchronous on purpose: a `stack up` can take a minute or more on a busy machine, and a test
// worker blocked that long in a synchronous spawn misses vitest's RPC deadline.
const ipt = (...args: string[]) => runIpt(args, { timeoutMs: 200_000 });

/** Asserts exit 0, showing the command's stderr when it is not (a stack start failure names its log). */
function expectOk(result: IptResult): void {
  expect(result.code, result.stderr).toBe(0);
}

const alive = (pid: number | null) => {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('ipt stack', () => {
  it('status --json reports every component ready with its endpoint and a live pid', async () => {
    const { code, stdout } = await ipt('stack', 'status', '--json');
    expect(code).toBe(0);
    const status = JSON.parse(stdout) as StackStatus;
    expect(status.kafka.brokers).toEqual([expect.stringMatching(/^127\.0\.0\.1:\d+$/)]);
    expect(status.registry.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7$/);
    expect(status.triton.urls).toEqual([expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/)]);
    for (const component of [status.kafka, status.registry, status.triton]) {
      expect(component.ready).toBe(true);
      expect(alive(component.pid)).toBe(true);
      expect(readFileSync(component.log, 'utf8').length).toBeGreaterThan(0);
    }
  });

  it('up is idempotent: a second up keeps the same processes', async () => {
    const before = JSON.parse((await ipt('stack', 'status', '--json')).stdout) as StackStatus;
    const again = await ipt('stack', 'up');
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/kafka: already running/);
    const after = JSON.parse((await ipt('stack', 'status', '--json')).stdout) as StackStatus;
    expect([after.kafka.pid, after.registry.pid, after.triton.pid]).toEqual([
      before.kafka.pid,
      before.registry.pid,
      before.triton.pid,
    ]);
  });

  it('the endpoints file services read matches status', async () => {
    const status = JSON.parse((await ipt('stack', 'status', '--json')).stdout) as StackStatus;
    const file = JSON.parse(readFileSync(status.endpointsFile, 'utf8')) as StackStatus;
    expect(file.kafka.brokers).toEqual(status.kafka.brokers);
    expect(file.registry.url).toBe(status.registry.url);
    expect(file.triton.urls).toEqual(status.triton.urls);
  });

  it('rejects a bad port with a clear message', async () => {
    const { code, stderr } = await ipt('stack', 'status', '--kafka-port', 'abc');
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/not a TCP port/);
  });
});

describe('a second stack in its own state dir', () => {
  // Its own ports and state dir, so the shared stack the other tests use is never touched.
  const stateDir = mkdtempSync(join(tmpdir(), 'ipt-stack-'));
  let flags: string[] = [];
  let kafkaPort = 0;
  const statusOf = async () =>
    JSON.parse((await ipt('stack', 'status', '--json', ...flags)).stdout) as StackStatus;
  const pids = (s: StackStatus) => [s.kafka.pid, s.registry.pid, s.triton.pid];

  afterAll(async () => {
    await ipt('stack', 'down', '--wipe', ...flags);
    rmSync(stateDir, { recursive: true, force: true });
  });

  beforeAll(async () => {
    // Three separately chosen free port triples: Kafka (+controller), registry (+management), Triton.
    kafkaPort = await freePortTriple();
    const registryPort = await freePortTriple();
    const tritonPort = await freePortTriple();
    flags = ['--state-dir', stateDir, '--kafka-port', `${kafkaPort}`, '--registry-port', `${registryPort}`];
    flags.push('--triton-port', `${tritonPort}`);
  });

  it('down stops exactly its processes and keeps data; up brings the data back; --wipe deletes it', async () => {
    expectOk(await ipt('stack', 'up', ...flags));
    const first = await statusOf();
    expect(first.kafka.brokers).toEqual([`127.0.0.1:${kafkaPort}`]);
    const topic = `test.persisted.${kafkaPort}`;
    const admin = new Kafka({ brokers: first.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
    await admin.disconnect();

    const shared = JSON.parse((await ipt('stack', 'status', '--json')).stdout) as StackStatus;
    expect((await ipt('stack', 'down', ...flags)).code).toBe(0);
    expect(pids(first).filter(alive)).toEqual([]);
    expect(pids(shared).every(alive)).toBe(true);
    expect((await statusOf()).kafka.running).toBe(false);
    expect(existsSync(join(stateDir, 'kafka', 'data'))).toBe(true);

    expectOk(await ipt('stack', 'up', ...flags));
    const again = new Kafka({
      brokers: (await statusOf()).kafka.brokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    await again.connect();
    expect(await again.listTopics()).toContain(topic);
    await again.disconnect();

    expect((await ipt('stack', 'down', '--wipe', ...flags)).code).toBe(0);
    expect(existsSync(stateDir)).toBe(false);
  }, 240_000);
});
