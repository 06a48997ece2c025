// Is every document accounted for? DESIGN §4: each raw document ends in an augmented record or in the
// DLQ. The demo waits on this; it reads only committed records (read_committed), so a document counts
// as done only once the transaction that emitted its chain has committed — what export will see.

import type { Kafka } from 'kafkajs';
import type { AugmentedRecord, DeadLetter, RawDocument } from '../../core/types.ts';
import { type Follower, followTopics } from '../../lib/kafka/follow-topics.ts';
import { committedRanges, readPartition } from '../../lib/kafka/read-partition.ts';
import { avroCodec, registryClient } from '../../lib/registry.ts';
import type { Topics } from '../../lib/topics.ts';

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

export interface Coverage {
  documents: number;
  /** In an augmented record of the run. */
  augmented: number;
  /** Not in any augmented record, but dead-lettered. */
  deadLettered: number;
  missing: string[];
}

/** Follows the run's augmented records and the DLQ from the beginning, read_committed. */
export class OutputFollower {
  /** Augmented records of the run by record id (the first copy; export skips later ones too). */
  readonly records = new Map<string, AugmentedRecord>();
  readonly deadLetters: DeadLetter[] = [];
  private readonly inRecords = new Set<string>();
  private readonly inDlq = new Set<string>();
  private reader: Follower | undefined;

  private constructor(readonly runId: string) {}

  static async start(
    kafka: Kafka,
    registryUrl: string,
    topics: Topics,
    runId: string,
  ): Promise<OutputFollower> {
    const registry = registryClient(registryUrl);
    const augmented = await avroCodec<AugmentedRecord>(registry, topics.augmented);
    const dlq = await avroCodec<DeadLetter>(registry, topics.dlq);
    const follower = new OutputFollower(runId);
    follower.reader = await followTopics(kafka, {
      topics: [topics.augmented, topics.dlq],
      from: 'earliest',
      onMessages: async (topic, _partition, messages) => {
        for (const message of messages) {
          if (!message.value) continue;
          if (topic === topics.augmented) {
            const record = await augmented.decode(message.value);
            if (record.run.run_id !== runId || follower.records.has(record.id)) continue;
            follower.records.set(record.id, record);
            for (const id of record.doc_ids) follower.inRecords.add(id);
          } else {
            const letter = await dlq.decode(message.value);
            follower.deadLetters.push(letter);
            if (letter.doc_id !== null) follower.inDlq.add(letter.doc_id);
          }
        }
      },
    });
    return follower;
  }

  coverage(docIds: readonly string[]): Coverage {
    const failure = this.reader?.failure();
    if (failure) throw new Error(`following the outputs failed: ${failure.message}`);
    let augmented = 0;
    let deadLettered = 0;
    const missing: string[] = [];
    for (const id of docIds) {
      if (this.inRecords.has(id)) augmented++;
      else if (this.inDlq.has(id)) deadLettered++;
      else missing.push(id);
    }
    return { documents: docIds.length, augmented, deadLettered, missing };
  }

  async stop(): Promise<void> {
    await this.reader?.stop();
  }
}
