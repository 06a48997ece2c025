import { describe, expect, it } from 'vitest';
import { ClientQueue, type QueueLimits, type QueueSocket } from '../../services/tap/client-queue.ts';

/** A socket whose send buffer fills as it is written to and empties only when told. */
class FakeSocket implements QueueSocket {
  bufferedAmount = 0;
  readonly frames: (Buffer | string)[] = [];
  send(data: Buffer | string, options: { binary: false }): void {
    expect(options.binary).toBe(false);
    this.frames.push(data);
    this.bufferedAmount += typeof data === 'string' ? data.length : data.length;
  }
  drain(): void {
    this.bufferedAmount = 0;
  }
  records(): string[] {
    return this.frames.filter((f) => Buffer.isBuffer(f)).map(String);
  }
  notices(): { type: string; count: number; total: number }[] {
    return this.frames.filter((f) => typeof f === 'string').map((f) => JSON.parse(f as string));
  }
}

const limits: QueueLimits = {
  maxQueueBytes: 100,
  sendHighWaterBytes: 50,
  maxDropped: 20,
  noticeIntervalMs: 1_000,
};
const record = (i: number) => Buffer.from(`rec-${String(i).padStart(6, '0')}`); // 10 bytes

function setup(overrides: Partial<QueueLimits> = {}) {
  const socket = new FakeSocket();
  let clock = 0;
  const slow: number[] = [];
  const queue = new ClientQueue(
    socket,
    { ...limits, ...overrides },
    (n) => slow.push(n),
    () => clock,
  );
  return { socket, queue, slow, tick: (ms: number) => (clock += ms) };
}

describe('tap client queue', () => {
  it('sends straight through while the socket keeps up', () => {
    const { socket, queue } = setup();
    for (let i = 0; i < 100; i++) {
      expect(queue.offer(record(i))).toBe('sent');
      socket.drain();
    }
    expect(socket.records()).toHaveLength(100);
    expect(queue.length).toBe(0);
    expect(queue.sent).toBe(100);
  });

  it('queues past the send high-water mark, drops past the queue bound, and reports drops in order', () => {
    const { socket, queue } = setup();
    const results = Array.from({ length: 20 }, (_, i) => queue.offer(record(i)));
    // 5 records (50 bytes) reach the socket, 10 more (100 bytes) wait, the other 5 are dropped.
    expect(results.filter((r) => r === 'sent')).toHaveLength(5);
    expect(results.filter((r) => r === 'queued')).toHaveLength(10);
    expect(results.filter((r) => r === 'dropped')).toHaveLength(5);
    expect(socket.records()).toHaveLength(5);
    // The first drop is announced at once; the rest wait for the next notice.
    expect(socket.notices()).toEqual([{ type: 'dropped', count: 1, total: 1 }]);
    socket.drain();
    expect(queue.pump()).toBe(true);
    socket.drain();
    expect(queue.pump()).toBe(false);
    expect(socket.records()).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14].map((i) => String(record(i))),
    );
    // Caught up: the remaining drops are reported after the records that made it.
    expect(socket.notices()).toEqual([
      { type: 'dropped', count: 1, total: 1 },
      { type: 'dropped', count: 4, total: 5 },
    ]);
    expect(queue.dropped).toBe(5);
  });

  it('sends at most one notice per interval while dropping', () => {
    const { socket, queue, tick } = setup({ maxDropped: 1_000 });
    for (let i = 0; i < 15; i++) queue.offer(record(i));
    for (let i = 0; i < 50; i++) {
      queue.offer(record(i));
      tick(100);
    }
    // 5 s of dropping → the first notice plus one a second.
    expect(socket.notices().length).toBeGreaterThanOrEqual(5);
    expect(socket.notices().length).toBeLessThanOrEqual(6);
    // Once caught up, the last notice accounts for every drop.
    for (let i = 0; i < 3; i++) {
      socket.drain();
      queue.pump();
    }
    const notices = socket.notices();
    expect(notices.at(-1)?.total).toBe(queue.dropped);
    expect(notices.reduce((sum, n) => sum + n.count, 0)).toBe(queue.dropped);
  });

  it('cuts a client off after too many drops in a row, once, and then refuses everything', () => {
    const { queue, slow } = setup();
    for (let i = 0; i < 100; i++) queue.offer(record(i));
    expect(slow).toEqual([21]);
    expect(queue.offer(record(0))).toBe('closed');
    expect(queue.length).toBe(0);
  });

  it('forgives drops once the client has caught up', () => {
    const { socket, queue, slow } = setup();
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 30; i++) queue.offer(record(i)); // 15 drops per round, under the limit of 20
      for (let i = 0; i < 3; i++) {
        socket.drain();
        queue.pump();
      }
      socket.drain();
    }
    // Far more than the limit in all, never more than it in a row.
    expect(queue.dropped).toBe(75);
    expect(slow).toEqual([]);
  });

  it('room() resolves when the queue is half empty or closed: positional readers are paced, not dropped', async () => {
    const { socket, queue } = setup();
    for (let i = 0; i < 15; i++) queue.offer(record(i));
    let roomy = false;
    const waiting = queue.room().then(() => {
      roomy = true;
    });
    await Promise.resolve();
    expect(roomy).toBe(false);
    socket.drain();
    queue.pump();
    await waiting;
    expect(roomy).toBe(true);
    for (let i = 0; i < 15; i++) queue.offer(record(i));
    const closing = queue.room();
    queue.close();
    await closing;
  });

  it('stats go out only to a client that has nothing queued', () => {
    const { socket, queue } = setup();
    expect(queue.offerIfIdle(Buffer.from('stats'))).toBe(true);
    for (let i = 0; i < 10; i++) queue.offer(record(i));
    expect(queue.offerIfIdle(Buffer.from('stats'))).toBe(false);
    expect(socket.records().filter((r) => r === 'stats')).toHaveLength(1);
  });
});
