// The batching sink in front of the idempotent producer, on the real broker: batches, ordering,
// and backpressure — pushes wait while unacknowledged bytes are over the limit; compression.

import { randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Admin, Partitioners, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { BatchingSink, DEFAULT_SINK, type SinkCompression } from '../../services/ingest/sink.ts';
import { stackConfig } from '../../stack/config.ts';
import { readCommitted } from '../helpers/read-topic.ts';

const kafka = kafkaClient('ipt-test-ingest-sink', loadEndpoints().kafka.brokers);
const topic = `test.ingest.sink.${randomUUID().slice(0, 8)}`;
const codecTopics = { none: `${topic}.none`, gzip: `${topic}.gzip` } satisfies Record<
  SinkCompression,
  string
>;
let admin: Admin;
let producer: Producer;

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [topic, ...Object.values(codecTopics)].map((t) => ({
      topic: t,
      numPartitions: t === topic ? 2 : 1,
    })),
    waitForLeaders: true,
  });
  producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await admin?.deleteTopics({ topics: [topic, ...Object.values(codecTopics)] }).catch(() => {});
  await admin?.disconnect();
});

describe('BatchingSink', () => {
  it('bounds unacknowledged bytes: pushes wait for the broker, nothing is lost or reordered', async () => {
    const limit = 64 * 1024;
    const waits: number[] = [];
    const batches: number[] = [];
    const sink = new BatchingSink(
      producer,
      {
        ...DEFAULT_SINK,
        maxBatchMessages: 8,
        maxBatchBytes: 32 * 1024,
        lingerMs: 5,
        maxBufferedBytes: limit,
      },
      { onWait: (ms) => waits.push(ms), onBatch: (n) => batches.push(n) },
    );
    const value = Buffer.alloc(10 * 1024, 'v');
    let peak = 0;
    const deliveries: Promise<void>[] = [];
    for (let i = 0; i < 120; i++) {
      const { delivered } = await sink.push(topic, {
        key: `k${i % 7}`,
        value: Buffer.concat([Buffer.from(`${i}:`), value]),
      });
      deliveries.push(delivered);
      peak = Math.max(peak, sink.bufferedBytes);
    }
    await sink.flush();
    await Promise.all(deliveries);
    sink.close();

    // The reader was held back (120 × 10 KB is far over the 64 KB limit) and the buffer stayed
    // within the limit plus the one message that crossed it.
    expect(waits.length).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(limit + value.length + 128);
    expect(Math.max(...batches)).toBeLessThanOrEqual(8);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(120);

    const records = await readCommitted(kafka, topic);
    expect(records).toHaveLength(120);
    // Per key (so per partition) the order of pushes is kept.
    const byKey = new Map<string, number[]>();
    for (const r of records) {
      const n = Number(r.value?.subarray(0, 8).toString().split(':')[0]);
      byKey.set(r.key as string, [...(byKey.get(r.key as string) ?? []), n]);
    }
    for (const seq of byKey.values()) expect(seq).toEqual([...seq].sort((a, b) => a - b));
  });

  it('sends uncompressed by default and gzip when asked: same records, the gzip log far smaller', async () => {
    // Text like a crawl's: repetitive enough that gzip shrinks it several times.
    const text = (i: number) =>
      `document ${i}: ${'the quick brown fox jumps over the lazy dog. '.repeat(40)}`;
    const logBytes: Partial<Record<SinkCompression, number>> = {};
    for (const compression of ['none', 'gzip'] as const) {
      const sink = new BatchingSink(producer, { ...DEFAULT_SINK, lingerMs: 5, compression });
      const deliveries: Promise<void>[] = [];
      for (let i = 0; i < 200; i++)
        deliveries.push(
          (await sink.push(codecTopics[compression], { key: `k${i}`, value: text(i) })).delivered,
        );
      await sink.flush();
      await Promise.all(deliveries);
      sink.close();
      const records = await readCommitted(kafka, codecTopics[compression]);
      expect(records.map((r) => r.value?.toString())).toEqual(Array.from({ length: 200 }, (_, i) => text(i)));
      // The broker's own log of the partition (the local stack's data directory).
      const dir = join(stackConfig().stateDir, 'kafka', 'data', `${codecTopics[compression]}-0`);
      logBytes[compression] = readdirSync(dir)
        .filter((f) => f.endsWith('.log'))
        .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    }
    expect(DEFAULT_SINK.compression).toBe('none');
    expect(logBytes.none).toBeGreaterThan(200 * 1800);
    expect(logBytes.gzip).toBeLessThan((logBytes.none ?? 0) / 5);
  });
});
