// Key scoping and encoding of a processor's state in its changelog. Several apps share one
// changelog topic (runs, re-assemblies), each under its own prefix; a processor sees only its own
// keys, relative to that prefix.

import type { AvroCodec } from '../registry.ts';
import type { StateStore } from './topology.ts';

export class StateScope {
  constructor(readonly prefix: string) {}

  /** Store key → changelog key; the empty store key is the prefix itself. */
  changelogKey(storeKey: string): string {
    return storeKey === '' ? this.prefix : `${this.prefix}/${storeKey}`;
  }

  /** Changelog key → store key, or undefined for another app's key. */
  storeKey(changelogKey: string): string | undefined {
    if (changelogKey === this.prefix) return '';
    return changelogKey.startsWith(`${this.prefix}/`)
      ? changelogKey.slice(this.prefix.length + 1)
      : undefined;
  }
}

/** A changelog write: the encoded value, or null to delete the key. */
export type StateWrite = (changelogKey: string, value: Buffer | null) => void;

export class ChangelogStore<V> implements StateStore<V> {
  private values: Map<string, V>;

  constructor(
    private readonly scope: StateScope,
    private readonly codec: AvroCodec<V>,
    private readonly write: StateWrite,
    restored: Map<string, V>,
    private readonly keepWrite: StateWrite = () => {},
  ) {
    this.values = restored;
  }

  get restored(): ReadonlyMap<string, V> {
    return this.values;
  }

  /** The processor has taken its state: the store keeps no copy of it. */
  release(): void {
    this.values = new Map();
  }

  put(key: string, value: V): void {
    // Encoded now (synchronously, validated against the schema) so the write queues in this tick.
    this.write(this.scope.changelogKey(key), this.codec.encode(value));
  }

  delete(key: string): void {
    this.write(this.scope.changelogKey(key), null);
  }

  keep(key: string, value: V): void {
    this.keepWrite(this.scope.changelogKey(key), this.codec.encode(value));
  }
}

export interface UnreadableState {
  changelogKey: string;
  storeKey: string;
  bytes: Buffer;
  error: unknown;
}

/** This app's part of a restored changelog partition, decoded; what cannot be decoded is returned apart. */
export async function decodeScoped<V>(
  changelog: ReadonlyMap<string, Buffer>,
  scope: StateScope,
  codec: AvroCodec<V>,
): Promise<{ values: Map<string, V>; unreadable: UnreadableState[] }> {
  const values = new Map<string, V>();
  const unreadable: UnreadableState[] = [];
  for (const [changelogKey, bytes] of changelog) {
    const storeKey = scope.storeKey(changelogKey);
    if (storeKey === undefined) continue;
    try {
      values.set(storeKey, await codec.decode(bytes));
    } catch (error) {
      unreadable.push({ changelogKey, storeKey, bytes, error });
    }
  }
  return { values, unreadable };
}
