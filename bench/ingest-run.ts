// One timed ingest of a file into fresh, namespaced topics of the shared stack, deleted afterwards:
// what the ingest benches measure, each with its own options.

import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Endpoints } from '../lib/endpoints.ts';
import type { Logger } from '../lib/log.ts';
import { registerSchemas, registryClient } from '../lib/registry.ts';
import { createTopics, topicsFor } from '../lib/topics.ts';
import { createIngestor, type IngestorOptions, type IngestStats } from '../services/ingest/ingestor.ts';

export async function timedIngest(
  setup: { kafka: Kafka; endpoints: Endpoints; log: Logger; prefix: string },
  file: string,
  options: Partial<IngestorOptions>,
): Promise<{ secs: number; cpuSecs: number; stats: IngestStats }> {
  const { kafka, endpoints, log } = setup;
  const topics = topicsFor(`${setup.prefix}-${randomUUID().slice(0, 8)}`);
  const admin = kafka.admin();
  await admin.connect();
  await createTopics(admin, 4, topics);
  await registerSchemas(registryClient(endpoints.registry.url), topics);
  try {
    const ingestor = await createIngestor({
      brokers: endpoints.kafka.brokers,
      registryUrl: endpoints.registry.url,
      topics,
      log,
      ...options,
    });
    const started = performance.now();
    const cpu = process.cpuUsage();
    await ingestor.ingestPaths([file]);
    await ingestor.close(); // the final flush: every record acknowledged
    const used = process.cpuUsage(cpu);
    return {
      secs: (performance.now() - started) / 1000,
      // This process's CPU over the timed part, every thread of it.
      cpuSecs: (used.user + used.system) / 1e6,
      stats: ingestor.stats,
    };
  } finally {
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => {});
    await admin.disconnect();
  }
}
