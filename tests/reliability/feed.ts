// The chaos run's input: raw documents fed for as long as the fault schedule needs, not a fixed number
// written up front. A run sized by a document count races the machine — on a fast box the pipeline
// finishes before the last fault, on a loaded one the faults bunch at the start — so the feed keeps a
// backlog of work queued ahead of synth (enough for some seconds at the rate it is going) until the
// driver stops it, and every fault lands mid-stream on any machine.
//
// Writes are idempotent (one producer, acks=all): a send retried across a leader change is written
// once. A send that fails for good is not retried with a new producer — that could write its
// documents twice — but given up: its documents may or may not be in the topic, and the run's
// accounting reads the raw topic itself, so whichever landed must come out once like any other.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka, Producer } from 'kafkajs';
import type { MistralTokenizer } from '../../core/mistral.ts';
import type { RawDocument } from '../../core/types.ts';
import { avroCodec, registryClient } from '../../lib/registry.ts';
import { rawDocument } from '../helpers/raw-docs.ts';

export interface FeedOptions {
  /** Documents per send. */
  batch: number;
  /** How many fed documents may wait unprocessed: the feed sends while fewer do. */
  backlog(): number;
  /** Documents processed so far (rounds committed or dead-lettered). */
  processed(): number;
  log(line: string): void;
}

export class LiveFeed {
  private next = 0;
  private readonly acknowledged: string[] = [];
  private uncertain = 0;
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();
  private producer: Producer | undefined;

  private constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly encode: (doc: RawDocument) => Buffer,
    private readonly tokens: MistralTokenizer,
    private readonly options: FeedOptions,
  ) {}

  static async start(
    kafka: Kafka,
    registryUrl: string,
    topic: string,
    tokens: MistralTokenizer,
    options: FeedOptions,
  ): Promise<LiveFeed> {
    const codec = await avroCodec<RawDocument>(registryClient(registryUrl), topic);
    const feed = new LiveFeed(kafka, topic, (doc) => codec.encode(doc), tokens, options);
    feed.loop = feed.run();
    return feed;
  }

  /** Documents Kafka acknowledged, in the order fed. */
  fedIds(): readonly string[] {
    return this.acknowledged;
  }

  /** Documents of sends that failed for good: each is in the raw topic once or not at all. */
  uncertainCount(): number {
    return this.uncertain;
  }

  /** Fed documents not yet processed. */
  waiting(): number {
    return this.acknowledged.length - this.options.processed();
  }

  /** Stops feeding once the send in flight (if any) is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    const producer = this.producer;
    this.producer = undefined;
    await Promise.race([producer?.disconnect().catch(() => {}), sleep(10_000)]);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.waiting() >= this.options.backlog()) {
        await sleep(200);
        continue;
      }
      await this.send();
    }
  }

  private async send(): Promise<void> {
    const docs = Array.from({ length: this.options.batch }, () =>
      rawDocument(this.next++, undefined, this.tokens),
    );
    try {
      this.producer ??= await this.connect();
      await this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: docs.map((doc) => ({ key: doc.doc_id, value: this.encode(doc) })),
      });
      for (const doc of docs) this.acknowledged.push(doc.doc_id);
    } catch (error) {
      this.uncertain += docs.length;
      this.options.log(
        `feed: a send of ${docs.length} documents failed for good (${(error as Error).message}); going on with new documents`,
      );
      // A fresh producer for what follows: the failed one's sequence numbers are no longer trusted.
      const failed = this.producer;
      this.producer = undefined;
      await Promise.race([failed?.disconnect().catch(() => {}), sleep(5_000)]);
      await sleep(1_000);
    }
  }

  private async connect(): Promise<Producer> {
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    return producer;
  }
}
