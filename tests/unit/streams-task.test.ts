import type { KafkaMessage } from 'kafkajs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../core/types.ts';
import { createLogger } from '../../lib/log.ts';
import type { AvroCodec } from '../../lib/registry.ts';
import type { Codecs } from '../../lib/streams/codecs.ts';
import type { KeptWrite } from '../../lib/streams/kept-writes.ts';
import { StreamMetrics } from '../../lib/streams/metrics.ts';
import { StreamTask } from '../../lib/streams/task.ts';
import type { Processor, ProcessorContext } from '../../lib/streams/topology.ts';
import { TOPICS } from '../../lib/topics.ts';
import { testTopology } from '../helpers/stream-topology.ts';

// JSON instead of Avro: what is under test is what the task does with records, not the wire format.
function jsonCodec<T>(): AvroCodec<T> {
  return {
    schemaId: 1,
    encode: (value) => Buffer.from(JSON.stringify(value)),
    decode: async (bytes) => {
      const text = bytes.toString();
      if (!text.startsWith('{')) throw new Error(`not a record: ${text}`);
      return JSON.parse(text) as T;
    },
  };
}
const codecs = { raw: jsonCodec(), rounds: jsonCodec(), synthState: jsonCodec(), dlq: jsonCodec() } as Codecs;
const decodeLetter = (bytes: Buffer | string | null | undefined) =>
  JSON.parse(String(bytes)) as DeadLetter & { key: { data: number[] } | null };

const topology = testTopology;

type Context = ProcessorContext<'rounds', 'synthState'>;

/** A processor that takes even offsets only and forwards each record's doc id. */
class Recorder implements Processor<'raw', 'rounds', 'synthState'> {
  context: Context | undefined;
  seen: bigint[] = [];
  batches = 0;
  closed = false;
  init(context: Context) {
    this.context = context;
  }
  admit(offset: bigint) {
    return offset % 2n === 0n;
  }
  process(record: { offset: bigint; value: { doc_id: string } }) {
    this.seen.push(record.offset);
    this.context?.forward('rounds', record.value.doc_id, { doc_id: record.value.doc_id } as never);
  }
  afterBatch() {
    this.batches++;
  }
  close() {
    this.closed = true;
  }
}

function newTask(partition = 2) {
  const processor = new Recorder();
  const commits: number[] = [];
  const kept: KeptWrite[] = [];
  const task = new StreamTask(partition, processor, {
    topology,
    topics: TOPICS,
    codecs,
    metrics: new StreamMetrics(new Registry(), 'test'),
    log: createLogger('streams-task-test', 'silent'),
    commitSoon: (t) => commits.push(t.partition),
    keep: (write) => kept.push(write),
  });
  return { task, processor, commits, kept };
}

const message = (offset: number, value: string | null, key = `k${offset}`): KafkaMessage =>
  ({
    offset: String(offset),
    key: Buffer.from(key),
    value: value === null ? null : Buffer.from(value),
  }) as KafkaMessage;
const doc = (id: string) => JSON.stringify({ doc_id: id });

async function running(changelog = new Map<string, Buffer>(), position = 0n) {
  const made = newTask();
  made.task.state.to('restoring');
  await made.task.init(position, changelog);
  made.task.state.to('running');
  return made;
}

describe('StreamTask', () => {
  it('decodes admitted records once, dead-letters what cannot be decoded, and skips what it saw', async () => {
    const { task, processor } = await running(new Map(), 2n);
    const next = await task.process([
      message(0, doc('old')), // before the committed position: seen already
      message(2, doc('a')),
      message(3, 'garbage'), // not admitted: neither decoded nor dead-lettered
      message(4, 'garbage'),
      message(6, null),
      message(8, doc('b')),
    ]);
    expect(next).toBe(9n);
    expect(processor.seen).toEqual([2n, 8n]);
    expect(processor.batches).toBe(1);
    expect(task.state.phase).toBe('running');
    const writes = task.takeWrites();
    expect(writes.position).toBe(9n);
    const byTopic = new Map(writes.messages.map((m) => [m.topic, m.messages]));
    expect(byTopic.get(TOPICS.rounds)?.map((m) => m.key)).toEqual(['a', 'b']);
    const letters = (byTopic.get(TOPICS.dlq) ?? []).map((m) => decodeLetter(m.value));
    expect(
      letters.map((l) => [l.error_class, l.source_topic, l.source_partition, l.source_offset, l.run_id]),
    ).toEqual([
      ['DESERIALIZATION', TOPICS.raw, 2, 4, 'run'],
      ['DESERIALIZATION', TOPICS.raw, 2, 6, 'run'],
    ]);
    expect(letters[1]?.message).toMatch(/tombstone/);
    expect(await task.process([message(8, doc('b'))])).toBeUndefined();
  });

  it('restores only its own scope, with keys relative to it, and dead-letters unreadable state', async () => {
    let restored: ReadonlyMap<string, unknown> | undefined;
    const changelog = new Map([
      ['run/2', Buffer.from('{"counters":1}')],
      ['run/2/0/1', Buffer.from('{"chain":1}')],
      ['run/2/0/2', Buffer.from('broken')],
      ['run/20/0/1', Buffer.from('{"someone":"else"}')],
      ['other/2', Buffer.from('{"someone":"else"}')],
    ]);
    const { task, processor } = newTask();
    processor.init = (context: Context) => {
      processor.context = context;
      restored = new Map(context.store.restored);
    };
    task.state.to('restoring');
    await task.init(0n, changelog);
    expect(restored).toEqual(
      new Map([
        ['', { counters: 1 }],
        ['0/1', { chain: 1 }],
      ]),
    );
    expect(processor.context?.store.restored.size).toBe(0); // released once handed over
    processor.context?.store.put('0/3', { chain: 3 } as never);
    processor.context?.store.delete('');
    const writes = task.takeWrites();
    const byTopic = new Map(writes.messages.map((m) => [m.topic, m.messages]));
    const letter = decodeLetter(byTopic.get(TOPICS.dlq)?.[0]?.value);
    expect(letter).toMatchObject({
      error_class: 'STATE_ERROR',
      source_topic: TOPICS.synthState,
      chain_id: 'chain:0/2',
    });
    expect(
      byTopic.get(TOPICS.synthState)?.map((m) => [m.key, m.value?.toString() ?? null, m.partition]),
    ).toEqual([
      ['run/2/0/2', null, 2],
      ['run/2/0/3', '{"chain":3}', 2],
      ['run/2', null, 2],
    ]);
    expect(writes.records).toBe(4);
    expect(task.takeWrites().records).toBe(0);
  });

  it('writes nothing once closed, and closes its processor once', async () => {
    const { task, processor, commits } = await running();
    processor.context?.commitSoon();
    expect(commits).toEqual([]); // nothing queued: no transaction asked for
    processor.context?.forward('rounds', 'x', { doc_id: 'x' } as never);
    processor.context?.commitSoon();
    expect(commits).toEqual([2]);
    expect(task.close()).toBe(true);
    expect(task.close()).toBe(false);
    expect(processor.closed).toBe(true);
    processor.context?.forward('rounds', 'y', { doc_id: 'y' } as never);
    processor.context?.store.put('k', {} as never);
    expect(task.takeWrites().records).toBe(1);
  });

  it('hands kept values to the kept writer at once, scoped and encoded, outside the transaction', async () => {
    const { task, processor, kept } = newTask();
    task.state.to('restoring');
    await task.init(0n, new Map());
    processor.context?.store.keep('0/1/answer/0', { output: 'o' } as never);
    expect(kept.map((w) => [w.partition, w.key, w.value?.toString()])).toEqual([
      [2, 'run/2/0/1/answer/0', '{"output":"o"}'],
    ]);
    expect(task.takeWrites().records).toBe(0); // nothing for the transaction
    task.close();
    processor.context?.store.keep('0/1/answer/1', { output: 'p' } as never);
    expect(kept).toHaveLength(1); // a closed task keeps nothing
  });
});
