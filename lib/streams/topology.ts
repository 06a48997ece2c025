// What a consume–process–produce service declares to the stream runtime: which topic it reads,
// which it writes, where its state lives, and the processor that runs once per input partition.
// The runtime does the rest: decoding, dead-lettering records it cannot decode, restoring and
// encoding state, and committing outputs, state and input position in one transaction.

import type {
  AssembleState,
  AugmentedRecord,
  CrawlInput,
  CrawlProgress,
  DeadLetter,
  DeadLetterStage,
  DedupMessage,
  DedupState,
  RawDocument,
  SynthRound,
  SynthState,
} from '../../core/types.ts';
import type { DeadLetterInput } from '../dlq.ts';
import type { Logger } from '../log.ts';
import type { TopicRole } from '../topics.ts';

/** The record type each topic role carries (its Avro schema in schemas/). */
export interface RecordOfRole {
  raw: RawDocument;
  rounds: SynthRound;
  augmented: AugmentedRecord;
  dlq: DeadLetter;
  synthState: SynthState;
  assembleState: AssembleState;
  candidates: DedupMessage;
  dedupState: DedupState;
  crawlInputs: CrawlInput;
  crawlProgress: CrawlProgress;
}

export interface Topology<I extends TopicRole, O extends TopicRole, S extends TopicRole> {
  /** Names the app: metric prefix (`ipt_<name>_…`) and logs. */
  name: string;
  /** The consumer group; transactional ids derive from it and the input topic. */
  groupId: string;
  input: I;
  outputs: readonly O[];
  state: {
    /** The compacted changelog topic, same partition numbers as the input. */
    role: S;
    /**
     * The part of the changelog partition this app owns: several apps (runs, re-assemblies) share
     * one changelog topic, each under its own key prefix. Store key `k` is `<scope>/<k>`; the
     * empty store key is `<scope>` itself.
     */
    scope(partition: number): string;
    /** Names the chain an unreadable state record belonged to, for its dead letter. */
    chainOf?(storeKey: string, partition: number): string | undefined;
  };
  /** Stamped on every dead letter the app writes. */
  stage: DeadLetterStage;
  /** Run id on dead letters the runtime writes itself (undecodable input, unreadable state). */
  runId?: string;
}

/** One input record, decoded. */
export interface InputRecord<V> {
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: V;
  /** The record's bytes as read (kept on dead letters). */
  bytes: Buffer;
}

/**
 * A processor's state as the changelog holds it. The processor keeps its working state in its own
 * structures; the store hands it the restored values once and records every change.
 */
export interface StateStore<V> {
  /** The partition's state at assignment (this app's scope only); empty after init. */
  readonly restored: ReadonlyMap<string, V>;
  put(key: string, value: V): void;
  delete(key: string): void;
  /**
   * Writes the value at once, outside the partition's transaction, so a task restored after a
   * crash finds it even when the transaction never committed. For caches only: best effort, and a
   * kept value may be restored stale or outlive a delete appended before it, so the processor
   * checks it before use and deletes it (in a transaction) once done with it.
   */
  keep(key: string, value: V): void;
}

/** A dead letter as a processor describes it; stage, input topic and partition are filled in. */
export type Letter = Omit<DeadLetterInput, 'stage' | 'sourceTopic'> & { sourceTopic?: string };

export interface ProcessorContext<O extends TopicRole, S extends TopicRole> {
  readonly partition: number;
  /** The committed input position at assignment (next offset to process). */
  readonly position: bigint;
  readonly log: Logger;
  readonly store: StateStore<RecordOfRole[S]>;
  /** Queues a record on an output topic; it commits with the partition's next transaction. */
  forward<R extends O>(output: R, key: string | Buffer | null, value: RecordOfRole[R]): void;
  /** Queues a record already in the output's wire format (passed through, e.g. from an upstream stage). */
  forwardEncoded(output: O, key: string | Buffer | null, value: Buffer): void;
  /** Queues a dead letter; the message key defaults to the letter's chain id, then its key. */
  deadLetter(letter: Letter, key?: string | Buffer | null): void;
  /** Asks for a transaction soon rather than at the next commit tick. */
  commitSoon(): void;
}

/**
 * The logic of one input partition. Nothing it queues from inside `process`/`afterBatch` is
 * committed before the batch's input position; work finished later (asynchronously) must queue
 * each unit's outputs and state writes synchronously together, so a transaction never splits them.
 */
export interface Processor<I extends TopicRole, O extends TopicRole, S extends TopicRole> {
  /** Called once, after the partition is fenced and its state restored (`context.store.restored`). */
  init(context: ProcessorContext<O, S>): void | Promise<void>;
  /**
   * Called for every new input record, in order, before it is decoded: false leaves it out (not
   * decoded, not dead-lettered, not processed) — a record already placed, or past a bounded input.
   */
  admit?(offset: bigint): boolean;
  process(record: InputRecord<RecordOfRole[I]>): void | Promise<void>;
  /** After the records of one fetched batch: queue what they caused together. */
  afterBatch?(): void;
  /** Called on every commit tick, before the transaction is cut (idle timeouts and the like). */
  punctuate?(now: number): void;
  /** Should the runtime stop fetching this partition for now (too much buffered)? */
  saturated?(): boolean;
  /** The partition is gone: drop in-flight work; whatever is queued after this is discarded. */
  close(): void;
}

export type ProcessorFactory<I extends TopicRole, O extends TopicRole, S extends TopicRole> = (
  partition: number,
) => Processor<I, O, S>;
