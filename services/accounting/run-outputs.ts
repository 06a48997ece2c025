// Is every document accounted for? Each raw document ends in an augmented record of its run or in
// the DLQ (ARCHITECTURE.md §4). One answer for the demo, replay, re-assembly and the chaos run:
// the run's committed AugmentedRecords and dead letters, followed live (read_committed).

import type { Kafka, KafkaMessage } from 'kafkajs';
import type { AugmentedRecord, DeadLetter, RawDocument } from '../../core/types.ts';
import { type Follower, followTopics } from '../../lib/kafka/follow-topics.ts';
import { committedRanges, readPartition } from '../../lib/kafka/read-partition.ts';
import type { Logger } from '../../lib/log.ts';
import { avroCodec, registryClient } from '../../lib/registry.ts';
import type { Topics } from '../../lib/topics.ts';

/** The key a raw record is accounted under: its doc id, or its position when it could not be decoded. */
export const rawKey = (docId: string | null, partition: number, offset: number | string): string =>
  docId ? `doc:${docId}` : `raw:${partition}:${offset}`;

export const docKey = (docId: string): string => rawKey(docId, 0, 0);

export interface Coverage {
  documents: number;
  /** In an augmented record of the run. */
  augmented: number;
  /** In no augmented record of the run, but in one of its dead letters. */
  deadLettered: number;
  /** Keys in neither. */
  missing: string[];
}

/**
 * The bookkeeping, pure: what one run's records and dead letters account for. Records of other runs
 * and second copies of a record are ignored; a chain the assembler could not render names its
 * documents in the dead letter's context, and a raw record that could not be decoded is known by
 * its position.
 */
export class RunTally {
  /** The run's augmented records by record id (first copy). */
  readonly records = new Map<string, AugmentedRecord>();
  readonly deadLetters: DeadLetter[] = [];
  /** Chain ids of the run's records and chain-level dead letters. */
  readonly chains = new Set<string>();
  private readonly inRecords = new Set<string>();
  private readonly inDeadLetters = new Set<string>();

  constructor(
    readonly runId: string,
    private readonly rawTopic: string,
  ) {}

  addRecord(record: AugmentedRecord): void {
    if (record.run.run_id !== this.runId || this.records.has(record.id)) return;
    this.records.set(record.id, record);
    this.chains.add(record.chain_id);
    for (const id of record.doc_ids) this.inRecords.add(docKey(id));
  }

  addDeadLetter(letter: DeadLetter): void {
    if (letter.run_id !== this.runId) return;
    this.deadLetters.push(letter);
    if (letter.stage === 'ASSEMBLE' && letter.chain_id) this.chains.add(letter.chain_id);
    for (const id of letter.context.doc_ids?.split(',').filter(Boolean) ?? [])
      this.inDeadLetters.add(docKey(id));
    if (letter.doc_id) this.inDeadLetters.add(docKey(letter.doc_id));
    else if (letter.source_topic === this.rawTopic) {
      this.inDeadLetters.add(rawKey(null, letter.source_partition, letter.source_offset));
    }
  }

  accounted(key: string): boolean {
    return this.inRecords.has(key) || this.inDeadLetters.has(key);
  }

  /** Where the documents of `keys` (rawKey / docKey) ended up. */
  coverage(keys: Iterable<string>): Coverage {
    const c: Coverage = { documents: 0, augmented: 0, deadLettered: 0, missing: [] };
    for (const key of keys) {
      c.documents++;
      if (this.inRecords.has(key)) c.augmented++;
      else if (this.inDeadLetters.has(key)) c.deadLettered++;
      else c.missing.push(key);
    }
    return c;
  }
}

/** A RunTally fed by a live read_committed follower of the augmented and DLQ topics. */
export class RunOutputs extends RunTally {
  private follower: Follower | undefined;
  private failure: Error | undefined;

  /**
   * Starts following: from the topics' current ends (`latest`: a new run, nothing of which can be
   * older — replay and re-assembly) or from the beginning (`earliest`: a run that may have begun
   * before — the demo, the chaos run).
   */
  static async start(
    kafka: Kafka,
    registryUrl: string,
    topics: Topics,
    runId: string,
    opts: { from: 'earliest' | 'latest'; log?: Logger },
  ): Promise<RunOutputs> {
    const registry = registryClient(registryUrl);
    const augmented = await avroCodec<AugmentedRecord>(registry, topics.augmented);
    const dlq = await avroCodec<DeadLetter>(registry, topics.dlq);
    const outputs = new RunOutputs(runId, topics.raw);
    outputs.follower = await followTopics(kafka, {
      topics: [topics.augmented, topics.dlq],
      from: opts.from,
      ...(opts.log ? { log: opts.log } : {}),
      onMessages: async (topic: string, _partition: number, messages: KafkaMessage[]) => {
        try {
          for (const m of messages) {
            if (!m.value) continue;
            if (topic === topics.augmented) outputs.addRecord(await augmented.decode(m.value));
            else outputs.addDeadLetter(await dlq.decode(m.value));
          }
        } catch (error) {
          outputs.failure ??= error instanceof Error ? error : new Error(String(error));
        }
      },
    });
    return outputs;
  }

  /** Throws if following failed (a record that does not decode, a reader that gave up). */
  check(): void {
    const failure = this.failure ?? this.follower?.failure();
    if (failure) throw new Error(`following the run's outputs failed: ${failure.message}`);
  }

  override coverage(keys: Iterable<string>): Coverage {
    this.check();
    return super.coverage(keys);
  }

  async stop(): Promise<void> {
    await this.follower?.stop();
  }
}

export interface RawDoc {
  docId: string;
  ingestedAt: number;
}

/** Every committed raw document now on the topic (chunks count as the documents they are: `<parent>#<i>`). */
export async function readRawDocuments(kafka: Kafka, registryUrl: string, topic: string): Promise<RawDoc[]> {
  const codec = await avroCodec<RawDocument>(registryClient(registryUrl), topic);
  const out: RawDoc[] = [];
  for (const partition of [...(await committedRanges(kafka, topic)).keys()].sort((a, b) => a - b)) {
    await readPartition(kafka, topic, partition, {
      onMessages: async (messages) => {
        for (const m of messages) {
          if (!m.value) continue;
          const doc = await codec.decode(m.value);
          out.push({ docId: doc.doc_id, ingestedAt: doc.ingested_at });
        }
      },
    });
  }
  return out;
}
