// The near-duplicate window: the MinHash signatures of the last N documents ingest produced,
// indexed by LSH band. Like the exact window (dedup.ts) it lives in memory and is rebuilt at start
// from the raw topic's tail, where every record carries its document's signature in a header
// (dedup-restore.ts), so it holds exactly what reached Kafka and survives a restart.

import { bandKeys, DEFAULT_MINHASH, type MinHashParams, type Signature, similarity } from './minhash.ts';

/** Kafka header carrying the document's MinHash signature (chunks carry their parent's). */
export const MINHASH_HEADER = 'ipt-minhash';

/** Estimated Jaccard similarity from which a document is a near-duplicate (RefinedWeb/DataTrove use ~0.8). */
export const DEFAULT_NEAR_DUP_THRESHOLD = 0.8;
/** Documents remembered; each holds its 448-byte signature, its id and 14 band-index entries (README: memory). */
export const DEFAULT_NEAR_DUP_WINDOW = 100_000;

/**
 * Bands × rows for a threshold, from the signature's fixed length (so a header written under one
 * threshold restores under another): the most rows per band whose S-curve midpoint (1/b)^(1/r)
 * stays at least 0.05 below the threshold, so documents at the threshold are found with high
 * probability (0.92 at 0.8 with DataTrove's 14 × 8) and the signature then decides.
 */
export function lshShape(threshold: number, base: MinHashParams = DEFAULT_MINHASH): MinHashParams {
  const hashes = base.bands * base.rows;
  let best = { bands: hashes, rows: 1 };
  for (let rows = 1; rows <= hashes; rows++) {
    if (hashes % rows !== 0) continue;
    const bands = hashes / rows;
    if ((1 / bands) ** (1 / rows) <= threshold - 0.05) best = { bands, rows };
  }
  return { ...base, ...best };
}

export interface NearMatch {
  docId: string;
  similarity: number;
}

interface Entry {
  docId: string;
  sig: Signature;
}

export class NearDupWindow {
  readonly params: MinHashParams;
  /** Insertion order is eviction order. */
  private readonly entries = new Map<string, Entry>();
  private readonly bands: Map<number, Entry>[];

  constructor(
    readonly capacity: number,
    readonly threshold: number = DEFAULT_NEAR_DUP_THRESHOLD,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new RangeError('capacity must be ≥ 0');
    if (!(threshold > 0 && threshold <= 1)) throw new RangeError('threshold must be in (0, 1]');
    this.params = lshShape(threshold);
    this.bands = Array.from({ length: this.params.bands }, () => new Map<number, Entry>());
  }

  get size(): number {
    return this.entries.size;
  }

  /** The most similar remembered document at or above the threshold, if any. */
  match(sig: Signature): NearMatch | null {
    const keys = bandKeys(sig, this.params);
    let best: NearMatch | null = null;
    const seen = new Set<Entry>();
    keys.forEach((key, band) => {
      const entry = this.bands[band]?.get(key);
      if (!entry || seen.has(entry)) return;
      seen.add(entry);
      const s = similarity(sig, entry.sig);
      if (s >= this.threshold && (!best || s > best.similarity)) best = { docId: entry.docId, similarity: s };
    });
    return best;
  }

  /** Remembers a document (a repeat of its id replaces it), evicting the oldest past capacity. */
  add(docId: string, sig: Signature): void {
    if (this.capacity === 0) return;
    this.delete(docId);
    const entry: Entry = { docId, sig };
    this.entries.set(docId, entry);
    bandKeys(sig, this.params).forEach((key, band) => {
      this.bands[band]?.set(key, entry);
    });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
  }

  has(docId: string): boolean {
    return this.entries.has(docId);
  }

  /** Forgets a document: it failed to reach Kafka, so a retry must not match it. */
  delete(docId: string): void {
    const entry = this.entries.get(docId);
    if (!entry) return;
    this.entries.delete(docId);
    // Recomputed rather than kept: a few microseconds per eviction against 14 numbers per entry.
    bandKeys(entry.sig, this.params).forEach((key, band) => {
      const map = this.bands[band];
      if (map?.get(key) === entry) map.delete(key);
    });
  }
}
