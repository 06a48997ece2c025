// Near-duplicates across a restart of both ingest and the dedup stage, on the shared stack: one
// ingestor sends documents (each candidate with its MinHash signature) and a dedup stage keeps
// them; later a new ingestor sends a lightly edited copy of an old document and a different one,
// and a new stage (its state restored from the changelog) dead-letters the copy as
// `near_duplicate`, naming the old one, while the different document goes through.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { createLogger } from '../../lib/log.ts';
import type { Topics } from '../../lib/topics.ts';
import { createIngestor, type IngestStats } from '../../services/ingest/ingestor.ts';
import { decideCandidates } from '../helpers/dedup-stage.ts';
import { producedOn } from '../helpers/ingest-fixtures.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';

const endpoints = loadEndpoints();
const log = createLogger('ingest-near-dup-test', 'warn');
const dir = mkdtempSync(join(tmpdir(), 'ipt-ingest-near-dup-'));
const demo = readFileSync(new URL('../../demo/corpus/sample.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as { id: string; text: string });
let topics: Topics;

const write = (name: string, docs: { id: string; text: string }[]) => {
  const path = join(dir, name);
  writeFileSync(path, docs.map((d) => JSON.stringify(d)).join('\n'));
  return path;
};

async function ingest(path: string): Promise<IngestStats> {
  const ingestor = await createIngestor({
    brokers: endpoints.kafka.brokers,
    registryUrl: endpoints.registry.url,
    topics,
    log,
  });
  try {
    await ingestor.ingestPaths([path]);
  } finally {
    await ingestor.close();
  }
  return ingestor.stats;
}

beforeAll(async () => {
  topics = await freshTopics('neardup');
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('near-duplicate removal across a restart', () => {
  it('drops a near-duplicate of a document an earlier ingestor sent and an earlier stage kept', async () => {
    const old = demo.slice(0, 3);
    const first = await ingest(write('first.jsonl', old));
    expect(first.accepted).toBe(3);
    expect(await decideCandidates(topics, 3)).toMatchObject({ kept: 3 });

    const target = old[1] as { id: string; text: string };
    const near = { id: 'near-copy', text: `Share this story | Subscribe\n\n${target.text}\n\nRead more.` };
    const other = demo[3] as { id: string; text: string };
    const second = await ingest(write('second.jsonl', [near, other]));
    expect(second.accepted).toBe(2);
    expect(await decideCandidates(topics, 2)).toMatchObject({ kept: 1, nearDuplicate: 1 });

    const { raw, dlq } = await producedOn(topics);
    expect(raw.map((r) => r.doc_id).sort()).toEqual([...old.map((d) => d.id), other.id].sort());
    expect(dlq).toHaveLength(1);
    expect(dlq[0]).toMatchObject({ stage: 'DEDUP', doc_id: near.id });
    expect(dlq[0]?.context).toMatchObject({ reason: 'near_duplicate', kept_doc_id: target.id });
    expect(Number(dlq[0]?.context.similarity)).toBeGreaterThanOrEqual(0.8);
  }, 180_000);
});
