/**
 * Which endpoint served a chain's last round, so its next round — whose
 * prompt begins with the last one's prompt and output — can go where the
 * engine's prefix cache still holds that text. Bounded: the least recently
 * used keys are forgotten first (a chain not seen for that long has left the
 * cache anyway).
 */
export class AffinityMemory {
  private readonly map = new Map<string, string>();

  constructor(readonly capacity = 65_536) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new Error(`affinity capacity must be a positive integer, got ${capacity}`);
    }
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): string | undefined {
    return this.map.get(key);
  }

  remember(key: string, url: string): void {
    // Re-inserting moves the key to the young end of the Map's insertion order.
    this.map.delete(key);
    this.map.set(key, url);
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
    }
  }

  forget(key: string): void {
    this.map.delete(key);
  }
}
