// The ingestor's records, held for the worker's next transaction instead of sent at once: they
// commit together with the input's progress, or not at all.

import type { Message, TopicMessages } from 'kafkajs';
import type { IngestTransport } from '../ingest/ingestor.ts';

interface Held {
  topic: string;
  message: Message;
  bytes: number;
  settle(error: Error | null): void;
}

/** What one transaction takes: the records, and how to tell their producers whether they committed. */
export interface HeldRecords {
  messages: TopicMessages[];
  count: number;
  settle(error: Error | null): void;
}

export class TransactionSink implements IngestTransport {
  private held: Held[] = [];
  private heldBytes = 0;
  readonly failed = null;
  readonly stalledMs = 0;

  get bufferedBytes(): number {
    return this.heldBytes;
  }

  async push(topic: string, message: Message): Promise<{ delivered: Promise<void> }> {
    let settle: (error: Error | null) => void = () => {};
    const delivered = new Promise<void>((resolve, reject) => {
      settle = (error) => (error ? reject(error) : resolve());
    });
    delivered.catch(() => {}); // the worker learns of a failed commit itself
    const bytes = (message.value?.length ?? 0) + (message.key?.length ?? 0);
    this.held.push({ topic, message, bytes, settle });
    this.heldBytes += bytes;
    return { delivered };
  }

  /** Everything held so far, by topic; the sink is empty afterwards. */
  take(): HeldRecords {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    const byTopic = new Map<string, Message[]>();
    for (const h of held) {
      const list = byTopic.get(h.topic);
      if (list) list.push(h.message);
      else byTopic.set(h.topic, [h.message]);
    }
    return {
      messages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      count: held.length,
      settle: (error) => {
        for (const h of held) h.settle(error);
      },
    };
  }

  /** Nothing to send on its own: the worker's transactions do. */
  async flush(): Promise<void> {}

  close(): void {
    this.take().settle(new Error('closed before its transaction'));
  }
}
