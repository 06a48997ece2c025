import type { Kafka, Message, Producer, TopicMessages } from 'kafkajs';

/**
 * Exactly-once between topics without KIP-447 (kafkajs cannot send consumer-group metadata with
 * offsets): one transactional producer per input partition, its `transactional.id` derived from
 * group + topic + partition. Whoever owns an
 * input partition owns that id; initialising it (InitProducerId) bumps the epoch, which fences any
 * zombie still holding the id and aborts the zombie's open transaction.
 */

/** A newer producer holds this partition's transactional id: drop the partition, don't retry. */
export class FencedError extends Error {
  override readonly name = 'FencedError';
  constructor(
    readonly transactionalId: string,
    readonly partition: number,
    options?: { cause?: unknown },
  ) {
    super(
      `producer ${transactionalId} was fenced by a newer instance; partition ${partition} is lost`,
      options,
    );
  }
}

/** The input position that commits with a transaction: the next offset to consume, as kafkajs strings it. */
export interface InputOffset {
  topic: string;
  partition: number;
  offset: string;
}

export interface PartitionCommit {
  /** Outputs and changelog records, all in the same transaction. */
  messages: TopicMessages[];
  /** The consumer group's position on the input partition once this transaction commits. */
  offsets: InputOffset;
}

export interface PartitionTransactionsOptions {
  /** The consumer group whose offsets the transactions commit. */
  groupId: string;
  /** The input topic. */
  topic: string;
  /** Broker-side transaction timeout; an open transaction older than this is aborted by the broker. */
  transactionTimeoutMs?: number;
  /** How long closing waits for a producer to disconnect before leaving it behind (default 5 s). */
  disconnectGraceMs?: number;
}

/** `${groupId}.${topic}.${partition}`: the same for every instance that ever owns the partition. */
export function transactionalIdFor(groupId: string, topic: string, partition: number): string {
  return `${groupId}.${topic}.${partition}`;
}

// kafkajs knows INVALID_PRODUCER_EPOCH (47); PRODUCER_FENCED (90) is newer than its error table, so
// it arrives as KAFKAJS_UNKNOWN_ERROR_CODE with the number in the message.
const FENCED_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);
const FENCED_CODES = new Set([47, 90]);
// kafkajs's retrier wraps errors in KafkaJSNonRetriableError, which keeps the message but not the type.
const FENCED_MESSAGE =
  /attempted an operation with an old epoch|newer producer with the same transactionalId|Unknown error code 90\b/;

/** Whether a kafkajs error (possibly wrapped by its retrier, or aggregated) says this producer was fenced. */
export function isFencedError(error: unknown, depth = 0): boolean {
  if (depth > 8 || error === null || typeof error !== 'object') return false;
  const e = error as {
    type?: unknown;
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    originalError?: unknown;
    errors?: unknown;
  };
  if (error instanceof FencedError) return true;
  if (typeof e.type === 'string' && FENCED_TYPES.has(e.type)) return true;
  if (typeof e.code === 'number' && FENCED_CODES.has(e.code)) return true;
  if (typeof e.message === 'string' && FENCED_MESSAGE.test(e.message)) return true;
  if (e.cause !== error && isFencedError(e.cause, depth + 1)) return true;
  if (isFencedError(e.originalError, depth + 1)) return true;
  return Array.isArray(e.errors) && e.errors.some((inner) => isFencedError(inner, depth + 1));
}

interface Slot {
  producer: Producer;
  /** Serialises transactions on the partition: a kafkajs producer runs one transaction at a time. */
  tail: Promise<unknown>;
}

/**
 * The transactional producers of one consumer-group member, one per assigned input partition.
 *
 * `open` on assignment (before restoring state, so no zombie can still append to the changelog),
 * `commit` per processed unit, `close` on revocation. A `FencedError` from `open` or `commit` means
 * another member owns the partition now: the producer is already discarded; stop processing the
 * partition. Any other `commit` error aborts the transaction: nothing of it is visible, and the caller
 * must rewind the partition (input position and state) to its last committed point.
 */
export class PartitionTransactions {
  private readonly slots = new Map<number, Slot>();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: PartitionTransactionsOptions,
  ) {}

  transactionalId(partition: number): string {
    return transactionalIdFor(this.options.groupId, this.options.topic, partition);
  }

  isOpen(partition: number): boolean {
    return this.slots.has(partition);
  }

  openPartitions(): number[] {
    return [...this.slots.keys()];
  }

  /**
   * Connects the partition's producer and initialises its transactional id. kafkajs defers
   * InitProducerId to the first transaction, so this begins an empty transaction and aborts it
   * (no EndTxn is sent for an empty one): when it returns, any zombie is fenced and its open
   * transaction aborted. Idempotent for an already open partition.
   */
  async open(partition: number): Promise<void> {
    if (this.slots.has(partition)) return;
    const transactionalId = this.transactionalId(partition);
    const producer = this.kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      ...(this.options.transactionTimeoutMs ? { transactionTimeout: this.options.transactionTimeoutMs } : {}),
    });
    try {
      await producer.connect();
      const init = await producer.transaction();
      await init.abort();
    } catch (error) {
      await producer.disconnect().catch(() => {});
      if (isFencedError(error)) throw new FencedError(transactionalId, partition, { cause: error });
      throw error;
    }
    this.slots.set(partition, { producer, tail: Promise.resolve() });
  }

  /**
   * One transaction: every record of `messages`, the group's offset for the input partition, commit.
   * Resolves once the transaction is committed; rejects (after aborting) otherwise.
   */
  commit(partition: number, commit: PartitionCommit): Promise<void> {
    const slot = this.slots.get(partition);
    if (!slot)
      return Promise.reject(
        new Error(`partition ${partition} is not open (${this.transactionalId(partition)})`),
      );
    const run = slot.tail.then(
      () => this.transact(partition, slot, commit),
      () => this.transact(partition, slot, commit),
    );
    slot.tail = run.catch(() => {});
    return run;
  }

  private async transact(
    partition: number,
    slot: Slot,
    { messages, offsets }: PartitionCommit,
  ): Promise<void> {
    if (this.slots.get(partition) !== slot) {
      throw new Error(`partition ${partition} was closed before its transaction began`);
    }
    if (offsets.partition !== partition) {
      throw new Error(
        `offsets for partition ${offsets.partition} cannot commit through partition ${partition}`,
      );
    }
    const transactionalId = this.transactionalId(partition);
    let transaction: Awaited<ReturnType<Producer['transaction']>> | undefined;
    try {
      transaction = await slot.producer.transaction();
      for (const chunk of sizeBoundedChunks(messages, MAX_REQUEST_BYTES)) {
        await transaction.sendBatch({ topicMessages: chunk, acks: -1 });
      }
      const active = transaction;
      await retryWhileCoordinatorMoves(() =>
        active.sendOffsets({
          consumerGroupId: this.options.groupId,
          topics: [{ topic: offsets.topic, partitions: [{ partition, offset: offsets.offset }] }],
        }),
      );
      await transaction.commit();
    } catch (error) {
      if (isFencedError(error)) {
        // The broker already aborted what this producer had open; the producer is useless now.
        await this.discard(partition, slot);
        throw new FencedError(transactionalId, partition, { cause: error });
      }
      if (transaction?.isActive()) {
        try {
          await transaction.abort();
        } catch (abortError) {
          await this.discard(partition, slot);
          if (isFencedError(abortError))
            throw new FencedError(transactionalId, partition, { cause: abortError });
          // The transaction is left to the broker's timeout (or the next open, which aborts it).
        }
      } else if (transaction) {
        // Failed inside commit/abort itself: the producer's state is unknown; start over on next open.
        await this.discard(partition, slot);
      }
      throw error;
    }
  }

  /** Disconnects the partition's producer (after its queued transactions end). Idempotent. */
  async close(partition: number): Promise<void> {
    const slot = this.slots.get(partition);
    if (!slot) return;
    await slot.tail;
    await this.discard(partition, slot);
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.openPartitions().map((p) => this.close(p)));
  }

  /**
   * Drops the partition's producer. kafkajs's disconnect waits for every request pending on its
   * connections, and one to a broker that died mid-request may never settle (seen after a leader was
   * killed: the service's restart waited on it forever). So it gets a grace period and is then left
   * behind; whoever opens the partition next fences it.
   */
  private async discard(partition: number, slot: Slot): Promise<void> {
    if (this.slots.get(partition) === slot) this.slots.delete(partition);
    const grace = new Promise((resolve) =>
      setTimeout(resolve, this.options.disconnectGraceMs ?? 5_000).unref(),
    );
    await Promise.race([slot.producer.disconnect().catch(() => {}), grace]);
  }
}

/** Group-coordinator errors that clear once the broker has (re)loaded the group's offsets partition. */
const COORDINATOR_MOVING = new Set([
  'NOT_COORDINATOR',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
]);

/**
 * kafkajs sends TxnOffsetCommit once, without retrying when the group coordinator is not ready — as on
 * a fresh broker creating __consumer_offsets, or after the coordinator moved. Both requests of
 * sendOffsets are idempotent within the transaction, so asking again after a pause is safe.
 */
async function retryWhileCoordinatorMoves(send: () => Promise<void>, attempts = 20): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      const type = (error as { type?: string }).type ?? '';
      if (attempt >= attempts || !COORDINATOR_MOVING.has(type)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * attempt, 1000)));
    }
  }
}

/**
 * A transaction can carry more than one produce request. Brokers refuse a record batch over
 * message.max.bytes (1 MiB by default) and kafkajs puts all of a request's records for one partition
 * into one batch, so a large transaction is sent in requests of at most this many payload bytes.
 */
export const MAX_REQUEST_BYTES = 512 * 1024;

const payloadBytes = (m: Message): number => {
  const size = (v: Message['value'] | Message['key']) =>
    v === null || v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;
  return size(m.key) + size(m.value) + 64;
};

/** Splits topic messages into groups whose payload stays under maxBytes (a bigger single record goes alone). */
export function sizeBoundedChunks(messages: TopicMessages[], maxBytes: number): TopicMessages[][] {
  const chunks: TopicMessages[][] = [];
  let current: TopicMessages[] = [];
  let bytes = 0;
  for (const { topic, messages: list } of messages) {
    let run: Message[] = [];
    for (const message of list) {
      const size = payloadBytes(message);
      if (bytes + size > maxBytes && bytes > 0) {
        if (run.length > 0) current.push({ topic, messages: run });
        chunks.push(current);
        current = [];
        run = [];
        bytes = 0;
      }
      run.push(message);
      bytes += size;
    }
    if (run.length > 0) current.push({ topic, messages: run });
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
