import type { Kafka } from 'kafkajs';
import type { Logger } from '../log.ts';
import type { StreamMetrics } from './metrics.ts';

/** The group's committed offset for one partition; the log start when nothing is committed yet. */
export async function committedOffset(
  kafka: Kafka,
  groupId: string,
  topic: string,
  partition: number,
): Promise<bigint> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const entry = committed?.partitions.find((p) => p.partition === partition);
    if (entry && BigInt(entry.offset) >= 0n) return BigInt(entry.offset);
    const offsets = await admin.fetchTopicOffsets(topic);
    return BigInt(offsets.find((o) => o.partition === partition)?.low ?? '0');
  } finally {
    await admin.disconnect();
  }
}

/** Sets the lag gauge: per input partition, records between the group's position and the end. */
export async function reportLag(
  kafka: Kafka,
  groupId: string,
  topic: string,
  metrics: StreamMetrics,
  log: Logger,
): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const [ends, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    for (const end of ends) {
      const at = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      const from = BigInt(at) >= 0n ? BigInt(at) : BigInt(end.low);
      metrics.lag.set({ partition: String(end.partition) }, Number(BigInt(end.high) - from));
    }
  } catch (error) {
    log.debug({ err: error }, 'lag not measured');
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
