// The exact-duplicate window: the content hashes of the last N documents ingest produced.
//
// Where it lives: in memory, rebuilt at start from the tail of the raw topic itself (each record
// carries its content hash in a header; see dedup-restore.ts). So the window survives a restart,
// holds exactly what reached Kafka (no side file that a crash could leave ahead of or behind the
// topic), follows the data when ingest moves to another machine, and needs no topic or state dir
// of its own. The cost is a read of the last N records at start-up (headers only, no Avro decode).

/** Kafka header carrying the whole text's content hash (chunks carry their parent's). */
export const DEDUP_HEADER = 'ipt-content-hash';

/**
 * Window keys: 96 bits of the SHA-256 (collision odds ~1e-17 at a million entries) as a 12-character
 * one-byte string. Built fresh rather than sliced: a V8 slice would keep the 64-character hex hash
 * alive. About 60 bytes per entry in the Map (measured: 59 MB for the default million).
 */
export const dedupKey = (contentHash: string): string =>
  Buffer.from(contentHash.slice(0, 24), 'hex').toString('latin1');

/** A bounded set with least-recently-seen eviction (a Map keeps insertion order). */
export class DedupWindow {
  private readonly seen = new Map<string, true>();
  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new RangeError('capacity must be ≥ 0');
  }

  get size(): number {
    return this.seen.size;
  }

  /** True when the hash was already seen; otherwise remembers it. A repeat refreshes its place. */
  checkAndAdd(contentHash: string): boolean {
    if (this.capacity === 0) return false;
    const key = dedupKey(contentHash);
    if (this.seen.has(key)) {
      this.seen.delete(key);
      this.seen.set(key, true);
      return true;
    }
    this.add(contentHash);
    return false;
  }

  has(contentHash: string): boolean {
    return this.seen.has(dedupKey(contentHash));
  }

  add(contentHash: string): void {
    if (this.capacity === 0) return;
    const key = dedupKey(contentHash);
    this.seen.delete(key);
    this.seen.set(key, true);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
  }

  /** Forgets a hash: its document failed to reach Kafka, so a retry must not be called a duplicate. */
  delete(contentHash: string): void {
    this.seen.delete(dedupKey(contentHash));
  }
}
