// Inputs the ingest tests generate: JSONL (plain, gzip, zstd), a RefinedWeb-style Parquet shard,
// Common Crawl style WARC and WET files, plain text, and a reader for what ingest produced.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { compress as zstdCompress, init as zstdInit } from '@bokuweb/zstd-wasm';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { Kafka } from 'kafkajs';
import { WARCRecord, WARCSerializer } from 'warcio';
import type { DeadLetter, RawDocument } from '../../core/types.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { registryClient, topicSerde } from '../../lib/registry.ts';
import type { Topics } from '../../lib/topics.ts';
import { readCommitted } from './read-topic.ts';

// With the stop words English has (Gopher's quality rules ask for some, as real English has).
const WORDS = (
  'river bridge market library harbor orchard valley council engine archive signal garden ' +
  'winter lantern compass meadow quarry beacon canal furnace the and of to with that'
).split(' ');

/** A deterministic English-like text of about `bytes` bytes, distinct per `seed`. */
export function prose(seed: number, bytes = 600): string {
  // A 32-bit LCG in integer arithmetic (a float product loses bits and soon cycles, which made
  // long texts repeat themselves); its high bits, the random ones, pick the words.
  let x = (seed * 2654435761 + 1) >>> 0;
  const next = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x >>> 8;
  };
  const sentences: string[] = [`Document ${seed}.`];
  let length = sentences[0]?.length ?? 0;
  while (length < bytes) {
    const n = 6 + (next() % 10);
    const words = Array.from({ length: n }, () => WORDS[next() % WORDS.length]);
    const s = `${words.join(' ')}.`;
    sentences.push(s.charAt(0).toUpperCase() + s.slice(1));
    length += s.length + 1;
  }
  return sentences.join(' ');
}

export const jsonl = (docs: object[]): Buffer =>
  Buffer.from(docs.map((d) => `${JSON.stringify(d)}\n`).join(''));

export function writeJsonlGz(path: string, docs: object[]): void {
  writeFileSync(path, gzipSync(jsonl(docs)));
}

export async function writeJsonlZst(path: string, docs: object[]): Promise<void> {
  await zstdInit();
  writeFileSync(path, zstdCompress(jsonl(docs), 3));
}

export interface RefinedWebRow {
  content: string;
  url: string;
  timestamp: Date;
  dump: string;
  segment: string;
}

/** RefinedWeb's columns, several row groups. */
export function writeParquet(path: string, rows: RefinedWebRow[], rowGroupSize = 2): Buffer {
  const buffer = Buffer.from(
    parquetWriteBuffer({
      columnData: [
        { name: 'content', data: rows.map((r) => r.content), type: 'STRING' },
        { name: 'url', data: rows.map((r) => r.url), type: 'STRING' },
        { name: 'timestamp', data: rows.map((r) => r.timestamp), type: 'TIMESTAMP' },
        { name: 'dump', data: rows.map((r) => r.dump), type: 'STRING' },
        { name: 'segment', data: rows.map((r) => r.segment), type: 'STRING' },
      ],
      rowGroupSize,
    }),
  );
  writeFileSync(path, buffer);
  return buffer;
}

async function* bytesOf(s: string | Uint8Array) {
  yield typeof s === 'string' ? new TextEncoder().encode(s) : s;
}

export const CRAWL = {
  dump: 'CC-MAIN-2023-06',
  segment: '1674764499470.19',
  filename: 'crawl-data/CC-MAIN-2023-06/segments/1674764499470.19/warc/CC-MAIN-20230126-00000.warc.gz',
};

function warcinfo(filename: string): WARCRecord {
  return WARCRecord.createWARCInfo(
    { filename, warcVersion: 'WARC/1.0' },
    { isPartOf: CRAWL.dump, software: 'ipt-tests', format: 'WARC File Format 1.0' },
  );
}

export interface WarcPage {
  url: string;
  html: string | Uint8Array;
  contentType?: string;
  status?: number;
}

/** A Common Crawl style WARC: warcinfo, then request + response per page; gzip per record. */
export async function writeWarc(path: string, pages: WarcPage[], gzip = true): Promise<void> {
  const records: WARCRecord[] = [warcinfo(CRAWL.filename)];
  for (const page of pages) {
    records.push(
      WARCRecord.create(
        {
          url: page.url,
          type: 'request',
          warcVersion: 'WARC/1.0',
          statusline: 'GET / HTTP/1.1',
          httpHeaders: { Host: 'example.com' },
        },
        bytesOf(''),
      ),
    );
    records.push(
      WARCRecord.create(
        {
          url: page.url,
          type: 'response',
          date: '2023-01-27T10:11:12Z',
          warcVersion: 'WARC/1.0',
          statusline: `HTTP/1.1 ${page.status ?? 200} OK`,
          httpHeaders: { 'Content-Type': page.contentType ?? 'text/html; charset=UTF-8' },
        },
        bytesOf(page.html),
      ),
    );
  }
  const parts: Uint8Array[] = [];
  for (const r of records) parts.push(await WARCSerializer.serialize(r, { gzip }));
  writeFileSync(path, Buffer.concat(parts));
}

/** A WET file: warcinfo, then one conversion record per text. */
export async function writeWet(
  path: string,
  pages: { url: string; text: string }[],
  gzip = true,
): Promise<void> {
  const records: WARCRecord[] = [
    warcinfo(CRAWL.filename.replace('/warc/', '/wet/').replace('.warc.gz', '.warc.wet.gz')),
  ];
  for (const page of pages) {
    records.push(
      WARCRecord.create(
        {
          url: page.url,
          type: 'conversion',
          date: '2023-01-27T10:11:12Z',
          warcVersion: 'WARC/1.0',
          warcHeaders: { 'Content-Type': 'text/plain' },
        },
        bytesOf(page.text),
      ),
    );
  }
  const parts: Uint8Array[] = [];
  for (const r of records) parts.push(await WARCSerializer.serialize(r, { gzip }));
  writeFileSync(path, Buffer.concat(parts));
}

export function writeText(dir: string, name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Reads back what ingest produced on a topic set: raw documents and dead letters, decoded. */
export async function producedOn(
  topics: Topics,
  kafka: Kafka = kafkaClient('ipt-test-ingest-reader', loadEndpoints().kafka.brokers),
): Promise<{ raw: (RawDocument & { key: string | null })[]; dlq: DeadLetter[] }> {
  const registry = registryClient(loadEndpoints().registry.url);
  const rawSerde = topicSerde<RawDocument>(registry, topics.raw);
  const dlqSerde = topicSerde<DeadLetter>(registry, topics.dlq);
  const raw = await Promise.all(
    (await readCommitted(kafka, topics.raw)).map(async (r) => ({
      ...(await rawSerde.deserialize(r.value as Buffer)),
      key: r.key,
    })),
  );
  const dlq = await Promise.all(
    (await readCommitted(kafka, topics.dlq)).map((r) => dlqSerde.deserialize(r.value as Buffer)),
  );
  return { raw, dlq };
}
