import { createHash } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { mistralTokenizer } from '../../core/mistral.ts';
import type { RawDocument } from '../../core/types.ts';
import { avroCodec, registryClient } from '../../lib/registry.ts';

const SUBJECTS = [
  'river',
  'bridge',
  'market',
  'library',
  'harbor',
  'orchard',
  'observatory',
  'railway',
  'museum',
  'forest',
];
const CITIES = ['Lyon', 'Porto', 'Graz', 'Turku', 'Ghent', 'Bergen', 'Bologna', 'Kraków', 'Leeds', 'Utrecht'];

/** A deterministic, varied web-page-like text with the connectives the CPU synthesizer mines. */
export function sampleText(i: number): string {
  const s = SUBJECTS[i % SUBJECTS.length] as string;
  const c = CITIES[(i * 7) % CITIES.length] as string;
  const year = 1900 + ((i * 37) % 120);
  return [
    `The ${s} of ${c} (document ${i})`,
    `The ${s} of ${c} opened in ${year} because the town needed a place for trade and study.`,
    `Visitors came from across the region; therefore the council widened the roads in ${year + 5}.`,
    `However, floods in ${year + 12} damaged the old ${s}, and repairs took ${2 + (i % 9)} years.`,
    `Today about ${1000 + ((i * 131) % 9000)} people visit it every week, although winter hours are shorter.`,
    `For example, school groups study its history, so guides prepare short tours in three languages.`,
  ].join(' ');
}

export function rawDocument(i: number, text = sampleText(i), tokens = mistralTokenizer()): RawDocument {
  return {
    doc_id: `doc-${String(i).padStart(6, '0')}`,
    text,
    url: `https://example.com/pages/${i}`,
    source: 'test',
    crawl_dump: null,
    crawl_segment: null,
    crawl_time: null,
    ingested_at: 1_760_000_000_000 + i,
    content_hash: createHash('sha256').update(text).digest('hex'),
    token_count: tokens.count(text),
    chunk_index: 0,
    chunk_count: 1,
    parent_doc_id: null,
    metadata: {},
    lang: null,
    lang_score: null,
  };
}

/** Produces documents to the raw topic, keyed by doc id (so a partition's order is the given order). */
export async function produceRawDocuments(
  kafka: Kafka,
  registryUrl: string,
  topic: string,
  docs: RawDocument[],
  partition?: (doc: RawDocument, index: number) => number,
): Promise<void> {
  const codec = await avroCodec<RawDocument>(registryClient(registryUrl), topic);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let start = 0; start < docs.length; start += 500) {
      const slice = docs.slice(start, start + 500);
      await producer.send({
        topic,
        acks: -1,
        messages: slice.map((doc, k) => ({
          key: doc.doc_id,
          value: codec.encode(doc),
          ...(partition ? { partition: partition(doc, start + k) } : {}),
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}
