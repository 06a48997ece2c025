// What ingest's steps would have sent to Kafka, kept in memory: a sink that records every message
// (and can be told to fail like a dead broker), and a serde that keeps the records it was given.

import type { Message } from 'kafkajs';
import type { RecordSink } from '../../services/ingest/steps/dead-letters.ts';

/** Remembers every message; `fail` makes later deliveries (or pushes) fail like a dead broker. */
export class FakeSink implements RecordSink {
  readonly pushed: { topic: string; message: Message }[] = [];
  failDeliveries: Error | null = null;
  failPushes: Error | null = null;
  async push(topic: string, message: Message) {
    if (this.failPushes) throw this.failPushes;
    this.pushed.push({ topic, message });
    const failure = this.failDeliveries;
    const delivered = failure ? Promise.reject(failure) : Promise.resolve();
    delivered.catch(() => {});
    return { delivered };
  }
  on(topic: string) {
    return this.pushed.filter((p) => p.topic === topic).map((p) => p.message);
  }
}

/** A serde that keeps the records it was given, so tests read them back as objects. */
export function keeping<T>() {
  const records: T[] = [];
  return {
    records,
    serialize: async (value: T) => {
      records.push(value);
      return Buffer.from(String(records.length - 1));
    },
  };
}
