import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AvroDeserializer,
  AvroSerializer,
  type Compatibility,
  SchemaRegistryClient,
  SerdeType,
} from '@confluentinc/schemaregistry';
import { REPO_ROOT } from '../stack/config.ts';
import { TOPICS, type TopicRole, type Topics } from './topics.ts';

/** The Avro record each topic role carries; schemas/<Name>.avsc is its source of truth. */
export const SCHEMA_OF_ROLE: Record<TopicRole, string> = {
  raw: 'RawDocument',
  rounds: 'SynthRound',
  augmented: 'AugmentedRecord',
  dlq: 'DeadLetter',
  synthState: 'SynthState',
  assembleState: 'AssembleState',
};

/** Topic name → Avro record name, for one set of topic names. */
export function schemaOfTopic(topics: Topics = TOPICS): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [role, topic] of Object.entries(topics) as [TopicRole, string][])
    out[topic] = SCHEMA_OF_ROLE[role];
  return out;
}

export const subjectOf = (topic: string) => `${topic}-value`;

export function schemaText(name: string): string {
  return readFileSync(join(REPO_ROOT, 'schemas', `${name}.avsc`), 'utf8');
}

export function registryClient(url: string): SchemaRegistryClient {
  return new SchemaRegistryClient({ baseURLs: [url] });
}

/**
 * Registers every topic's schema under `<topic>-value` with BACKWARD compatibility, so a new schema
 * version can always read what older producers wrote. Returns the schema id per topic.
 */
export async function registerSchemas(
  client: SchemaRegistryClient,
  topics: Topics = TOPICS,
): Promise<Record<string, number>> {
  const ids: Record<string, number> = {};
  for (const [topic, name] of Object.entries(schemaOfTopic(topics))) {
    await client.updateConfig(subjectOf(topic), { compatibility: 'BACKWARD' as Compatibility });
    ids[topic] = await client.register(subjectOf(topic), { schemaType: 'AVRO', schema: schemaText(name) });
  }
  return ids;
}

export type SchemaCheck = {
  topic: string;
  schema: string;
  status: 'same' | 'compatible' | 'incompatible' | 'missing';
};

/** Compares the repository's schemas with what the registry holds, without changing anything. */
export async function checkSchemas(
  client: SchemaRegistryClient,
  topics: Topics = TOPICS,
): Promise<SchemaCheck[]> {
  const results: SchemaCheck[] = [];
  for (const [topic, schema] of Object.entries(schemaOfTopic(topics))) {
    const subject = subjectOf(topic);
    const info = { schemaType: 'AVRO', schema: schemaText(schema) };
    const versions = await client.getAllVersions(subject).catch(() => [] as number[]);
    if (versions.length === 0) {
      results.push({ topic, schema, status: 'missing' });
      continue;
    }
    const registered = await client.getId(subject, info).then(
      () => true,
      () => false,
    );
    if (registered) results.push({ topic, schema, status: 'same' });
    else {
      const latest = Math.max(...versions);
      const ok = await client.testCompatibility(subject, latest, info);
      results.push({ topic, schema, status: ok ? 'compatible' : 'incompatible' });
    }
  }
  return results;
}

/** Confluent wire-format Avro for one topic: validates against the latest registered schema on write. */
export interface TopicSerde<T> {
  serialize(value: T): Promise<Buffer>;
  deserialize(bytes: Buffer): Promise<T>;
}

export function topicSerde<T>(client: SchemaRegistryClient, topic: string): TopicSerde<T> {
  const serializer = new AvroSerializer(client, SerdeType.VALUE, { useLatestVersion: true });
  const deserializer = new AvroDeserializer(client, SerdeType.VALUE, {});
  return {
    serialize: (value) => serializer.serialize(topic, value),
    deserialize: (bytes) => deserializer.deserialize(topic, bytes) as Promise<T>,
  };
}
