import type { Kafka } from 'kafkajs';
import { committedRanges, readPartition } from '../../lib/kafka/read-partition.ts';
import { avroCodec, registryClient } from '../../lib/registry.ts';

export interface TopicRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
}

/**
 * Every committed record of a topic from the beginning to its end offsets now (read_committed), in
 * partition/offset order. The end is the LSO, so open transactions neither stall nor leak in. Each
 * partition is read with lib's readPartition, whose watchdog replaces a kafkajs consumer that goes
 * silent after joining its group (a hand-rolled consumer here once wedged a CI run: its timeout fired
 * and then its disconnect never returned).
 */
export async function readCommitted(kafka: Kafka, topic: string, timeoutMs = 60_000): Promise<TopicRecord[]> {
  return readTopic(kafka, topic, { timeoutMs });
}

/**
 * Every record of a topic up to its LSO now, in partition/offset order: committed ones only, or with
 * `readUncommitted` aborted ones too (control records are never handed out).
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  { timeoutMs = 60_000, readUncommitted = false }: { timeoutMs?: number; readUncommitted?: boolean },
): Promise<TopicRecord[]> {
  const ranges = await committedRanges(kafka, topic);
  const perPartition = await Promise.all(
    [...ranges.keys()].map(async (partition) => {
      const records: TopicRecord[] = [];
      await readPartition(kafka, topic, partition, {
        timeoutMs,
        readUncommitted,
        onMessages: (messages) => {
          for (const m of messages) {
            records.push({ partition, offset: m.offset, key: m.key?.toString() ?? null, value: m.value });
          }
        },
      });
      return records;
    }),
  );
  return perPartition
    .flat()
    .sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

/** Every committed record of a topic, decoded with the registry's Avro schema for it. */
export async function readDecoded<T>(kafka: Kafka, registryUrl: string, topic: string): Promise<T[]> {
  const codec = await avroCodec<T>(registryClient(registryUrl), topic);
  return Promise.all((await readCommitted(kafka, topic)).map((r) => codec.decode(r.value as Buffer)));
}
