// The dedup stage on the shared stack: several ingestors at once on overlapping inputs (exact
// copies and near-duplicate chains A ≈ B ≈ C) send candidates to ipt.dedup.candidates; dedup
// instances decide. Whatever the number of ingestors, no two documents in ipt.docs.raw are exact
// or LSH near-duplicates, every dropped one names a kept one that is there, every distinct text
// is kept once or dropped as a near-duplicate. Also: an instance SIGKILLed mid-stream loses and
// duplicates nothing; a restarted stage still knows what it kept; a malformed candidate goes to
// the DLQ with its reason.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DeadLetter, DedupMessage, RawDocument } from '../../core/types.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { createLogger } from '../../lib/log.ts';
import { registryClient, topicSerde } from '../../lib/registry.ts';
import type { Topics } from '../../lib/topics.ts';
import { type DedupService, startDedup } from '../../services/dedup/main.ts';
import { contentHash } from '../../services/ingest/ids.ts';
import { createIngestor } from '../../services/ingest/ingestor.ts';
import { bandKeys, lshShape, signature, similarity } from '../../services/ingest/minhash.ts';
import { producedOn } from '../helpers/ingest-fixtures.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';
import { spawnIpt } from '../helpers/service-process.ts';

const endpoints = loadEndpoints();
const log = createLogger('dedup-stage-test', 'warn');
const dir = mkdtempSync(join(tmpdir(), 'ipt-dedup-stage-'));
const shape = lshShape(0.8);

interface Doc {
  id: string;
  text: string;
}

const demo: string[] = readFileSync(new URL('../../demo/corpus/sample.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line) => (JSON.parse(line) as { text: string }).text)
  .filter((t) => t.split(' ').length > 150);

/** `text` with `n` words near its end replaced by ordinary words (so quality rules still pass). */
function edited(text: string, n: number, word: string): string {
  const words = text.split(' ');
  for (let i = 0; i < n; i++) words[words.length - 5 - i * 7] = word;
  return words.join(' ');
}

/** Per group: A, an exact copy of A, B ≈ A, C ≈ B (chains), under ids that differ per copy. */
function groups(count: number, tag: string): Doc[] {
  const docs: Doc[] = [];
  for (let g = 0; g < count; g++) {
    const a = demo[g % demo.length] as string;
    const b = edited(a, 2, 'river');
    const c = edited(b, 4, 'harbour');
    docs.push({ id: `${tag}-g${g}-a`, text: a }, { id: `${tag}-g${g}-a2`, text: a });
    docs.push({ id: `${tag}-g${g}-b`, text: b }, { id: `${tag}-g${g}-c`, text: c });
  }
  return docs;
}

/** A seeded shuffle, so each ingestor reads the same documents in another order. */
function shuffled<T>(list: T[], seed: number): T[] {
  const out = [...list];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function write(name: string, docs: Doc[]): string {
  const path = join(dir, name);
  writeFileSync(path, docs.map((d) => JSON.stringify(d)).join('\n'));
  return path;
}

/** Ingestors running at once, each with its own producer, as separate processes would. */
async function ingestConcurrently(topics: Topics, files: string[]): Promise<number> {
  const runs = files.map(async (file) => {
    const ingestor = await createIngestor({
      brokers: endpoints.kafka.brokers,
      registryUrl: endpoints.registry.url,
      topics,
      log,
      dedupStage: true,
      clientId: `ipt-ingest-${file}`,
    });
    try {
      await ingestor.ingestPaths([file]);
    } finally {
      await ingestor.close();
    }
    return ingestor.stats.accepted;
  });
  return (await Promise.all(runs)).reduce((a, b) => a + b, 0);
}

const dedupLetters = (dlq: DeadLetter[]) => dlq.filter((d) => d.stage === 'DEDUP');

/** Waits until every candidate has its verdict: a document in raw or a dead letter of the stage. */
async function decided(topics: Topics, candidates: number, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { raw, dlq } = await producedOn(topics);
    const kept = new Set(raw.map((r) => r.key));
    if (kept.size + dedupLetters(dlq).length >= candidates) return { raw, dlq };
    if (Date.now() > deadline)
      throw new Error(`${kept.size} kept + ${dedupLetters(dlq).length} dropped of ${candidates}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const lshPair = (a: string, b: string): boolean => {
  const x = signature(a);
  const y = signature(b);
  const kx = bandKeys(x, shape);
  const ky = bandKeys(y, shape);
  return kx.some((k, i) => k === ky[i]) && similarity(x, y) >= 0.8;
};

/** The three properties of ARCHITECTURE.md §9 on what a run left on the topics. */
function expectProperties(raw: (RawDocument & { key: string | null })[], dlq: DeadLetter[], inputs: Doc[]) {
  const hashes = raw.map((r) => r.content_hash);
  expect(new Set(hashes).size, 'exact duplicates in raw').toBe(raw.length);
  for (let i = 0; i < raw.length; i++)
    for (let j = i + 1; j < raw.length; j++)
      expect(lshPair(raw[i]?.text ?? '', raw[j]?.text ?? ''), `${raw[i]?.doc_id} ≈ ${raw[j]?.doc_id}`).toBe(
        false,
      );
  const keptIds = new Set(raw.map((r) => r.doc_id));
  const letters = dedupLetters(dlq);
  for (const letter of letters) {
    expect(['duplicate', 'near_duplicate']).toContain(letter.context.reason);
    expect(keptIds.has(letter.context.kept_doc_id ?? ''), `${letter.doc_id} names a kept document`).toBe(
      true,
    );
  }
  // Every distinct text is kept once, or dropped as a near-duplicate of a kept one.
  const nearDropped = letters
    .filter((l) => l.context.reason === 'near_duplicate')
    .map((l) => l.context.content_hash);
  expect(new Set([...hashes, ...nearDropped])).toEqual(new Set(inputs.map((d) => contentHash(d.text))));
}

/** Resolves once an `ipt dedup` process says it has joined its group. */
async function started(process: ReturnType<typeof spawnIpt>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!process.tail(200).includes('dedup: group')) {
    if (!process.alive() || Date.now() > deadline) throw new Error(`dedup did not start:\n${process.tail()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const services: DedupService[] = [];
const startStage = async (topics: Topics) => {
  const service = await startDedup({
    brokers: endpoints.kafka.brokers,
    registryUrl: endpoints.registry.url,
    topics,
    log,
    commitIntervalMs: 50,
    sessionTimeoutMs: 10_000,
  });
  services.push(service);
  return service;
};

afterAll(async () => {
  for (const s of services) await s.stop().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

describe('the dedup stage', () => {
  it.each([2, 4])(
    'holds the three properties with %i concurrent ingestors on overlapping inputs',
    async (n) => {
      const topics = await freshTopics(`dedup${n}`, 4);
      const stage = await startStage(topics);
      const docs = groups(8, `n${n}`);
      const files = Array.from({ length: n }, (_, i) => write(`in-${n}-${i}.jsonl`, shuffled(docs, i + 1)));
      const candidates = await ingestConcurrently(topics, files);
      expect(candidates).toBe(docs.length * n);
      const { raw, dlq } = await decided(topics, candidates);
      expectProperties(raw, dlq, docs);
      // Exact copies: at most one of each group's A is kept; nothing else got through.
      expect(raw.length).toBeLessThanOrEqual(8 * 2);
      expect(stage.stats().kept).toBe(raw.length);
      await stage.stop();
    },
    240_000,
  );

  it('loses and duplicates nothing when one of two instances is SIGKILLed mid-stream, and restores after restart', async () => {
    const topics = await freshTopics('dedupkill', 4);
    const args = [
      'dedup',
      '--topic-namespace',
      topics.raw.split('.ipt.')[0] as string,
      '--session-timeout-ms',
      '6000',
    ];
    const first = spawnIpt([...args, '--ops-port', '0'], 'dedup-a');
    const second = spawnIpt([...args, '--ops-port', '0'], 'dedup-b');
    try {
      await Promise.all([first, second].map((p) => started(p)));
      // Two overlapping halves: the first decided by both instances, the second while one is killed.
      const docs = groups(10, 'kill');
      const halves = [docs.slice(0, 24), docs.slice(16)];
      const firstHalf = await ingestConcurrently(
        topics,
        [0, 1].map((i) => write(`kill-a${i}.jsonl`, shuffled(halves[0] as Doc[], 10 + i))),
      );
      await decided(topics, firstHalf);
      const ingesting = ingestConcurrently(
        topics,
        [0, 1].map((i) => write(`kill-b${i}.jsonl`, shuffled(halves[1] as Doc[], 20 + i))),
      );
      await new Promise((r) => setTimeout(r, 500));
      await first.kill();
      const candidates = firstHalf + (await ingesting);
      const { raw, dlq } = await decided(topics, candidates, 180_000);
      // Exactly once: every candidate decided once — kept documents once in raw, the rest once in the DLQ.
      expect(new Set(raw.map((r) => r.key)).size).toBe(raw.length);
      expect(raw.length + dedupLetters(dlq).length).toBe(candidates);
      expectProperties(raw, dlq, docs);

      // A restarted stage still knows what it kept: a third copy of a kept text is a duplicate of it.
      await second.stop();
      const restarted = spawnIpt([...args, '--ops-port', '0'], 'dedup-c');
      try {
        const keptText = raw[0] as RawDocument;
        const again = await ingestConcurrently(topics, [
          write('again.jsonl', [{ id: 'again', text: keptText.text }]),
        ]);
        const after = await decided(topics, candidates + again, 120_000);
        const letter = dedupLetters(after.dlq).find((l) => l.doc_id === 'again');
        expect(letter?.context).toMatchObject({ reason: 'duplicate', kept_doc_id: keptText.doc_id });
        expect(after.raw).toHaveLength(raw.length);
      } finally {
        await restarted.stop();
      }
    } finally {
      if (first.alive()) await first.kill();
      if (second.alive()) await second.kill();
    }
  }, 360_000);

  it('dead-letters a malformed candidate with the reason and goes on', async () => {
    const topics = await freshTopics('dedupbad', 2);
    await startStage(topics);
    const kafka = kafkaClient('dedup-test-producer', endpoints.kafka.brokers);
    const producer = kafka.producer();
    await producer.connect();
    const serde = topicSerde<DedupMessage>(registryClient(endpoints.registry.url), topics.candidates);
    const bad: DedupMessage = {
      kind: 'CANDIDATE',
      hash: 'f'.repeat(64),
      doc_id: 'bad-doc',
      records: [Buffer.from('not a RawDocument')],
      signature: null,
      origin: 'hand-made',
      band: null,
      band_key: null,
      claims: [],
      peers: [],
      peer_hash: null,
      peer_doc_id: null,
      status: null,
      similarity: null,
    };
    await producer.send({
      topic: topics.candidates,
      messages: [
        { key: bad.hash, value: await serde.serialize(bad) },
        { key: 'x', value: Buffer.from('not avro at all') },
      ],
    });
    await producer.disconnect();
    const good = await ingestConcurrently(topics, [
      write('good.jsonl', [{ id: 'good', text: demo[0] as string }]),
    ]);
    const { raw, dlq } = await decided(topics, good + 2);
    expect(raw.map((r) => r.doc_id)).toEqual(['good']);
    const letters = dedupLetters(dlq);
    expect(letters.find((l) => l.doc_id === 'bad-doc')).toMatchObject({
      error_class: 'VALIDATION',
      context: expect.objectContaining({ reason: 'malformed_candidate' }),
    });
    expect(letters.find((l) => l.error_class === 'DESERIALIZATION')).toBeDefined();
  }, 120_000);
});
