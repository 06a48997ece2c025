import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { registerSchemas, registryClient } from '../../lib/registry.ts';
import { createTopics, type Topics, topicsFor } from '../../lib/topics.ts';

/**
 * A fresh, namespaced copy of every pipeline topic (created, schemas registered) on the local stack,
 * so a test file sees only its own records.
 */
export async function freshTopics(prefix: string, partitions = 2): Promise<Topics> {
  const endpoints = loadEndpoints();
  const topics = topicsFor(`${prefix}-${randomUUID().slice(0, 8)}`);
  const admin = new Kafka({
    clientId: 'test-topics',
    brokers: endpoints.kafka.brokers,
    logLevel: logLevel.ERROR,
  }).admin();
  await admin.connect();
  try {
    await createTopics(admin, partitions, topics);
  } finally {
    await admin.disconnect();
  }
  await registerSchemas(registryClient(endpoints.registry.url), topics);
  return topics;
}
