// Compressed inputs that are corrupt from their first bytes (found by the reliability fuzz run): the
// decoder failed while ingest was still sniffing the format, and the error ended the whole run
// ("error: invalid code lengths set", exit 1) instead of dead-lettering that one input.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { createLogger } from '../../lib/log.ts';
import { createIngestor } from '../../services/ingest/ingestor.ts';
import { jsonl, producedOn, prose } from '../helpers/ingest-fixtures.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';

const dir = mkdtempSync(join(tmpdir(), 'ipt-ingest-corrupt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Deterministic junk (no RNG: the same bytes every run). */
const junk = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7919 + 13) % 256));

describe('ingest on compressed inputs corrupt from the start', () => {
  it('dead-letters each as read_error and goes on with the next file', async () => {
    const endpoints = loadEndpoints();
    const topics = await freshTopics('ingest-corrupt');
    writeFileSync(
      join(dir, 'a-gzip-junk.jsonl'),
      Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), junk(4096)]),
    );
    writeFileSync(
      join(dir, 'b-zstd-junk.jsonl'),
      Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), junk(4096)]),
    );
    const gz = gzipSync(jsonl([{ text: prose(70) }]));
    const smashed = Buffer.from(gz);
    junk(16).copy(smashed, 10);
    writeFileSync(join(dir, 'c-smashed.jsonl.gz'), smashed);
    writeFileSync(join(dir, 'd-good.jsonl'), jsonl([{ text: prose(71) }]));

    const ingestor = await createIngestor({
      brokers: endpoints.kafka.brokers,
      registryUrl: endpoints.registry.url,
      topics,
      dedupStage: false, // straight to the raw topic: dedup is not what this tests
      log: createLogger('ingest-test', 'error'),
    });
    try {
      await ingestor.ingestPaths([dir]);
    } finally {
      await ingestor.close();
    }
    expect(ingestor.stats).toMatchObject({ files: 4, inputs: 4, accepted: 1, rejected: 3 });
    expect(ingestor.stats.rejectedByReason).toEqual({ read_error: 3 });
    const { raw, dlq } = await producedOn(topics);
    expect(raw.map((r) => r.text)).toEqual([prose(71)]);
    expect(dlq.map((d) => [d.context.reason, d.context.source?.split('/').at(-1)]).sort()).toEqual([
      ['read_error', 'a-gzip-junk.jsonl'],
      ['read_error', 'b-zstd-junk.jsonl'],
      ['read_error', 'c-smashed.jsonl.gz'],
    ]);
    expect(dlq.every((d) => d.message.startsWith('reading stopped:'))).toBe(true);
  });
});
