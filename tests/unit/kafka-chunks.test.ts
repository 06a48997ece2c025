import { describe, expect, it } from 'vitest';
import { sizeBoundedChunks } from '../../lib/kafka/partition-transactions.ts';

const msg = (n: number, bytes: number) => ({ key: `k${n}`, value: Buffer.alloc(bytes) });

describe('sizeBoundedChunks', () => {
  it('keeps every message, in order, and no chunk over the limit unless one message alone is', () => {
    const input = [
      { topic: 'out', messages: Array.from({ length: 30 }, (_, i) => msg(i, 100)) },
      {
        topic: 'state',
        messages: [msg(100, 5_000), ...Array.from({ length: 20 }, (_, i) => msg(200 + i, 300))],
      },
    ];
    const chunks = sizeBoundedChunks(input, 2_000);
    const flat = chunks.flatMap((c) => c.flatMap((t) => t.messages.map((m) => `${t.topic}:${m.key}`)));
    expect(flat).toEqual(input.flatMap((t) => t.messages.map((m) => `${t.topic}:${m.key}`)));
    for (const chunk of chunks) {
      const size = chunk
        .flatMap((t) => t.messages)
        .reduce((s, m) => s + (m.value as Buffer).length + String(m.key).length + 64, 0);
      const single = chunk.flatMap((t) => t.messages).length === 1;
      expect(size <= 2_000 || single).toBe(true);
    }
    expect(chunks.length).toBeGreaterThan(3);
  });

  it('sends a small transaction as one request', () => {
    expect(
      sizeBoundedChunks(
        [
          { topic: 'a', messages: [msg(1, 10)] },
          { topic: 'b', messages: [msg(2, 10)] },
        ],
        1_000,
      ),
    ).toHaveLength(1);
    expect(sizeBoundedChunks([], 1_000)).toEqual([]);
  });
});
