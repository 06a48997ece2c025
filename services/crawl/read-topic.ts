import type { Kafka } from 'kafkajs';
import { committedRanges, readPartition } from '../../lib/kafka/read-partition.ts';
import type { TopicSerde } from '../../lib/registry.ts';

/** Every committed value on `topic` now, decoded; partitions read at once, each in offset order. */
export async function readTopicValues<T>(kafka: Kafka, topic: string, serde: TopicSerde<T>): Promise<T[]> {
  const partitions = [...(await committedRanges(kafka, topic)).keys()];
  const perPartition = await Promise.all(
    partitions.map(async (partition) => {
      const values: T[] = [];
      await readPartition(kafka, topic, partition, {
        onMessages: async (messages) => {
          for (const m of messages) if (m.value) values.push(await serde.deserialize(m.value));
        },
      });
      return values;
    }),
  );
  return perPartition.flat();
}
