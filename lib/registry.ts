import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Compatibility, SchemaRegistryClient } from '@confluentinc/schemaregistry';
import avro from 'avsc';
import { REPO_ROOT } from '../stack/config.ts';
import { TOPICS, type TopicRole, type Topics } from './topics.ts';

/** The Avro record each topic role carries; schemas/<Name>.avsc is its source of truth. */
export const SCHEMA_OF_ROLE: Record<TopicRole, string> = {
  candidates: 'DedupMessage',
  raw: 'RawDocument',
  rounds: 'SynthRound',
  augmented: 'AugmentedRecord',
  dlq: 'DeadLetter',
  synthState: 'SynthState',
  assembleState: 'AssembleState',
  dedupState: 'DedupState',
  crawlInputs: 'CrawlInput',
  crawlProgress: 'CrawlProgress',
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

const REGISTRY_TIMEOUT_MS = 15_000;

export function registryClient(url: string): SchemaRegistryClient {
  // axios waits forever by default; a request the registry never answers (seen once in CI, just after
  // a 404) must time out so the client's retries can take over.
  return new SchemaRegistryClient({ baseURLs: [url], createAxiosDefaults: { timeout: REGISTRY_TIMEOUT_MS } });
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
    try {
      await client.updateConfig(subjectOf(topic), { compatibility: 'BACKWARD' as Compatibility });
      ids[topic] = await client.register(subjectOf(topic), { schemaType: 'AVRO', schema: schemaText(name) });
    } catch (error) {
      const where = client.config().baseURLs.join(', ');
      throw new Error(
        `cannot register the schema of ${topic} in the registry at ${where}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
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
  // The same bytes as @confluentinc/schemaregistry's AvroSerializer/AvroDeserializer (wire format,
  // latest schema on write, writer schema resolved on read), but through avroCodec: the Confluent
  // serde re-stringifies the whole schema deterministically on every call to find its cached type
  // (with rule execution on top), a visible share of assemble's CPU per record in the pipeline
  // bench's profile. The codec is fetched on first use; a failed fetch is retried by the next call.
  let codec: Promise<AvroCodec<T>> | undefined;
  const get = () => {
    codec ??= avroCodec<T>(client, topic).catch((error: unknown) => {
      codec = undefined;
      throw error;
    });
    return codec;
  };
  return {
    serialize: async (value) => (await get()).encode(value),
    deserialize: async (bytes) => (await get()).decode(bytes),
  };
}

/**
 * A synchronous Confluent wire-format encoder (magic byte 0, 4-byte schema id, Avro binary) for the
 * subject's latest registered schema, and a decoder that resolves any registered writer schema to it.
 * Synchronous encoding lets a service queue a unit of work's records in one tick, so a transaction
 * can never split them; avsc validates every value as it encodes it.
 */
export interface AvroCodec<T> {
  readonly schemaId: number;
  encode(value: T): Buffer;
  decode(bytes: Buffer): Promise<T>;
}

export async function avroCodec<T>(client: SchemaRegistryClient, topic: string): Promise<AvroCodec<T>> {
  const subject = subjectOf(topic);
  const latest = await client.getLatestSchemaMetadata(subject);
  if (latest.id === undefined || !latest.schema) throw new Error(`registry has no schema for ${subject}`);
  const schemaId = latest.id;
  const reader = avro.Type.forSchema(JSON.parse(latest.schema));
  const readers = new Map<number, (buf: Buffer) => T>([[schemaId, (buf) => reader.fromBuffer(buf) as T]]);
  const readerFor = async (id: number): Promise<(buf: Buffer) => T> => {
    const known = readers.get(id);
    if (known) return known;
    const info = await client.getBySubjectAndId(subject, id);
    const writer = avro.Type.forSchema(JSON.parse(info.schema));
    const resolver = reader.createResolver(writer);
    const read = (buf: Buffer) => reader.fromBuffer(buf, resolver) as T;
    readers.set(id, read);
    return read;
  };
  return {
    schemaId,
    encode(value) {
      const body = reader.toBuffer(value);
      const out = Buffer.allocUnsafe(5 + body.length);
      out[0] = 0;
      out.writeUInt32BE(schemaId, 1);
      body.copy(out, 5);
      return out;
    },
    async decode(bytes) {
      if (bytes.length < 5 || bytes[0] !== 0) {
        throw new Error('not Confluent wire-format Avro (missing magic byte 0 and schema id)');
      }
      const read = await readerFor(bytes.readUInt32BE(1));
      return read(bytes.subarray(5));
    },
  };
}
