// What a replay or re-assembly has produced so far: its run's committed AugmentedRecords and dead
// letters, followed live (read_committed) from the topics' ends measured before the run started —
// nothing of a new run can be older than that, so the topics' history is never read.

import type { Kafka, KafkaMessage } from 'kafkajs';
import type { AugmentedRecord, DeadLetter } from '../../core/types.ts';
import { type Follower, followTopics } from '../../lib/kafka/follow-topics.ts';
import type { Logger } from '../../lib/log.ts';
import { avroCodec, registryClient } from '../../lib/registry.ts';
import type { Topics } from '../../lib/topics.ts';

/** The key a raw record is accounted under: its doc id, or its position when it could not be decoded. */
export const rawKey = (docId: string | null, partition: number, offset: number | string): string =>
  docId ? `doc:${docId}` : `raw:${partition}:${offset}`;

export class RunOutputs {
  /** The run's augmented records by record id (first copy). */
  readonly records = new Map<string, AugmentedRecord>();
  readonly deadLetters: DeadLetter[] = [];
  /** rawKey of every raw record in an augmented record or a dead letter of the run. */
  readonly accounted = new Set<string>();
  /** Chain ids of the run's records and chain-level dead letters. */
  readonly chains = new Set<string>();
  private failure: Error | undefined;

  private constructor(
    readonly runId: string,
    private readonly rawTopic: string,
  ) {}

  private follower: Follower | undefined;

  /** Starts following at the topics' current ends (call before the run produces anything). */
  static async start(
    kafka: Kafka,
    registryUrl: string,
    topics: Topics,
    runId: string,
    log?: Logger,
  ): Promise<RunOutputs> {
    const registry = registryClient(registryUrl);
    const augmented = await avroCodec<AugmentedRecord>(registry, topics.augmented);
    const dlq = await avroCodec<DeadLetter>(registry, topics.dlq);
    const outputs = new RunOutputs(runId, topics.raw);
    outputs.follower = await followTopics(kafka, {
      topics: [topics.augmented, topics.dlq],
      from: 'latest',
      ...(log ? { log } : {}),
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

  private addRecord(record: AugmentedRecord): void {
    if (record.run.run_id !== this.runId || this.records.has(record.id)) return;
    this.records.set(record.id, record);
    this.chains.add(record.chain_id);
    for (const id of record.doc_ids) this.accounted.add(rawKey(id, 0, 0));
  }

  private addDeadLetter(letter: DeadLetter): void {
    if (letter.run_id !== this.runId) return;
    this.deadLetters.push(letter);
    if (letter.stage === 'ASSEMBLE' && letter.chain_id) this.chains.add(letter.chain_id);
    // A chain the assembler could not render names its documents in the context.
    const docs = letter.context.doc_ids?.split(',').filter(Boolean) ?? [];
    for (const id of docs) this.accounted.add(rawKey(id, 0, 0));
    if (letter.doc_id) this.accounted.add(rawKey(letter.doc_id, 0, 0));
    else if (letter.source_topic === this.rawTopic) {
      this.accounted.add(rawKey(null, letter.source_partition, letter.source_offset));
    }
  }

  /** Throws if following failed (a record that does not decode with the registry's schema). */
  check(): void {
    if (this.failure) throw new Error(`following the run's outputs failed: ${this.failure.message}`);
  }

  async stop(): Promise<void> {
    await this.follower?.stop();
  }
}
