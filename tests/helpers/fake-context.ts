// A ProcessorContext without a broker: what a processor forwards, dead-letters and writes to its
// store is recorded in arrays, and the restored state is whatever the test hands in. Lets a
// processor's logic be tested alone; the runtime around it has its own tests.

import { createLogger } from '../../lib/log.ts';
import type { InputRecord, Letter, ProcessorContext, RecordOfRole } from '../../lib/streams/topology.ts';
import type { TopicRole } from '../../lib/topics.ts';

export interface FakeContext<O extends TopicRole, S extends TopicRole> extends ProcessorContext<O, S> {
  forwarded: { output: O; key: string | Buffer | null; value: RecordOfRole[O] }[];
  /** What was forwarded already encoded. */
  encoded: { output: O; key: string | Buffer | null; value: Buffer }[];
  letters: { letter: Letter; key: string | Buffer | null | undefined }[];
  /** Store writes in order; null deletes. */
  writes: { key: string; value: RecordOfRole[S] | null }[];
  /** Values kept outside the transaction (StateStore.keep), in order. */
  kept: { key: string; value: RecordOfRole[S] }[];
  commitRequests: number;
}

export function fakeContext<O extends TopicRole, S extends TopicRole>(
  options: { partition?: number; position?: bigint; restored?: Map<string, RecordOfRole[S]> } = {},
): FakeContext<O, S> {
  const context: FakeContext<O, S> = {
    partition: options.partition ?? 0,
    position: options.position ?? 0n,
    log: createLogger('fake-context', 'silent'),
    store: {
      restored: options.restored ?? new Map(),
      put: (key, value) => context.writes.push({ key, value }),
      delete: (key) => context.writes.push({ key, value: null }),
      keep: (key, value) => context.kept.push({ key, value }),
    },
    forwarded: [],
    encoded: [],
    letters: [],
    writes: [],
    kept: [],
    commitRequests: 0,
    forward: (output, key, value) => context.forwarded.push({ output, key, value }),
    forwardEncoded: (output, key, value) => context.encoded.push({ output, key, value }),
    deadLetter: (letter, key) => context.letters.push({ letter, key }),
    commitSoon: () => {
      context.commitRequests++;
    },
  };
  return context;
}

export function inputRecord<V>(offset: number, value: V, partition = 0): InputRecord<V> {
  return { partition, offset: BigInt(offset), key: null, value, bytes: Buffer.from(`record ${offset}`) };
}
