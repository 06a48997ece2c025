// Every input format through the real stack: Kafka, the registry's RawDocument schema, the
// Mistral token counts, chunking of over-budget texts.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUDGET, maxTextTokens, promptTokenModel } from '../../core/budget.ts';
import { mistralTokenizer } from '../../core/mistral.ts';
import type { RawDocument } from '../../core/types.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import type { Topics } from '../../lib/topics.ts';
import { contentHash, docIdFor } from '../../services/ingest/ids.ts';
import { createIngestor, type Ingestor } from '../../services/ingest/ingestor.ts';
import {
  CRAWL,
  producedOn,
  prose,
  writeJsonlGz,
  writeJsonlZst,
  writeParquet,
  writeText,
  writeWarc,
  writeWet,
} from '../helpers/ingest-fixtures.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';

const endpoints = loadEndpoints();
const tok = mistralTokenizer();
const dir = mkdtempSync(join(tmpdir(), 'ipt-ingest-formats-'));
let topics: Topics;
let ingestor: Ingestor;
let raw: (RawDocument & { key: string | null })[];

// Decomposed accents, odd spaces, a zero-width space, a stray control, CR and NEL breaks, blank
// runs, trailing spaces: every thing the opt-in steps would change, in a text that must arrive as is.
const ODD = `\t Cafe\u0301\u00a0na\u0308ive\u200b ${prose(16)}\u0007 \r\r\n\u0085\n\n\n\u3000${prose(17)}   \n\n`;

const bySource = (prefix: string) => raw.filter((r) => r.source.startsWith(prefix));

beforeAll(async () => {
  topics = await freshTopics('ingest');
  ingestor = await createIngestor({
    brokers: endpoints.kafka.brokers,
    registryUrl: endpoints.registry.url,
    topics,
    dedupStage: false, // straight to the raw topic: dedup is not what this tests
  });

  writeJsonlGz(join(dir, 'docs.jsonl.gz'), [
    { id: 'j-1', text: prose(1), url: 'http://example.com/1', metadata: { lang: 'en' } },
    { id: 'j-2', content: `  ${prose(2)}\r\n\r\n\r\n${prose(3)}  ` },
    { id: 'j-3', text: ODD },
  ]);
  await writeJsonlZst(join(dir, 'docs.jsonl.zst'), [{ text: prose(4), url: 'http://example.com/4' }]);
  writeParquet(
    join(dir, 'shard-00000.parquet'),
    [5, 6, 7, 8, 9].map((i) => ({
      content: prose(i),
      url: `http://example.com/${i}`,
      timestamp: new Date(Date.UTC(2023, 0, 27, 10, i)),
      dump: CRAWL.dump,
      segment: CRAWL.segment,
    })),
    2,
  );
  await writeWarc(join(dir, 'CC-MAIN-20230126-00000.warc.gz'), [
    {
      url: 'http://example.com/page',
      html: `<html><head><title>x</title><script>track()</script></head><body><h1>A page</h1><p>${prose(10)}</p></body></html>`,
    },
    {
      url: 'http://example.com/logo.png',
      html: Uint8Array.from([0x89, 0x50, 0x4e, 0x47]),
      contentType: 'image/png',
    },
    { url: 'http://example.com/gone', html: '<p>gone</p>', status: 404 },
    {
      url: 'http://example.com/latin1',
      html: Buffer.concat([
        Buffer.from('<p>'),
        Buffer.from(`caf\u00e9 ${prose(11)}`, 'latin1'),
        Buffer.from('</p>'),
      ]),
      contentType: 'text/html; charset=ISO-8859-1',
    },
  ]);
  await writeWet(join(dir, 'CC-MAIN-20230126-00000.warc.wet.gz'), [
    { url: 'http://example.com/w1', text: prose(12) },
    { url: 'http://example.com/w2', text: prose(13) },
  ]);
  writeText(join(dir), 'notes.txt', prose(14));
  // Far over the prompt budget on its own: must arrive as chunks.
  writeText(join(dir), 'long.txt', Array.from({ length: 12 }, (_, i) => prose(100 + i, 2000)).join('\n\n'));

  await ingestor.ingestPaths([dir]);
  await ingestor.ingestStream(Readable.from([Buffer.from(`${JSON.stringify({ text: prose(15) })}\n`)]));
  await ingestor.close();
  // The same odd text again through an ingestor that opts into two steps (without dedup, as above:
  // the normalized text is a near-duplicate of the one produced above, its words being equal).
  const normalizing = await createIngestor({
    brokers: endpoints.kafka.brokers,
    registryUrl: endpoints.registry.url,
    topics,
    normalize: { steps: ['nfc', 'line-breaks'] },
    dedupStage: false,
  });
  await normalizing.ingestStream(Readable.from([`${JSON.stringify({ id: 'n-1', text: ODD })}\n`]));
  await normalizing.close();
  raw = (await producedOn(topics)).raw;
}, 180_000);

afterAll(async () => {
  await ingestor?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ingest formats on the real stack', () => {
  it('reads gzip JSON Lines with configurable fields (text or content), keeping given ids and metadata', () => {
    const docs = raw.filter((r) => r.source.endsWith('docs.jsonl.gz'));
    expect(docs.map((d) => d.doc_id).sort()).toEqual(['j-1', 'j-2', 'j-3']);
    const one = docs.find((d) => d.doc_id === 'j-1') as RawDocument;
    expect(one).toMatchObject({
      text: prose(1),
      url: 'http://example.com/1',
      chunk_index: 0,
      chunk_count: 1,
      parent_doc_id: null,
    });
    expect(one.metadata).toMatchObject({ lang: 'en', line: '1' });
    expect(one.source).toMatch(/^jsonl:.*docs\.jsonl\.gz$/);
    // Texts as given: byte for byte, whitespace, NFD and the stray control included; no step named.
    expect(docs.find((d) => d.doc_id === 'j-2')?.text).toBe(`  ${prose(2)}\r\n\r\n\r\n${prose(3)}  `);
    const odd = docs.find((d) => d.doc_id === 'j-3') as RawDocument;
    expect(Buffer.from(odd.text).equals(Buffer.from(ODD))).toBe(true);
    expect(odd.content_hash).toBe(contentHash(ODD));
    for (const d of docs) expect(d.metadata.normalized).toBeUndefined();
  });

  it('applies opted-in steps only, and names them in the record', () => {
    const doc = raw.find((d) => d.doc_id === 'n-1') as RawDocument;
    expect(doc.text).toBe(ODD.normalize('NFC').replace(/\r\n?|\u0085/g, '\n'));
    expect(doc.text).toContain('\u00a0'); // "spaces" was not asked for
    expect(doc.metadata.normalized).toBe('nfc,line-breaks');
    expect(doc.content_hash).toBe(contentHash(doc.text));
  });

  it('reads zstd JSON Lines and derives the id from url + text when none is given', () => {
    const [doc] = raw.filter((r) => r.source.endsWith('docs.jsonl.zst'));
    expect(doc?.text).toBe(prose(4));
    expect(doc?.doc_id).toBe(docIdFor(null, 'http://example.com/4', prose(4)));
    expect(doc?.key).toBe(doc?.doc_id);
  });

  it('reads a RefinedWeb Parquet shard row group by row group with its crawl columns', () => {
    const docs = bySource('refinedweb:');
    expect(docs.map((d) => d.text).sort()).toEqual([5, 6, 7, 8, 9].map((i) => prose(i)).sort());
    const d7 = docs.find((d) => d.url === 'http://example.com/7') as RawDocument;
    expect(d7).toMatchObject({
      crawl_dump: CRAWL.dump,
      crawl_segment: CRAWL.segment,
      crawl_time: Date.UTC(2023, 0, 27, 10, 7),
    });
    expect(d7.metadata).toMatchObject({ row: '2', row_group: '1' });
  });

  it('turns WARC HTML responses into visible text, decoding the declared charset, and skips the rest', () => {
    const docs = bySource('warc:');
    expect(docs).toHaveLength(2);
    const page = docs.find((d) => d.url === 'http://example.com/page') as RawDocument;
    expect(page.text).toBe(`A page\n\n${prose(10)}`);
    expect(page.text).not.toContain('track()');
    expect(page).toMatchObject({
      crawl_dump: CRAWL.dump,
      crawl_segment: CRAWL.segment,
      crawl_time: Date.parse('2023-01-27T10:11:12Z'),
    });
    expect(page.doc_id).toMatch(/^urn:uuid:/);
    expect(docs.find((d) => d.url === 'http://example.com/latin1')?.text).toBe(`café ${prose(11)}`);
    // request records, the PNG and the 404 are not documents
    expect(ingestor.stats.skipped).toBe(6);
  });

  it('takes WET conversion records as they are', () => {
    const docs = bySource('wet:');
    expect(docs.map((d) => d.text).sort()).toEqual([prose(12), prose(13)].sort());
    expect(docs[0]?.crawl_dump).toBe(CRAWL.dump);
  });

  it('reads a plain text file as one document, and stdin', () => {
    expect(bySource('text:').find((d) => d.source.endsWith('notes.txt'))?.text).toBe(prose(14));
    expect(raw.find((d) => d.source === 'stdin')?.text).toBe(prose(15));
  });

  it('stores the Mistral token count (no BOS) and the content hash of every record', () => {
    for (const doc of raw) {
      expect(doc.token_count).toBe(tok.count(doc.text));
      expect(doc.content_hash).toBe(contentHash(doc.text));
    }
  });

  it('splits a text over the token budget into chunks i of n that each fit, keyed by the parent', () => {
    const limit = maxTextTokens(DEFAULT_BUDGET, promptTokenModel(tok));
    const chunks = raw
      .filter((d) => d.source.endsWith('long.txt'))
      .sort((a, b) => a.chunk_index - b.chunk_index);
    expect(chunks.length).toBeGreaterThan(1);
    const parent = chunks[0]?.parent_doc_id as string;
    const whole = Array.from({ length: 12 }, (_, i) => prose(100 + i, 2000)).join('\n\n');
    expect(parent).toBe(docIdFor(null, null, whole));
    chunks.forEach((c, i) => {
      expect(c).toMatchObject({
        doc_id: `${parent}#${i}`,
        chunk_index: i,
        chunk_count: chunks.length,
        parent_doc_id: parent,
        key: parent,
      });
      expect(c.token_count).toBeLessThanOrEqual(limit);
      expect(c.metadata.parent_content_hash).toBe(contentHash(whole));
    });
    // Nothing lost: the chunks hold every word of the text in order.
    expect(
      chunks
        .map((c) => c.text)
        .join(' ')
        .split(/\s+/),
    ).toEqual(whole.split(/\s+/));
    expect(ingestor.stats.chunked).toBe(1);
  });

  it('accounts for every input', () => {
    const s = ingestor.stats;
    expect(s.rejected).toBe(0);
    expect(s.accepted + s.duplicates + s.rejected + s.skipped).toBe(s.inputs);
    expect(s.produced).toBe(raw.length - 1); // n-1 came from the second ingestor
    expect(s.accepted).toBe(3 + 1 + 5 + 2 + 2 + 1 + 1 + 1);
  });
});
