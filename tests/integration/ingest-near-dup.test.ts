// Near-duplicates across a restart, on the shared stack: one ingestor produces documents (each
// record carrying its MinHash signature in a header); a new ingestor on the same topic rebuilds its
// window from those headers at the topic's tail and dead-letters a lightly edited copy of an old document as
// `near_duplicate`, naming the old one; a different document still goes through.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { createLogger } from '../../lib/log.ts';
import type { Topics } from '../../lib/topics.ts';
import { createIngestor, type IngestStats } from '../../services/ingest/ingestor.ts';
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

async function ingest(path: string): Promise<{ stats: IngestStats; restored: number; metrics: string }> {
  const ingestor = await createIngestor({
    brokers: endpoints.kafka.brokers,
    registryUrl: endpoints.registry.url,
    topics,
    log,
  });
  const restored = ingestor.nearDup.size;
  try {
    await ingestor.ingestPaths([path]);
  } finally {
    await ingestor.close();
  }
  return { stats: ingestor.stats, restored, metrics: await ingestor.metrics.registry.metrics() };
}

beforeAll(async () => {
  topics = await freshTopics('neardup');
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('near-duplicate removal across a restart', () => {
  it('drops a near-duplicate of a document produced by an earlier ingestor', async () => {
    const old = demo.slice(0, 3);
    const first = await ingest(write('first.jsonl', old));
    expect(first.stats.accepted).toBe(3);

    const target = old[1] as { id: string; text: string };
    const near = { id: 'near-copy', text: `Share this story | Subscribe\n\n${target.text}\n\nRead more.` };
    const second = await ingest(write('second.jsonl', [near, demo[3] as { id: string; text: string }]));
    expect(second.restored).toBe(3);
    expect(second.stats.accepted).toBe(1);
    expect(second.stats.rejectedByReason).toEqual({ near_duplicate: 1 });
    expect(second.stats.steps.near_dup).toEqual({ in: 2, out: 1, dropped: { near_duplicate: 1 } });
    expect(second.metrics).toContain(
      'ipt_ingest_step_dropped_total{step="near_dup",reason="near_duplicate"} 1',
    );

    const { dlq } = await producedOn(topics);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.context).toMatchObject({
      reason: 'near_duplicate',
      kept_doc_id: target.id,
      step: 'near_dup',
    });
    expect(Number(dlq[0]?.context.similarity)).toBeGreaterThanOrEqual(0.8);
  }, 60_000);
});
