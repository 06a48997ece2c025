// Publishing crawl inputs: descriptors onto the inputs topic, keyed by input id (so one input always
// lands on one partition, behind any earlier copy of itself), and the ids already there.

import type { Kafka } from 'kafkajs';
import type { CrawlInput } from '../../core/types.ts';
import { registerSchemas, registryClient, type TopicSerde, topicSerde } from '../../lib/registry.ts';
import { requireTopics, type Topics } from '../../lib/topics.ts';
import { connectProducer } from '../ingest/ingestor.ts';
import { readTopicValues } from './read-topic.ts';

export interface InputPublisher {
  /** Resolves once Kafka has every descriptor (acks=all). */
  publish(inputs: readonly CrawlInput[]): Promise<void>;
  close(): Promise<void>;
}

export async function connectPublisher(
  kafka: Kafka,
  registryUrl: string,
  topics: Topics,
): Promise<InputPublisher> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await requireTopics(admin, [topics.crawlInputs, topics.crawlProgress]);
  } finally {
    await admin.disconnect();
  }
  const registry = registryClient(registryUrl);
  await registerSchemas(registry, topics);
  const serde = topicSerde<CrawlInput>(registry, topics.crawlInputs);
  const producer = await connectProducer(kafka);
  return {
    async publish(inputs) {
      if (inputs.length === 0) return;
      const messages = await Promise.all(
        inputs.map(async (input) => ({ key: input.input_id, value: await serde.serialize(input) })),
      );
      await producer.send({ topic: topics.crawlInputs, acks: -1, messages });
    },
    close: () => producer.disconnect(),
  };
}

/** Every descriptor committed on the inputs topic now. */
export function publishedInputs(
  kafka: Kafka,
  topic: string,
  serde: TopicSerde<CrawlInput>,
): Promise<CrawlInput[]> {
  return readTopicValues(kafka, topic, serde);
}
