// A chain whose later round failed for good is still emitted, with the rounds it has: the failed
// document goes to the DLQ, synth closes the chain, assemble renders what is there, export ships it.
// The failure is real: the local Triton models fail every batch whose prompt carries the fault marker
// (triton/ipt_synth/service.py), so the round exhausts synth's attempts like a real inference error.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChainId } from '../../core/chain-id.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { createLogger } from '../../lib/log.ts';
import { exportRun } from '../../services/export/export.ts';
import type { ExportRow } from '../../services/export/rows.ts';
import { type Pipeline, startPipeline } from '../../services/run/pipeline.ts';
import { account, corpusDocuments, jsonl, waitAccounted } from '../helpers/pipeline-outputs.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';
import { type SpawnedTriton, spawnTriton } from '../helpers/triton-server.ts';

const FAULT_MARKER = '[[ipt-fault:inference-error]]';
const K = 4;
const endpoints = loadEndpoints();
const kafka: Kafka = kafkaClient('test-e2e-failure', endpoints.kafka.brokers);
const quiet = (name: string) => createLogger(name, 'error');
const dir = mkdtempSync(join(tmpdir(), 'ipt-e2e-failure-'));
let triton: SpawnedTriton;
let pipeline: Pipeline | undefined;

beforeAll(async () => {
  // Our own server: it must be one that knows the fault marker, whatever the stack's Triton is.
  triton = await spawnTriton({ args: ['--models', 'instruction_synthesizer_cpu'] });
});
afterAll(async () => {
  await pipeline?.stop();
  await triton?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('permanent failure of a later round', () => {
  it('emits the chain with the rounds it has, the failed document in the DLQ', async () => {
    // One partition, K = 4, M = 2: record positions j and K + j form chain j of block 0. Position
    // K + 1 is round 1 of chain 1 and carries the marker.
    const docs = corpusDocuments()
      .slice(0, 2 * K)
      .map((d, i) => (i === K + 1 ? { ...d, text: `${d.text}\n\n${FAULT_MARKER}` } : d));
    const poisoned = docs[K + 1]?.id as string;
    const survivor = docs[1]?.id as string;
    writeFileSync(join(dir, 'docs.jsonl'), jsonl(docs));

    const topics = await freshTopics('e2e-failure', 1);
    const runId = `e2e-fail-${randomUUID().slice(0, 8)}`;
    pipeline = await startPipeline({
      brokers: endpoints.kafka.brokers,
      registryUrl: endpoints.registry.url,
      tritonUrls: [triton.url],
      topics,
      runId,
      // Tokens counted inline: documents are produced in file order, so positions are the file's.
      ingest: { log: quiet('ingest'), threads: 0 },
      synth: { chainsPerBlock: K, roundsPerChain: 2, idleMs: 1_500, maxAttempts: 2, log: quiet('synth') },
      assemble: { log: quiet('assemble') },
    });
    await pipeline.ingestor.ingestPaths([join(dir, 'docs.jsonl')]);
    await pipeline.ingestor.flush();
    const outputs = await waitAccounted(kafka, endpoints.registry.url, topics, runId, {
      expectDocuments: docs.length,
    });
    await pipeline.stop();
    pipeline = undefined;

    // The layout this test relies on: the raw topic holds the file in order.
    expect(outputs.raw.map((d) => d.doc_id)).toEqual(docs.map((d) => d.id));
    expect(account(outputs, runId)).toMatchObject({ missing: [], duplicated: [], both: [], deadLettered: 1 });

    // The failed round: in the DLQ as an inference error after synth's attempts, with its text.
    expect(outputs.dead).toHaveLength(1);
    const [dead] = outputs.dead;
    expect(dead).toMatchObject({ doc_id: poisoned, stage: 'SYNTH', run_id: runId });
    expect(dead?.error_class).toMatch(/^INFERENCE_/);
    expect(dead?.value?.toString()).toContain(FAULT_MARKER);

    // Chain 1: emitted with its one good round, closed for the permanent failure.
    const chain1 = outputs.records.filter((r) => parseChainId(r.chain_id).chainIndex === 1);
    expect(chain1).toHaveLength(1);
    const record = chain1[0];
    expect(record?.doc_ids).toEqual([survivor]);
    expect(record?.rounds.map((r) => r.round_index)).toEqual([0]);
    expect(record?.close).toMatchObject({ reason: 'PERMANENT_FAILURE', rounds_total: 1 });
    expect(record?.texts.map((t) => t.text).join('\n')).toContain(docs[1]?.text);
    // The other chains are whole.
    const others = outputs.records.filter((r) => parseChainId(r.chain_id).chainIndex !== 1);
    expect(others.map((r) => r.doc_ids.length)).toEqual([2, 2, 2]);
    expect(others.every((r) => r.close === null)).toBe(true);

    // And it is in the export, saying why it is short.
    const out = join(dir, 'export');
    await exportRun({
      brokers: endpoints.kafka.brokers,
      registryUrl: endpoints.registry.url,
      topics,
      run: runId,
      outDir: out,
      shardSize: 0,
      name: 'augmented',
      log: quiet('export'),
    });
    const rows = readFileSync(join(out, 'augmented.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ExportRow);
    const short = rows.filter((r) => r.metadata.doc_ids.includes(survivor));
    expect(short).toHaveLength(1);
    expect(short[0]?.metadata).toMatchObject({ close_reason: 'PERMANENT_FAILURE', round_indexes: [0] });
    expect(rows.some((r) => r.metadata.doc_ids.includes(poisoned))).toBe(false);
  });
});
