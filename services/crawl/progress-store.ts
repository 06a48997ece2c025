// The inputs' progress, per input partition, as the progress topic holds it (read_committed). Only
// the owner of an input partition writes its progress partition, and it reads it only after fencing
// the previous owner, so what it restores is final: nothing can still commit behind it.

import type { Kafka } from 'kafkajs';
import type { CrawlProgress } from '../../core/types.ts';
import { readPartition } from '../../lib/kafka/read-partition.ts';
import type { TopicSerde } from '../../lib/registry.ts';

export class ProgressStore {
  private readonly partitions = new Map<number, Map<string, CrawlProgress>>();

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly serde: TopicSerde<CrawlProgress>,
  ) {}

  has(partition: number): boolean {
    return this.partitions.has(partition);
  }

  /** Reads the partition's committed progress records up to its end now (the latest per input wins). */
  async restore(partition: number): Promise<void> {
    const latest = new Map<string, CrawlProgress>();
    await readPartition(this.kafka, this.topic, partition, {
      onMessages: async (messages) => {
        for (const m of messages) {
          const key = m.key?.toString();
          if (!key) continue;
          if (m.value) latest.set(key, await this.serde.deserialize(m.value));
          else latest.delete(key);
        }
      },
    });
    this.partitions.set(partition, latest);
  }

  get(partition: number, inputId: string): CrawlProgress | undefined {
    return this.partitions.get(partition)?.get(inputId);
  }

  /** Records a progress record this worker has committed. */
  set(partition: number, progress: CrawlProgress): void {
    this.partitions.get(partition)?.set(progress.input_id, progress);
  }

  /** Forgets every partition: after a rebalance, an owned partition is restored again before use. */
  forgetAll(): void {
    this.partitions.clear();
  }
}
