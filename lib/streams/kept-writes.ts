// Changelog writes made at once, outside any transaction (`StateStore.keep`): what a processor
// wants a restored task to find even when the transaction that would have carried it never
// commits — a finished result worth not computing again. One plain producer per group member,
// one send in flight, everything queued meanwhile going in the next send; bounded, and best effort:
// a write lost here only costs the work it would have saved, so a failure is counted, never retried.

import type { Kafka, Message, Producer } from 'kafkajs';
import type { Logger } from '../log.ts';
import type { StreamMetrics } from './metrics.ts';

export interface KeptWrite {
  partition: number;
  key: string;
  value: Buffer | null;
}

/** Writes queued beyond this are dropped (counted): the cache is bounded, the work is not lost. */
export const MAX_QUEUED_KEPT_WRITES = 10_000;

export class KeptWriter {
  private producer: Producer | undefined;
  private connecting: Promise<Producer> | undefined;
  private queue: Message[] = [];
  private sending: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly metrics: StreamMetrics,
    private readonly log: Logger,
    private readonly maxQueued = MAX_QUEUED_KEPT_WRITES,
  ) {}

  write({ partition, key, value }: KeptWrite): void {
    if (this.closed) return;
    if (this.queue.length >= this.maxQueued) {
      this.metrics.keptWrites.inc({ outcome: 'dropped' });
      return;
    }
    this.queue.push({ partition, key, value });
    this.metrics.keptPending.inc();
    this.sending ??= this.drain().finally(() => {
      this.sending = undefined;
    });
  }

  /** Sends what is queued (waiting at most `graceMs` for a send under way), then disconnects. */
  async close(graceMs = 5_000): Promise<void> {
    this.closed = true;
    const grace = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([this.sending, grace]);
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch(() => {});
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const messages = this.queue;
      this.queue = [];
      try {
        const producer = await this.connected();
        await producer.send({ topic: this.topic, messages, acks: -1 });
        this.metrics.keptWrites.inc({ outcome: 'written' }, messages.length);
      } catch (error) {
        this.metrics.keptWrites.inc({ outcome: 'failed' }, messages.length);
        this.log.warn(
          { err: error, records: messages.length },
          'kept writes failed (only work they would save is lost)',
        );
      } finally {
        this.metrics.keptPending.dec(messages.length);
      }
    }
  }

  private connected(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= (async () => {
      const producer = this.kafka.producer({ allowAutoTopicCreation: false });
      try {
        await producer.connect();
      } finally {
        this.connecting = undefined;
      }
      if (this.closed) {
        await producer.disconnect().catch(() => {});
        throw new Error('kept writer closed');
      }
      this.producer = producer;
      return producer;
    })();
    return this.connecting;
  }
}
