// Batching in front of one idempotent kafkajs producer, with backpressure.
//
// kafkajs sends what it is given right away, so batching is ours: messages queue until a batch is
// full (count or bytes) or has lingered, then go out in one `sendBatch` (one record batch per
// partition), gzip-compressed if asked. One send is in flight at a time — the idempotent producer keeps per-
// partition order only then — so a slow broker stalls the queue, and `push` waits while the queued
// plus in-flight bytes are over `maxBufferedBytes`: readers slow down instead of memory growing.

import { CompressionTypes, type Message, type Producer } from 'kafkajs';

export interface SinkOptions {
  /** Messages per send. */
  maxBatchMessages: number;
  /** Approximate value+key bytes per send (before compression). */
  maxBatchBytes: number;
  /** How long a partial batch waits for more messages. */
  lingerMs: number;
  /** Queued + in-flight bytes above which `push` waits. */
  maxBufferedBytes: number;
  /**
   * Record-batch compression. Off by default, as in Kafka's own producer: gzip (the one codec
   * kafkajs ships) cost the pipeline ≈ 0.5 ms of CPU per 2 KB document — ingest compressing, the
   * broker validating, every consumer inflating — about a fifth of the whole (bench/RESULTS.md).
   */
  compression: SinkCompression;
}

export const SINK_COMPRESSIONS = ['none', 'gzip'] as const;
export type SinkCompression = (typeof SINK_COMPRESSIONS)[number];

export const DEFAULT_SINK: Readonly<SinkOptions> = {
  maxBatchMessages: 1000,
  maxBatchBytes: 1024 * 1024,
  lingerMs: 20,
  maxBufferedBytes: 16 * 1024 * 1024,
  compression: 'none',
};

interface Queued {
  topic: string;
  message: Message;
  bytes: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface SinkEvents {
  /** A batch was acknowledged: messages, bytes, milliseconds. */
  onBatch?: (messages: number, bytes: number, ms: number) => void;
  /** `push` had to wait for room (backpressure), for this long. */
  onWait?: (ms: number) => void;
}

export class BatchingSink {
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private inFlightBytes = 0;
  private sending: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failure: Error | null = null;
  private roomWaiters: (() => void)[] = [];
  private sendStarted: number | null = null;

  constructor(
    private readonly producer: Producer,
    private readonly options: SinkOptions = DEFAULT_SINK,
    private readonly events: SinkEvents = {},
  ) {}

  /** Bytes queued or being sent. */
  get bufferedBytes(): number {
    return this.queuedBytes + this.inFlightBytes;
  }

  /** Milliseconds the batch now in flight has waited for its acknowledgement (0 when none is). */
  get stalledMs(): number {
    return this.sendStarted === null ? 0 : performance.now() - this.sendStarted;
  }

  get failed(): Error | null {
    return this.failure;
  }

  /**
   * Queues a message once there is room. `delivered` settles when the broker has acknowledged the
   * message (callers that need durability, like the HTTP endpoint, await it). It is wrapped in an
   * object because an async function cannot resolve to a promise without waiting for it.
   */
  async push(topic: string, message: Message): Promise<{ delivered: Promise<void> }> {
    if (this.failure) throw this.failure;
    if (this.bufferedBytes >= this.options.maxBufferedBytes) {
      const started = performance.now();
      while (this.bufferedBytes >= this.options.maxBufferedBytes && !this.failure) {
        await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
      }
      this.events.onWait?.(performance.now() - started);
      if (this.failure) throw this.failure;
    }
    const bytes = (message.value?.length ?? 0) + (message.key?.length ?? 0) + 64;
    const delivered = new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, message, bytes, resolve, reject });
    });
    // A caller that does not await delivery must not cause an unhandled rejection; failures also
    // surface through `failed`, the next `push` and `flush`.
    delivered.catch(() => {});
    this.queuedBytes += bytes;
    if (
      this.queue.length >= this.options.maxBatchMessages ||
      this.queuedBytes >= this.options.maxBatchBytes
    ) {
      this.kick();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.kick();
      }, this.options.lingerMs);
    }
    return { delivered };
  }

  /** Sends everything queued and waits for the acknowledgements. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.sending) {
      this.kick();
      await this.sending;
    }
    if (this.failure) throw this.failure;
  }

  private kick(): void {
    if (this.sending || this.queue.length === 0 || this.failure) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.sending = this.sendLoop().finally(() => {
      this.sending = null;
    });
  }

  private async sendLoop(): Promise<void> {
    while (this.queue.length > 0 && !this.failure) {
      const batch = this.takeBatch();
      const bytes = batch.reduce((n, q) => n + q.bytes, 0);
      this.inFlightBytes += bytes;
      const byTopic = new Map<string, Message[]>();
      for (const q of batch) {
        const list = byTopic.get(q.topic);
        if (list) list.push(q.message);
        else byTopic.set(q.topic, [q.message]);
      }
      const started = performance.now();
      this.sendStarted = started;
      try {
        await this.producer.sendBatch({
          acks: -1,
          compression: this.options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
        for (const q of batch) q.resolve();
        this.events.onBatch?.(batch.length, bytes, performance.now() - started);
      } catch (error) {
        // The idempotent producer already retried; what is left is fatal for this sink.
        this.failure = error instanceof Error ? error : new Error(String(error));
        for (const q of [...batch, ...this.queue]) q.reject(this.failure);
        this.queue = [];
        this.queuedBytes = 0;
      } finally {
        this.sendStarted = null;
        this.inFlightBytes -= bytes;
        this.wakeWaiters();
      }
      // A partial batch left behind lingers like any other.
      if (
        this.queue.length > 0 &&
        this.queue.length < this.options.maxBatchMessages &&
        this.queuedBytes < this.options.maxBatchBytes
      ) {
        break;
      }
    }
    if (this.queue.length > 0 && !this.failure && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.kick();
      }, this.options.lingerMs);
    }
  }

  private takeBatch(): Queued[] {
    let count = 0;
    let bytes = 0;
    while (count < this.queue.length && count < this.options.maxBatchMessages) {
      const next = this.queue[count] as Queued;
      if (count > 0 && bytes + next.bytes > this.options.maxBatchBytes) break;
      bytes += next.bytes;
      count++;
    }
    const batch = this.queue.splice(0, count);
    this.queuedBytes -= bytes;
    return batch;
  }

  private wakeWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
