// One assigned input partition: its processor, the context the processor writes through, and the
// writes queued for the partition's next transaction. Input decoding and dead-lettering of what
// cannot be decoded happen here, once, for every app.

import type { KafkaMessage, Message, TopicMessages } from 'kafkajs';
import { deadLetter } from '../dlq.ts';
import type { Logger } from '../log.ts';
import type { TopicRole, Topics } from '../topics.ts';
import { type Codecs, codecOf } from './codecs.ts';
import type { KeptWrite } from './kept-writes.ts';
import type { StreamMetrics } from './metrics.ts';
import { PartitionState } from './partition-state.ts';
import { ChangelogStore, decodeScoped, StateScope } from './store.ts';
import type { Letter, Processor, ProcessorContext, RecordOfRole, Topology } from './topology.ts';

export interface TaskDeps<I extends TopicRole, O extends TopicRole, S extends TopicRole> {
  topology: Topology<I, O, S>;
  topics: Topics;
  codecs: Codecs;
  metrics: StreamMetrics;
  log: Logger;
  /** Cut a transaction for this task now (many outputs queued). */
  commitSoon(task: StreamTask<I, O, S>): void;
  /** Writes to the changelog at once, outside the transaction (StateStore.keep). */
  keep(write: KeptWrite): void;
}

/** Everything one transaction of the partition carries. */
export interface TaskWrites {
  messages: TopicMessages[];
  records: number;
  /** The input position that commits with them. */
  position: bigint;
}

export class StreamTask<I extends TopicRole, O extends TopicRole, S extends TopicRole> {
  readonly state: PartitionState;
  /** Next offset to hand to the processor: past every record it has been given. */
  position = 0n;
  /** Position the next transaction commits: past every record whose effects are queued. */
  committable = 0n;
  /** Position of the last committed transaction. */
  committed = 0n;
  /** The transaction now in flight, if any (one at a time per partition). */
  committing: Promise<void> | undefined;
  paused = false;
  private sends = new Map<string, Message[]>();
  private states: Message[] = [];
  private queued = 0;
  private readonly scope: StateScope;
  private readonly log: Logger;

  constructor(
    readonly partition: number,
    private readonly processor: Processor<I, O, S>,
    private readonly deps: TaskDeps<I, O, S>,
  ) {
    this.state = new PartitionState(partition);
    this.scope = new StateScope(deps.topology.state.scope(partition));
    this.log = deps.log.child({ partition });
  }

  get queuedRecords(): number {
    return this.queued;
  }

  /** Anything to commit: queued records, or input consumed since the last transaction. */
  get hasWork(): boolean {
    return this.queued > 0 || this.committable > this.committed;
  }

  /** Builds the processor's state from the restored changelog partition and hands it over. */
  async init(position: bigint, changelog: ReadonlyMap<string, Buffer>): Promise<void> {
    this.position = position;
    this.committable = position;
    this.committed = position;
    const { topology, topics, codecs } = this.deps;
    const codec = codecOf(codecs, topology.state.role);
    const { values, unreadable } = await decodeScoped(changelog, this.scope, codec);
    for (const bad of unreadable) {
      // A state nobody can read would block its work forever: account for it and drop it.
      const chainId = topology.state.chainOf?.(bad.storeKey, this.partition);
      this.deadLetter({
        errorClass: 'STATE_ERROR',
        error: bad.error,
        sourceTopic: topics[topology.state.role],
        key: bad.changelogKey,
        value: bad.bytes,
        ...(chainId !== undefined ? { chainId } : {}),
        ...(topology.runId !== undefined ? { runId: topology.runId } : {}),
      });
      this.queueState(bad.changelogKey, null);
    }
    const store = new ChangelogStore(
      this.scope,
      codec,
      (key, value) => this.queueState(key, value),
      values,
      (key, value) => {
        if (!this.state.closed) this.deps.keep({ partition: this.partition, key, value });
      },
    );
    await this.processor.init(this.context(store, position));
    store.release();
  }

  private context(store: ChangelogStore<RecordOfRole[S]>, position: bigint): ProcessorContext<O, S> {
    const { topics, codecs } = this.deps;
    return {
      partition: this.partition,
      position,
      log: this.log,
      store,
      forward: (output, key, value) => {
        if (this.state.closed) return;
        this.send(topics[output], { key, value: codecOf(codecs, output).encode(value) });
      },
      forwardEncoded: (output, key, value) => {
        if (this.state.closed) return;
        this.send(topics[output], { key, value });
      },
      deadLetter: (letter, key) => this.deadLetter(letter, key),
      commitSoon: () => {
        if (!this.state.closed && this.queued > 0) this.deps.commitSoon(this);
      },
    };
  }

  /**
   * Hands the batch's new records to the processor. Returns the position past them, or undefined
   * when the batch held nothing new (kafkajs may refetch from before the committed offset).
   */
  async process(messages: KafkaMessage[]): Promise<bigint | undefined> {
    const fresh = messages.filter((m) => BigInt(m.offset) >= this.position);
    const last = fresh[fresh.length - 1];
    if (!last) return undefined;
    const next = BigInt(last.offset) + 1n;
    this.position = next;
    this.state.to('processing');
    try {
      await this.feed(fresh);
    } finally {
      if (!this.state.closed) this.state.to('running');
    }
    this.committable = next;
    return next;
  }

  private async feed(fresh: KafkaMessage[]): Promise<void> {
    const admit = this.processor.admit?.bind(this.processor);
    const taken = admit ? fresh.filter((m) => admit(BigInt(m.offset))) : fresh;
    const values = await Promise.all(taken.map((m) => this.decode(m)));
    if (this.state.closed) return;
    this.deps.metrics.inputRecords.inc(fresh.length);
    for (const [i, message] of taken.entries()) {
      if (this.state.closed) return;
      const value = values[i];
      const bytes = message.value;
      if (value instanceof Error || value === undefined || !bytes) {
        this.deadLetter(
          {
            errorClass: 'DESERIALIZATION',
            error: value instanceof Error ? value : new Error('record has no value'),
            sourceOffset: Number(message.offset),
            key: message.key,
            value: message.value,
            ...(this.deps.topology.runId !== undefined ? { runId: this.deps.topology.runId } : {}),
          },
          message.key,
        );
        continue;
      }
      const offset = BigInt(message.offset);
      await this.processor.process({ partition: this.partition, offset, key: message.key, value, bytes });
    }
    this.processor.afterBatch?.();
  }

  private async decode(message: KafkaMessage): Promise<RecordOfRole[I] | Error> {
    const { topology, topics, codecs } = this.deps;
    if (!message.value) return new Error(`record has no value (tombstone) on ${topics[topology.input]}`);
    try {
      return await codecOf(codecs, topology.input).decode(message.value);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  punctuate(now: number): void {
    if (!this.state.closed) this.processor.punctuate?.(now);
  }

  saturated(): boolean {
    return this.processor.saturated?.() ?? false;
  }

  /** The partition is gone: the processor drops its work and nothing more is queued. */
  close(): boolean {
    if (!this.state.close()) return false;
    this.processor.close();
    return true;
  }

  /** Takes everything queued so far, for one transaction. */
  takeWrites(): TaskWrites {
    const messages = [...this.sends].map(([topic, list]) => ({ topic, messages: list }));
    if (this.states.length > 0) {
      const changelog = this.deps.topics[this.deps.topology.state.role];
      messages.push({ topic: changelog, messages: this.states });
    }
    const writes = { messages, records: this.queued, position: this.committable };
    this.sends = new Map();
    this.states = [];
    this.queued = 0;
    return writes;
  }

  private deadLetter(letter: Letter, key?: string | Buffer | null): void {
    if (this.state.closed) return;
    const { topology, topics, codecs, metrics } = this.deps;
    const value = deadLetter({
      sourceTopic: topics[topology.input],
      sourcePartition: this.partition,
      ...letter,
      stage: topology.stage,
    });
    this.send(topics.dlq, {
      key: key !== undefined ? key : (letter.chainId ?? letter.key ?? null),
      value: codecOf(codecs, 'dlq').encode(value),
    });
    metrics.deadLetter(letter.errorClass);
    // A rejected text (a duplicate, say) is a verdict, not a failure: not worth a warning each.
    const level = letter.errorClass === 'REJECTED_TEXT' ? 'debug' : 'warn';
    this.log[level](
      {
        errorClass: letter.errorClass,
        chainId: letter.chainId,
        offset: letter.sourceOffset,
        err: letter.error,
      },
      'dead-lettered',
    );
  }

  private send(topic: string, message: Message): void {
    const list = this.sends.get(topic);
    if (list) list.push(message);
    else this.sends.set(topic, [message]);
    this.queued++;
  }

  private queueState(key: string, value: Buffer | null): void {
    if (this.state.closed) return;
    this.states.push({ key, value, partition: this.partition });
    this.queued++;
  }
}
