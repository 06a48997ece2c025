// Which partition of the candidates topic a key goes to: Kafka's default partitioner (murmur2 of
// the key), the one ingest's producer and the stage's transactional producers use. The stage needs
// it to send one CLAIM per partition that owns some of a document's band keys, not one per band.

import { type PartitionerArgs, Partitioners } from 'kafkajs';

export function keyPartitioner(partitions: number): (key: string) => number {
  if (!Number.isSafeInteger(partitions) || partitions < 1) throw new RangeError('partitions must be ≥ 1');
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    offlineReplicas: [],
  }));
  return (key) =>
    partitioner({ topic: '', partitionMetadata, message: { key, value: null } } as PartitionerArgs);
}
