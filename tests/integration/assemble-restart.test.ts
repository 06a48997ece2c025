import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SynthRound } from '../../core/types.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { createLogger } from '../../lib/log.ts';
import type { Topics } from '../../lib/topics.ts';
import { type AssembleService, startAssemble } from '../../services/assemble/main.ts';
import { REPO_ROOT } from '../../stack/config.ts';
import { chainIdOf, chainRounds, testRun } from '../fixtures/synth-rounds.ts';
import {
  produceRounds,
  readAll,
  type Serdes,
  serdesFor,
  stateKeys,
  waitFor,
} from '../helpers/assemble-io.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';

const endpoints = loadEndpoints();
const kafka = new Kafka({
  clientId: 'test-assemble-restart',
  brokers: endpoints.kafka.brokers,
  logLevel: logLevel.NOTHING,
});
const run = testRun(`asm-kill-${randomUUID().slice(0, 8)}`, 2);
const group = `ipt-assemble.${run.run_id}`;
const CHAINS = 150;

let topics: Topics;
let serdes: Serdes;
let child: ChildProcess | undefined;
let service: AssembleService | undefined;

beforeAll(async () => {
  topics = await freshTopics('assemble');
  serdes = serdesFor(endpoints.registry.url, topics);
});
afterAll(async () => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  await service?.stop();
});

const namespaceOf = (t: Topics) => t.rounds.slice(0, -'.ipt.synth.rounds'.length);

/** `ipt assemble` as its own process, so it can be killed without a chance to commit anything. */
function spawnAssembler(): ChildProcess {
  const proc = spawn(
    process.execPath,
    [
      join(REPO_ROOT, 'bin/ipt.js'),
      'assemble',
      '--topic-namespace',
      namespaceOf(topics),
      '--run',
      run.run_id,
      '--ops-port',
      '0',
      // The group moves a dead member's partitions after this long without a heartbeat.
      '--session-timeout-ms',
      '8000',
    ],
    { cwd: REPO_ROOT, env: { ...process.env, IPT_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  proc.stderr?.on('data', () => {}); // drained so the child never blocks on a full pipe
  return proc;
}

describe('assemble restart', () => {
  it('SIGKILL mid-run, then a new member: every chain emitted exactly once, pending chains restored', async () => {
    const chains = Array.from(
      { length: CHAINS },
      (_, index) => chainRounds({ run, index }) as [SynthRound, SynthRound],
    );
    // Wave 1: round 0 of chains 0–99 and round 1 of chains 0–49, so 50 chains are mid-way (only in
    // the changelog) when the assembler dies.
    await produceRounds(kafka, topics, serdes, [
      ...chains.slice(0, 100).map(([r0]) => r0),
      ...chains.slice(0, 50).map(([, r1]) => r1),
    ]);
    child = spawnAssembler();
    const emittedBefore = await waitFor(
      'the first process to commit some records',
      async () => (await readAll(kafka, topics.augmented, serdes.augmented.deserialize)).length,
      (n) => n > 0,
      60_000,
    );
    child.kill('SIGKILL');
    await new Promise((resolve) => child?.once('exit', resolve));
    expect(emittedBefore).toBeLessThanOrEqual(50);
    // Whatever the dead process left committed is consistent: chains still open are in the changelog.
    const pending = await stateKeys(kafka, topics, group);
    expect(pending.length).toBeGreaterThan(0);
    for (const key of pending) expect(key.startsWith(`${group}/${run.run_id}/`)).toBe(true);

    // Wave 2: the missing rounds of chains 50–99 and whole chains 100–149, to a new member of the group.
    await produceRounds(kafka, topics, serdes, [
      ...chains.slice(50, 100).map(([, r1]) => r1),
      ...chains.slice(100).flat(),
    ]);
    service = await startAssemble({
      brokers: endpoints.kafka.brokers,
      registryUrl: endpoints.registry.url,
      topics,
      run: run.run_id,
      log: createLogger('assemble-restart-test', 'error'),
    });
    const active = service;
    // The dead member holds its partitions until its session times out (8 s), then this one takes over.
    await waitFor(
      'every chain to be emitted',
      async () => (await readAll(kafka, topics.augmented, serdes.augmented.deserialize)).length,
      (n) => n >= CHAINS,
      100_000,
    );
    await active.stop();
    service = undefined;

    const records = (await readAll(kafka, topics.augmented, serdes.augmented.deserialize)).map(
      (r) => r.value,
    );
    const ids = records.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(chains.map((_, i) => chainIdOf(run, i)).sort());
    for (const record of records) {
      const index = Number(record.chain_id.split('/').at(-1));
      expect(record.doc_ids).toEqual((chains[index] as SynthRound[]).map((r) => r.doc_id));
    }
    expect(await stateKeys(kafka, topics, group)).toEqual([]);
  }, 180_000);

  it('a clean stop with chains half-collected, then a restart: nothing lost, nothing doubled', async () => {
    const quiet = testRun(`asm-stop-${randomUUID().slice(0, 8)}`, 2);
    const chains = Array.from(
      { length: 40 },
      (_, index) => chainRounds({ run: quiet, index }) as [SynthRound, SynthRound],
    );
    const start = () =>
      startAssemble({
        brokers: endpoints.kafka.brokers,
        registryUrl: endpoints.registry.url,
        topics,
        run: quiet.run_id,
        log: createLogger('assemble-restart-test', 'error'),
      });
    await produceRounds(kafka, topics, serdes, [
      ...chains.map(([r0]) => r0),
      ...chains.slice(0, 10).map(([, r1]) => r1),
    ]);
    const first = await start();
    service = first;
    await waitFor(
      'round 0s and the first 10 chains',
      async () => first.stats(),
      (s) => s.emitted >= 10 && s.openChains === 30,
    );
    await first.stop();
    expect(await stateKeys(kafka, topics, `ipt-assemble.${quiet.run_id}`)).toHaveLength(30);

    await produceRounds(
      kafka,
      topics,
      serdes,
      chains.slice(10).map(([, r1]) => r1),
    );
    const second = await start();
    service = second;
    await waitFor(
      'the other 30 chains',
      async () => second.stats(),
      (s) => s.emitted >= 30,
    );
    // The restarted member resumed from the committed offsets: it saw only the new rounds.
    expect(second.stats()).toMatchObject({ rounds: 30, duplicates: 0, emitted: 30, openChains: 0 });
    await second.stop();
    service = undefined;

    const ids = (await readAll(kafka, topics.augmented, serdes.augmented.deserialize))
      .map((r) => r.value)
      .filter((r) => r.run.run_id === quiet.run_id)
      .map((r) => r.id)
      .sort();
    expect(ids).toEqual(chains.map((_, i) => chainIdOf(quiet, i)).sort());
  }, 60_000);
});
