// What decides a raw partition's order now that the dedup stage writes it (ARCHITECTURE.md §9,
// "Chain order"), on the shared stack: the same file ingested twice, each time into fresh topics,
// through one ingest process and one dedup instance.
//
// - With a one-partition candidates topic, every candidate, claim and reply passes one log in
//   order, so documents are kept in the order ingest sent them: the raw partitions hold the same
//   documents in the same order, and synth forms the same chains (the layout is a pure function of
//   the position in the partition).
// - With several candidates partitions the raw partitions still hold the same documents (a raw
//   partition is its doc id's), but a document is kept when the last of its band replies comes
//   back from other partitions, so the order, and with it the chains, is left to timing.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { formatChainId } from '../../core/chain-id.ts';
import { slotOf } from '../../core/layout.ts';
import type { RawDocument } from '../../core/types.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { createLogger } from '../../lib/log.ts';
import { registerSchemas, registryClient, topicSerde } from '../../lib/registry.ts';
import { createTopics, type Topics, topicSpecs, topicsFor, waitForLeaders } from '../../lib/topics.ts';
import { createIngestor } from '../../services/ingest/ingestor.ts';
import { decideCandidates } from '../helpers/dedup-stage.ts';
import { prose } from '../helpers/ingest-fixtures.ts';
import { readCommitted } from '../helpers/read-topic.ts';

const endpoints = loadEndpoints();
const kafka = new Kafka({
  clientId: 'dedup-order-test',
  brokers: endpoints.kafka.brokers,
  logLevel: logLevel.ERROR,
});
const log = createLogger('dedup-order-test', 'error');
const dir = mkdtempSync(join(tmpdir(), 'ipt-dedup-order-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DISTINCT = 60;
/** Distinct texts, and every fifth one again under another id (an exact copy, dropped). */
const docs = Array.from({ length: DISTINCT }, (_, i) => ({ id: `d${i}`, text: prose(5000 + i) }));
const input = docs.flatMap((d, i) => (i % 5 === 0 ? [d, { id: `${d.id}-copy`, text: d.text }] : [d]));
const file = join(dir, 'input.jsonl');
writeFileSync(file, input.map((d) => JSON.stringify(d)).join('\n'));

/** Fresh topics with 3 raw partitions and `candidates` partitions on the candidates topic. */
async function topicsWith(candidates: number): Promise<Topics> {
  const topics = topicsFor(`dedup-order-${randomUUID().slice(0, 8)}`);
  const admin = kafka.admin();
  await admin.connect();
  try {
    // The stage's input and its changelog are partitioned alike; the other topics get 3.
    const stage = new Set([topics.candidates, topics.dedupState]);
    const specs = topicSpecs(candidates, undefined, topics).filter((t) => stage.has(t.topic));
    await admin.createTopics({ topics: specs, waitForLeaders: false });
    await waitForLeaders(admin, [...stage]);
    await createTopics(admin, 3, topics);
  } finally {
    await admin.disconnect();
  }
  await registerSchemas(registryClient(endpoints.registry.url), topics);
  return topics;
}

interface Placed {
  partition: number;
  docId: string;
}

/** Ingests the file through the stage into fresh topics; the raw records in partition/offset order. */
async function run(candidates: number): Promise<{ topics: Topics; placed: Placed[] }> {
  const topics = await topicsWith(candidates);
  const ingestor = await createIngestor({
    brokers: endpoints.kafka.brokers,
    registryUrl: endpoints.registry.url,
    topics,
    log,
  });
  try {
    await ingestor.ingestPaths([file]);
  } finally {
    await ingestor.close();
  }
  expect(await decideCandidates(topics, input.length)).toMatchObject({ kept: DISTINCT });
  const serde = topicSerde<RawDocument>(registryClient(endpoints.registry.url), topics.raw);
  const records = await readCommitted(kafka, topics.raw);
  const placed: Placed[] = [];
  for (const r of records)
    placed.push({ partition: r.partition, docId: (await serde.deserialize(r.value as Buffer)).doc_id });
  return { topics, placed };
}

const byPartition = (placed: Placed[]) => {
  const out = new Map<number, string[]>();
  for (const p of placed) out.set(p.partition, [...(out.get(p.partition) ?? []), p.docId]);
  return out;
};

/** Synth's chains for a partition's order (K 4, M 2): chain id → member doc ids in round order. */
function chains(placed: Placed[]): Record<string, string[]> {
  const layout = { chainsPerBlock: 4, roundsPerChain: 2 };
  const out: Record<string, string[]> = {};
  for (const [partition, ids] of byPartition(placed))
    ids.forEach((docId, seq) => {
      const slot = slotOf(seq, layout);
      const id = formatChainId({
        runId: 'r',
        topic: 'raw',
        partition,
        block: slot.block,
        chainIndex: slot.chainIndex,
      });
      out[id] = [...(out[id] ?? []), docId];
    });
  return out;
}

const sentOrder = new Map(input.map((d, i) => [d.id, i]));
const sorted = (ids: string[]) => [...ids].sort();

describe('raw order through the dedup stage', () => {
  it('is the order ingest sent with one candidates partition: same raw order and chains twice', async () => {
    const first = await run(1);
    const second = await run(1);
    expect(first.placed.map((p) => p.docId).sort()).toEqual(docs.map((d) => d.id).sort());
    expect(byPartition(second.placed)).toEqual(byPartition(first.placed));
    expect(chains(second.placed)).toEqual(chains(first.placed));
    for (const ids of byPartition(first.placed).values()) {
      const order = ids.map((id) => sentOrder.get(id) ?? -1);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  }, 300_000);

  it('keeps the same documents per raw partition with several candidates partitions', async () => {
    const one = await run(1);
    const four = await run(4);
    const a = byPartition(one.placed);
    const b = byPartition(four.placed);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [partition, ids] of a) expect(sorted(b.get(partition) ?? [])).toEqual(sorted(ids));
  }, 300_000);
});
