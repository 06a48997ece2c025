import type { Kafka, TopicMessages } from 'kafkajs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.ts';
import { type Committable, Committer } from '../../lib/streams/committer.ts';
import { StreamMetrics } from '../../lib/streams/metrics.ts';
import { PartitionState } from '../../lib/streams/partition-state.ts';

/** A kafkajs stand-in that records what the transactional producers do. */
function fakeKafka(commitError?: () => Error | undefined, disconnectHangs = false) {
  const calls: string[] = [];
  const producer = (options: { transactionalId: string }) => ({
    connect: async () => void calls.push(`connect ${options.transactionalId}`),
    // kafkajs's disconnect waits for requests pending on its connections, which may never settle.
    disconnect: () => {
      calls.push('disconnect');
      return disconnectHangs ? new Promise<void>(() => {}) : Promise.resolve();
    },
    transaction: async () => {
      let active = true;
      return {
        sendBatch: async ({ topicMessages }: { topicMessages: TopicMessages[] }) =>
          void calls.push(`send ${topicMessages.map((t) => `${t.topic}×${t.messages.length}`).join(' ')}`),
        sendOffsets: async (o: { topics: { partitions: { offset: string }[] }[] }) =>
          void calls.push(`offset ${o.topics[0]?.partitions[0]?.offset}`),
        commit: async () => {
          const error = commitError?.();
          if (error) throw error;
          active = false;
          calls.push('commit');
        },
        abort: async () => {
          active = false;
          calls.push('abort');
        },
        isActive: () => active,
      };
    },
  });
  return { kafka: { producer } as unknown as Kafka, calls };
}

function task(partition: number): Committable & { state: PartitionState } {
  const state = new PartitionState(partition);
  state.to('restoring');
  state.to('running');
  let queued = 2;
  return {
    partition,
    state,
    committable: 5n,
    committed: 0n,
    committing: undefined,
    get hasWork() {
      return queued > 0 || this.committable > this.committed;
    },
    takeWrites() {
      queued = 0;
      return {
        messages: [{ topic: 'out', messages: [{ value: 'a' }, { value: 'b' }] }],
        position: this.committable,
      };
    },
  };
}

function committer(commitError?: () => Error | undefined, disconnectHangs = false) {
  const { kafka, calls } = fakeKafka(commitError, disconnectHangs);
  const outcomes: string[] = [];
  const metrics = new StreamMetrics(new Registry(), 'test');
  const c = new Committer<ReturnType<typeof task>>({
    kafka,
    groupId: 'g',
    inputTopic: 'in',
    log: createLogger('committer-test', 'silent'),
    metrics,
    closeGraceMs: 100,
    onFenced: (t) => outcomes.push(`fenced ${t.partition}`),
    onFailed: (t) => outcomes.push(`failed ${t.partition}`),
  });
  return { c, calls, outcomes, metrics };
}

describe('Committer', () => {
  it('cuts no transaction mid-batch; then one carries the writes and the input position', async () => {
    const { c, calls, metrics } = committer();
    const t = task(3);
    await c.open(3);
    expect(calls).toEqual(['connect g.in.3', 'abort']); // opening fences earlier owners
    t.state.to('processing');
    await c.commit(t);
    expect(calls).toHaveLength(2);
    t.state.to('running');
    await c.commit(t);
    expect(calls.slice(2)).toEqual(['send out×2', 'offset 5', 'commit']);
    expect(t.committed).toBe(5n);
    expect(t.hasWork).toBe(false);
    expect((await metrics.transactions.get()).values[0]?.value).toBe(1);
  });

  it('reports a fenced producer apart from other failures, and aborts what failed', async () => {
    let error: Error | undefined = new Error('There is a newer producer with the same transactionalId');
    const { c, calls, outcomes } = committer(() => error);
    await c.open(1);
    await c.commit(task(1));
    error = new Error('broker went away');
    await c.open(2);
    await c.commit(task(2));
    expect(outcomes).toEqual(['fenced 1', 'failed 2']);
    expect(calls.filter((x) => x === 'abort')).toHaveLength(3); // two opens, one failed commit
  });

  it('starts over after a restart even when an old producer never finishes disconnecting', async () => {
    const { c, calls } = committer(undefined, true);
    await c.open(0);
    const started = Date.now();
    await c.reset();
    expect(Date.now() - started).toBeLessThan(5_000);
    await c.open(0);
    expect(calls.filter((x) => x.startsWith('connect'))).toEqual(['connect g.in.0', 'connect g.in.0']);
  });
});
