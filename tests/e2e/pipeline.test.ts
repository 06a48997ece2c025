// Files in, exported shards out: ingest → synth → assemble in one process (as `ipt run` runs them)
// on the real stack, then `exportRun`, and the guarantees a corpus builder relies on checked on
// what is actually on the topics and in the shards.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Kafka } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { pairFragments } from '../../core/templates/structure.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { createLogger } from '../../lib/log.ts';
import { exportRun } from '../../services/export/export.ts';
import type { ExportRow } from '../../services/export/rows.ts';
import { type Pipeline, startPipeline } from '../../services/run/pipeline.ts';
import { account, corpusDocuments, jsonl, waitAccounted } from '../helpers/pipeline-outputs.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';

const endpoints = loadEndpoints();
const kafka: Kafka = kafkaClient('test-e2e-pipeline', endpoints.kafka.brokers);
const quiet = (name: string) => createLogger(name, 'error');
const dirs: string[] = [];
let pipeline: Pipeline | undefined;

afterAll(async () => {
  await pipeline?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ipt-e2e-${name}-`));
  dirs.push(dir);
  return dir;
}

describe('the whole pipeline on the real stack', () => {
  it('files in (JSONL and gzip JSONL, one text chunked), every document accounted for once, every pair in the exported texts', async () => {
    const corpus = corpusDocuments();
    const plain = corpus.slice(0, 14);
    const gzipped = corpus.slice(14, 24);
    // Too long for one prompt: ingest splits it into chunks `<id>#0`, `<id>#1`, … that flow as documents.
    const long = {
      id: 'long-digest',
      url: 'https://example.com/digest',
      text: corpus
        .slice(24, 37)
        .map((d) => d.text)
        .join('\n\n'),
    };
    const input = tempDir('input');
    writeFileSync(join(input, 'crawl.jsonl'), jsonl(plain));
    writeFileSync(join(input, 'more.jsonl.gz'), gzipSync(jsonl([...gzipped, long])));

    const topics = await freshTopics('e2e-files', 2);
    const runId = `e2e-${randomUUID().slice(0, 8)}`;
    pipeline = await startPipeline({
      brokers: endpoints.kafka.brokers,
      registryUrl: endpoints.registry.url,
      tritonUrls: endpoints.triton.urls,
      topics,
      runId,
      ingest: { log: quiet('ingest'), threads: 1 },
      synth: { chainsPerBlock: 4, idleMs: 1_500, log: quiet('synth') },
      assemble: { log: quiet('assemble') },
    });
    await pipeline.ingestor.ingestPaths([input]);
    await pipeline.ingestor.flush();
    expect(pipeline.ingestor.stats).toMatchObject({ accepted: 25, rejected: 0, duplicates: 0, files: 2 });

    const outputs = await waitAccounted(kafka, endpoints.registry.url, topics, runId, {
      expectDocuments: 26,
    });
    await pipeline.stop();
    pipeline = undefined;

    // The documents that flowed: every input id, the long one as its chunks.
    const rawIds = outputs.raw.map((d) => d.doc_id).sort();
    const chunks = rawIds.filter((id) => id.startsWith('long-digest#'));
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    expect(rawIds).toEqual(
      [...plain, ...gzipped]
        .map((d) => d.id)
        .concat(chunks)
        .sort(),
    );
    for (const doc of outputs.raw.filter((d) => d.doc_id.startsWith('long-digest#'))) {
      expect(doc.parent_doc_id).toBe('long-digest');
      expect(doc.chunk_count).toBe(chunks.length);
    }

    // Each raw document is in exactly one augmented record (these texts are clean: none dead-lettered).
    const accounting = account(outputs, runId);
    expect(accounting).toMatchObject({ missing: [], duplicated: [], both: [], deadLettered: 0 });
    expect(accounting.augmented).toBe(rawIds.length);
    expect(outputs.dead).toEqual([]);
    const recordIds = outputs.records.map((r) => r.id);
    expect(new Set(recordIds).size).toBe(recordIds.length);
    // K = 4, M = 2 over two partitions: mostly two-round chains.
    expect(outputs.records.filter((r) => r.rounds.length === 2).length).toBeGreaterThanOrEqual(8);

    // Export: shards of 5 rows, one JSON object per line with text, id and metadata.
    const out = tempDir('export');
    const manifest = await exportRun({
      brokers: endpoints.kafka.brokers,
      registryUrl: endpoints.registry.url,
      topics,
      run: runId,
      outDir: out,
      shardSize: 5,
      log: quiet('export'),
    });
    const shardFiles = readdirSync(out)
      .filter((f) => f.endsWith('.jsonl'))
      .sort();
    expect(shardFiles).toEqual(manifest.shards.map((s) => s.file));
    expect(shardFiles.length).toBeGreaterThan(1);
    const rows: ExportRow[] = [];
    for (const file of shardFiles) {
      const lines = readFileSync(join(out, file), 'utf8').split('\n');
      expect(lines.pop()).toBe('');
      for (const line of lines) {
        const row = JSON.parse(line) as ExportRow;
        expect(Object.keys(row)).toEqual(['text', 'id', 'metadata']);
        expect(row.text.length).toBeGreaterThan(0);
        rows.push(row);
      }
    }
    expect(rows.length).toBe(manifest.rows);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(manifest.records).toBe(outputs.records.length);
    expect(rows.flatMap((r) => r.metadata.doc_ids).sort()).toEqual(rawIds);

    // Every pair synth parsed (as it put it on the rounds topic) is in the exported text of its
    // document, and so is the document's own text.
    const rounds = outputs.rounds.filter((r) => r.kind === 'ROUND');
    expect(rounds.map((r) => r.doc_id).sort()).toEqual(rawIds);
    let pairs = 0;
    for (const round of rounds) {
      const row = rows.find((r) => r.metadata.doc_ids.includes(round.doc_id));
      expect(row, round.doc_id).toBeDefined();
      const text = row?.text ?? '';
      expect(text).toContain(round.text);
      for (const pair of round.pairs) {
        pairs++;
        for (const fragment of pairFragments(pair)) expect(text).toContain(fragment);
      }
    }
    expect(pairs).toBe(manifest.pairs);
    expect(pairs).toBeGreaterThan(rawIds.length * 2); // the CPU synthesizer mines these texts well
  });
});
