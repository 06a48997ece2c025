// SIGKILL of `ipt assemble` in the middle of a live pipeline: ingest and synth keep running in this
// process while the assembler (its own process, as an operator runs it) dies without a chance to
// commit or leave its group; a new one takes over. No augmented record may go missing or appear twice.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { createLogger } from '../../lib/log.ts';
import type { Topics } from '../../lib/topics.ts';
import { createIngestor, type Ingestor } from '../../services/ingest/index.ts';
import { type SynthService, startSynth } from '../../services/synth/service.ts';
import { readAll, serdesFor, waitFor } from '../helpers/assemble-io.ts';
import { account, corpusDocuments, jsonl, waitAccounted } from '../helpers/pipeline-outputs.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';
import { type ServiceProcess, spawnIpt } from '../helpers/service-process.ts';

const endpoints = loadEndpoints();
const kafka: Kafka = kafkaClient('test-e2e-assemble-kill', endpoints.kafka.brokers);
const quiet = (name: string) => createLogger(name, 'error');
const dir = mkdtempSync(join(tmpdir(), 'ipt-e2e-kill-'));
const children: ServiceProcess[] = [];
let ingestor: Ingestor | undefined;
let synth: SynthService | undefined;

afterAll(async () => {
  for (const child of children) if (child.alive()) await child.kill();
  await ingestor?.close();
  await synth?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const namespaceOf = (topics: Topics) => topics.raw.slice(0, -'.ipt.docs.raw'.length);

function spawnAssembler(topics: Topics, runId: string): ServiceProcess {
  const child = spawnIpt(
    [
      'assemble',
      '--topic-namespace',
      namespaceOf(topics),
      '--run',
      runId,
      '--ops-port',
      '0',
      // A dead member's partitions move to the next one after this long without a heartbeat.
      '--session-timeout-ms',
      '8000',
    ],
    'assemble',
  );
  children.push(child);
  return child;
}

describe('assemble killed mid-run', () => {
  it('SIGKILL while rounds flow, then a new assembler: no augmented record missing or duplicated', async () => {
    const docs = corpusDocuments();
    writeFileSync(join(dir, 'wave1.jsonl'), jsonl(docs.slice(0, 26)));
    writeFileSync(join(dir, 'wave2.jsonl'), jsonl(docs.slice(26)));
    const topics = await freshTopics('e2e-kill', 2);
    const runId = `e2e-kill-${randomUUID().slice(0, 8)}`;
    const serdes = serdesFor(endpoints.registry.url, topics);
    const emitted = async () => (await readAll(kafka, topics.augmented, serdes.augmented.deserialize)).length;

    const first = spawnAssembler(topics, runId);
    synth = await startSynth({
      brokers: endpoints.kafka.brokers,
      registryUrl: endpoints.registry.url,
      tritonUrls: endpoints.triton.urls,
      topics,
      runId,
      chainsPerBlock: 4,
      idleMs: 1_500,
      log: quiet('synth'),
    });
    ingestor = await createIngestor({
      brokers: endpoints.kafka.brokers,
      registryUrl: endpoints.registry.url,
      topics,
      dedupStage: false, // straight to the raw topic: dedup is not what this tests
      threads: 1,
      log: quiet('ingest'),
    });
    await ingestor.ingestPaths([join(dir, 'wave1.jsonl')]);
    await ingestor.flush();

    // The first assembler is committing records; send the second wave and kill it while those
    // rounds are being synthesized and consumed.
    await waitFor('the first assembler to commit a record', emitted, (n) => n > 0, 90_000);
    await ingestor.ingestPaths([join(dir, 'wave2.jsonl')]);
    await ingestor.flush();
    await new Promise((r) => setTimeout(r, 400));
    expect(first.alive()).toBe(true);
    await first.kill();
    const emittedBeforeKill = await emitted();

    const second = spawnAssembler(topics, runId);
    const outputs = await waitAccounted(kafka, endpoints.registry.url, topics, runId, {
      expectDocuments: docs.length,
      timeoutMs: 150_000,
    });
    await second.stop();

    // The kill was mid-run: the first assembler had not emitted everything.
    const chains = new Set(outputs.records.map((r) => r.chain_id));
    expect(emittedBeforeKill).toBeGreaterThan(0);
    expect(emittedBeforeKill).toBeLessThan(chains.size);
    // Every document in exactly one committed record; every chain emitted once.
    expect(outputs.raw).toHaveLength(docs.length);
    expect(account(outputs, runId)).toMatchObject({ missing: [], duplicated: [], both: [], deadLettered: 0 });
    expect(outputs.records.map((r) => r.chain_id).sort()).toEqual([...chains].sort());
    // Every chain synth closed or completed is there: the rounds topic names the same chains.
    const roundChains = new Set(outputs.rounds.map((r) => r.chain_id));
    expect([...chains].sort()).toEqual([...roundChains].sort());
  });
});
