// A fixed-size hash table from short strings to token counts, looked up by a range of a larger
// text: counting a document meets a few hundred words, and a Map would need each one cut out as a
// new string (allocation plus V8 hashing it again) before the lookup. Here the caller hashes the
// range once, and a hit compares characters in place.

/** FNV-1a over the UTF-16 units of text[start, end). */
export function hashRange(text: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h | 0;
}

export class PieceTable {
  private readonly mask: number;
  private readonly hashes: Int32Array;
  private readonly counts: Int32Array;
  private readonly keys: (string | undefined)[];
  /** Entries held; the owner decides when the table is full. */
  size = 0;

  /** Room for `capacity` entries at a load of at most one half. */
  constructor(readonly capacity: number) {
    let slots = 2;
    while (slots < 2 * capacity) slots *= 2;
    this.mask = slots - 1;
    this.hashes = new Int32Array(slots);
    this.counts = new Int32Array(slots);
    this.keys = new Array<string | undefined>(slots).fill(undefined);
  }

  /** The count stored for text[start, end) (whose hash is `hash`), or -1. */
  get(text: string, start: number, end: number, hash: number): number {
    const length = end - start;
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const key = this.keys[slot];
      if (key === undefined) return -1;
      if (this.hashes[slot] === hash && key.length === length && sameUnits(key, text, start))
        return this.counts[slot] as number;
    }
  }

  /** Stores `key` (not already present) with its hash and count. */
  add(key: string, hash: number, count: number): void {
    if (this.size >= this.capacity) throw new RangeError('piece table full');
    let slot = hash & this.mask;
    while (this.keys[slot] !== undefined) slot = (slot + 1) & this.mask;
    this.keys[slot] = key;
    this.hashes[slot] = hash;
    this.counts[slot] = count;
    this.size++;
  }

  clear(): void {
    this.keys.fill(undefined);
    this.size = 0;
  }
}

function sameUnits(key: string, text: string, start: number): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) !== text.charCodeAt(start + i)) return false;
  return true;
}
