import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SynthRound } from '../../core/types.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { PartitionTransactions } from '../../lib/kafka/partition-transactions.ts';
import { synthGroupId } from '../../services/synth/topology.ts';
import { portFree } from '../../stack/processes.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';
import { produceRawDocuments, rawDocument } from '../helpers/raw-docs.ts';
import { readDecoded } from '../helpers/read-topic.ts';
import { type ServiceProcess, spawnIpt } from '../helpers/service-process.ts';
import { type SpawnedTriton, spawnTriton } from '../helpers/triton-server.ts';

// A synth that dies after answers arrived but before they committed: the restarted one finishes
// those rounds with the kept answers (the engines see each such prompt once), counts the rounds it
// sends again, and sends each chain's later round to the engine that served its earlier one.

const endpoints = loadEndpoints();
const ENGINE = 'instruction_synthesizer_engine_sim';
// Two engines, each its own Triton and prefix cache; a round takes a few seconds (64 tokens at
// time scale 10), so answers arrive while the test holds synth between them.
const ENGINE_ARGS = ['--models', ENGINE, '--engine-time-scale', '10', '--engine-answer', 'echo'];
const DOCS = 16; // one layout block: 8 chains of 2 rounds
let kafka: Kafka;
const engines: SpawnedTriton[] = [];

beforeAll(async () => {
  kafka = kafkaClient('test-synth-crash-reuse', endpoints.kafka.brokers);
  for (let i = 0; i < 2; i++) engines.push(await spawnTriton({ args: ENGINE_ARGS }));
}, 240_000);
afterAll(async () => {
  for (const e of engines) await e.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await portFree(port)) return port;
  }
}

/** The sum of a metric's samples whose labels hold `labels`. */
async function metric(port: number, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) && l.includes(labels))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

async function startSynth(namespace: string, runId: string) {
  const port = await freePort();
  const proc: ServiceProcess = spawnIpt(
    [
      'synth',
      '--run-id',
      runId,
      '--topic-namespace',
      namespace,
      '--brokers',
      endpoints.kafka.brokers.join(','),
      '--registry',
      endpoints.registry.url,
      '--triton',
      engines.map((e) => e.url).join(','),
      '--model',
      ENGINE,
      '--max-new-tokens',
      '64',
      '--k',
      '8',
      '--session-timeout-ms',
      '6000',
      '--ops-port',
      String(port),
    ],
    'synth-crash-reuse',
  );
  await until('synth ready', async () => {
    if (!proc.alive()) throw new Error(`synth exited:\n${proc.tail()}`);
    return fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
  });
  return { proc, port };
}

/** Every request the engines received, in arrival order, with the engine that got it. */
function requests(): { engine: number; prompt: string; time: number }[] {
  return engines
    .flatMap((e, engine) =>
      e.observed().flatMap((b) => b.prompts.map((prompt) => ({ engine, prompt, time: b.time }))),
    )
    .sort((a, b) => a.time - b.time);
}

describe('a synth killed between its answers and their commit', () => {
  it('reuses the kept answers, counts what it sends again and keeps each chain on its engine', async () => {
    const topics = await freshTopics('synth-crash-reuse', 1);
    const namespace = topics.raw.slice(0, -'.ipt.docs.raw'.length);
    const runId = `crash-${randomUUID().slice(0, 8)}`;
    // Texts of different lengths, so the answers come back one by one rather than in one step.
    const docs = Array.from({ length: DOCS }, (_, i) =>
      rawDocument(i, `${'The river rose because the snow melted early. '.repeat(1 + (i % 5))}Report ${i}.`),
    );
    await produceRawDocuments(kafka, endpoints.registry.url, topics.raw, docs);
    const committedRounds = async () =>
      (await readDecoded<SynthRound>(kafka, endpoints.registry.url, topics.rounds)).filter(
        (r) => r.kind === 'ROUND',
      );

    const first = await startSynth(namespace, runId);
    let fence: PartitionTransactions | undefined;
    try {
      await until('round 0 of some chains committed', async () => (await committedRounds()).length >= 2);
      // Fence the partition as a new owner would: the first owner's next commit fails, so the answers
      // that reach it from now on are kept but never committed by it.
      fence = new PartitionTransactions(kafka, { groupId: synthGroupId(runId), topic: topics.raw });
      await fence.open(0);
      await until('the first synth fenced', async () => first.proc.tail(400).includes('fenced'));
      // Its sent marks and kept answers (those its failed commit carried among them) are written
      // before it dies; a fenced task keeps nothing more.
      await until(
        'its kept writes written',
        async () => (await metric(first.port, 'ipt_synth_kept_writes_pending')) === 0,
      );
    } finally {
      await first.proc.kill();
      await fence?.closeAll();
    }
    const killedAt = Date.now() / 1000;

    const second = await startSynth(namespace, runId);
    try {
      await until('every round committed', async () => (await committedRounds()).length === DOCS);
      const rounds = await committedRounds();
      const reused = await metric(second.port, 'ipt_synth_reused_answers_total');
      const regenerated = await metric(second.port, 'ipt_synth_regenerated_rounds_total');
      const sent = requests();
      const times = new Map<string, number>();
      for (const r of sent) times.set(r.prompt, (times.get(r.prompt) ?? 0) + 1);

      // Exactly once in the output, whatever the engines did.
      expect(new Set(rounds.map((r) => r.doc_id)).size).toBe(DOCS);
      // Rounds finished with a kept answer (attempts 0): the engines saw their prompt once.
      const fromKept = rounds.filter((r) => r.attempts === 0);
      expect(fromKept.length).toBeGreaterThanOrEqual(1);
      expect(reused).toBe(fromKept.length);
      for (const r of fromKept) expect(times.get(r.prompt as string)).toBe(1);
      // Every prompt the engines saw twice is a round the restarted synth counted as sent again.
      const twice = [...times.values()].filter((n) => n > 1);
      expect(twice.every((n) => n === 2)).toBe(true);
      expect(regenerated).toBe(twice.length);
      expect(regenerated).toBeGreaterThanOrEqual(1);

      // Each chain's round 1 went to the engine that generated the round 0 it is prompted with —
      // also for the chains whose round 0 the first synth committed (or kept) and whose round 1 the
      // second one sent: their engine came with their state.
      const lastOf = (prompt: string | null) => sent.filter((x) => x.prompt === prompt).pop();
      let restored = 0;
      let roundOnesSentAgain = 0;
      for (const r1 of rounds.filter((r) => r.round_index === 1)) {
        const r0 = rounds.find((r) => r.chain_id === r1.chain_id && r.round_index === 0);
        const zero = lastOf(r0?.prompt ?? null);
        const one = lastOf(r1.prompt);
        expect(one?.engine, `${r1.chain_id}: round 1 on the engine of its round 0`).toBe(zero?.engine);
        if (one && one.time > killedAt) roundOnesSentAgain++;
        if (one && zero && one.time > killedAt && zero.time < killedAt) restored++;
      }
      expect(restored).toBeGreaterThanOrEqual(1);
      // The second synth sent every round 1 to the chain's remembered engine (none by chance).
      expect(await metric(second.port, 'ipt_triton_client_affinity_hits_total')).toBe(roundOnesSentAgain);
      expect(await metric(second.port, 'ipt_triton_client_affinity_misses_total')).toBe(0);
    } finally {
      await second.proc.stop().catch(() => second.proc.kill());
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => {});
      await admin.disconnect();
    }
  }, 360_000);
});
