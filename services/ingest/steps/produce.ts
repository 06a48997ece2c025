// produce: encodes the document as RawDocument Avro, one record per piece the chunk step made, and
// queues them as one candidate for the dedup stage (keyed by the content hash), or, without dedup,
// straight on the raw topic. Every record of a document is encoded before the first is queued, so a
// failed encoding leaves nothing half-written. A chunked text's records are keyed by the parent's id
// (one partition, in order).

import type { DedupMessage, RawDocument } from '../../../core/types.ts';
import { chunkDocId, contentHash } from '../ids.ts';
import { signatureBytes } from '../minhash.ts';
import type { Split } from '../tokenize.ts';
import type { RecordSink, Serializer } from './dead-letters.ts';
import { contentHashOf, type Doc, docIdOf, keep, type Step } from './step.ts';

export interface ProduceOptions {
  sink: RecordSink;
  topic: string;
  serde: Serializer<RawDocument>;
  /**
   * The dedup stage decides: each document goes as one candidate (its records inside, keyed by its
   * content hash) to this topic instead of its records to `topic`. ARCHITECTURE.md §9.
   */
  candidates?: { topic: string; serde: Serializer<DedupMessage> };
  /** Called after each document's records are queued (the buffered-bytes gauge). */
  onQueued?: () => void;
}

/** The RawDocument records of one document: the whole text, or chunk i of n. */
export function rawDocuments(
  doc: Doc,
  docId: string,
  hash: string,
  split: Split,
  now: number,
): RawDocument[] {
  const { pieces, tokens } = split;
  const chunked = pieces.length > 1;
  return pieces.map((piece, i) => ({
    doc_id: chunked ? chunkDocId(docId, i) : docId,
    text: piece.text,
    url: doc.url,
    source: doc.source,
    crawl_dump: doc.crawlDump,
    crawl_segment: doc.crawlSegment,
    crawl_time: doc.crawlTime,
    ingested_at: now,
    content_hash: chunked ? contentHash(piece.text) : hash,
    token_count: piece.tokens,
    chunk_index: i,
    chunk_count: pieces.length,
    parent_doc_id: chunked ? docId : null,
    lang: doc.lang ?? null,
    lang_score: doc.langScore ?? null,
    metadata: chunked
      ? { ...doc.metadata, parent_content_hash: hash, parent_token_count: String(tokens) }
      : doc.metadata,
  }));
}

export function produceStep(options: ProduceOptions): Step {
  const { sink, topic, serde } = options;
  return {
    name: 'produce',
    async process(doc) {
      if (!doc.split) throw new Error('no token count: the chunk step must run before produce');
      const hash = contentHashOf(doc);
      const docId = docIdOf(doc);
      const records = rawDocuments(doc, docId, hash, doc.split, Date.now());
      const values = await Promise.all(records.map((record) => serde.serialize(record)));
      if (options.candidates) {
        const candidate = await options.candidates.serde.serialize(candidateOf(doc, docId, hash, values));
        const pushed = await sink.push(options.candidates.topic, { key: hash, value: candidate });
        options.onQueued?.();
        doc.sent = { docId, records: records.length, tokens: doc.split.tokens, delivered: pushed.delivered };
        return keep(doc);
      }
      const deliveries: Promise<void>[] = [];
      for (const value of values) {
        const pushed = await sink.push(topic, { key: docId, value });
        deliveries.push(pushed.delivered);
      }
      options.onQueued?.();
      const delivered = Promise.all(deliveries).then(() => {});
      doc.sent = { docId, records: records.length, tokens: doc.split.tokens, delivered };
      return keep(doc);
    },
  };
}

/** A document as the dedup stage takes it: its encoded records, hash and signature. */
export function candidateOf(doc: Doc, docId: string, hash: string, records: Buffer[]): DedupMessage {
  return {
    kind: 'CANDIDATE',
    hash,
    doc_id: docId,
    records,
    signature: doc.minhash ? signatureBytes(doc.minhash) : null,
    origin: doc.origin,
    band: null,
    band_key: null,
    claims: [],
    peers: [],
    peer_hash: null,
    peer_doc_id: null,
    status: null,
    similarity: null,
  };
}
