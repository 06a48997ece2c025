// Getting documents into the pipeline for benchmarks: through ingest's HTTP endpoint (the real
// path: normalize, dedup, count tokens, produce) as fast as it takes them or at a fixed rate, or
// straight into the raw topic when only a backlog is wanted.

import { createHash } from 'node:crypto';
import type { TokenCounter } from '../core/tokens.ts';
import type { RawDocument } from '../core/types.ts';
import { avroCodec, registryClient } from '../lib/registry.ts';
import { sleep } from './proc.ts';
import { benchKafka, endpoints } from './services.ts';

export interface FeedDoc {
  id: string;
  text: string;
}

/** A single-chunk bench RawDocument with what ingest would have filled in. */
function benchRawDocument(
  docId: string,
  text: string,
  fields: Pick<RawDocument, 'ingested_at' | 'content_hash' | 'token_count'>,
): RawDocument {
  return {
    doc_id: docId,
    text,
    url: null,
    source: 'bench',
    crawl_dump: null,
    crawl_segment: null,
    crawl_time: null,
    ...fields,
    chunk_index: 0,
    chunk_count: 1,
    parent_doc_id: null,
    metadata: {},
    lang: null,
    lang_score: null,
  };
}

/** The RawDocuments ingest would make of `docs` (for loops that bypass the pipeline, e.g. the paper's offline loop). */
export function rawDocuments(docs: FeedDoc[], tokenizer: TokenCounter): RawDocument[] {
  return docs.map((d) =>
    benchRawDocument(d.id, d.text, {
      ingested_at: 0,
      content_hash: '',
      token_count: tokenizer.count(d.text),
    }),
  );
}

/** NDJSON bodies of `perBody` documents each, built before any timing starts. */
export function ndjsonBodies(docs: FeedDoc[], perBody: number): Buffer[] {
  const bodies: Buffer[] = [];
  for (let i = 0; i < docs.length; i += perBody) {
    const lines = docs
      .slice(i, i + perBody)
      .map((d) => `${JSON.stringify({ id: d.id, text: d.text, url: `https://bench.example/${d.id}` })}\n`);
    bodies.push(Buffer.from(lines.join('')));
  }
  return bodies;
}

/** Resolves with how many documents ingest accepted (not duplicates, not rejected). */
async function post(url: string, body: Buffer): Promise<number> {
  const res = await fetch(`${url}/documents`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST /documents: HTTP ${res.status}: ${text.slice(0, 300)}`);
  const reply = JSON.parse(text) as {
    accepted: number;
    duplicates: number;
    rejected: number;
    results: unknown[];
  };
  if (reply.duplicates + reply.rejected > 0) {
    const odd = reply.results.filter((r) => (r as { status: string }).status !== 'accepted');
    console.error(`POST /documents: ${JSON.stringify(odd.slice(0, 3))} (${odd.length} not accepted)`);
  }
  return reply.accepted;
}

/** Posts every body, `concurrency` requests at a time; each resolves once Kafka acknowledged it. */
export async function postAll(url: string, bodies: Buffer[], concurrency = 2): Promise<number> {
  let next = 0;
  let accepted = 0;
  const worker = async () => {
    while (next < bodies.length) {
      // Not `accepted += await …`: that reads `accepted` before the await and loses the other worker's adds.
      const n = await post(url, bodies[next++] as Buffer);
      accepted += n;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return accepted;
}

/**
 * Posts bodies on a fixed schedule (body k at start + k·interval), as a crawler feeding a steady
 * stream would; a late reply does not delay the next body. Returns when all are acknowledged.
 */
export async function postPaced(url: string, bodies: Buffer[], intervalMs: number): Promise<number> {
  const start = performance.now();
  const pending: Promise<number>[] = [];
  for (let k = 0; k < bodies.length; k++) {
    const wait = start + k * intervalMs - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(post(url, bodies[k] as Buffer));
  }
  return (await Promise.all(pending)).reduce((a, b) => a + b, 0);
}

/**
 * `count` raw documents straight into a raw topic, uncompressed, in batches. Document i
 * carries texts[i mod n]: synth neither dedups nor cares, every record is a distinct document id.
 * Sends of 400 (a partition's share stays under the broker's 1 MB message.max.bytes), four in flight.
 * Uncompressed on purpose: a consumer fetch is bounded in (compressed) bytes, so a backlog that
 * compresses 50× would put 50× more records in each fetch than web text does (≈ 3×), and the
 * memory figures would be about the compressor, not the pipeline.
 */
export async function produceBacklog(
  topic: string,
  count: number,
  texts: { text: string; tokens: number }[],
  onProgress?: (done: number) => void,
): Promise<void> {
  const codec = await avroCodec<RawDocument>(registryClient(endpoints.registry.url), topic);
  const hashes = texts.map((t) => createHash('sha256').update(t.text).digest('hex'));
  const producer = benchKafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const now = Date.now();
  try {
    const batch = 400;
    const inFlight = new Set<Promise<unknown>>();
    for (let start = 0; start < count; start += batch) {
      const messages = [];
      for (let i = start; i < Math.min(count, start + batch); i++) {
        const k = i % texts.length;
        const t = texts[k] as { text: string; tokens: number };
        const doc = benchRawDocument(`backlog-${i}`, t.text, {
          ingested_at: now,
          content_hash: hashes[k] as string,
          token_count: t.tokens,
        });
        messages.push({ key: doc.doc_id, value: codec.encode(doc) });
      }
      const sent = producer.send({ topic, acks: -1, messages });
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent)).catch(() => {});
      if (inFlight.size >= 4) await Promise.race(inFlight);
      onProgress?.(Math.min(count, start + batch));
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
}
