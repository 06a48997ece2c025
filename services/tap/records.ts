// A tapped record, decoded once: its role, the facets filters and sampling look at, and the JSON
// every interested client is sent — built on first need and shared, so fanning a record out to many
// clients costs one decode and one Buffer.

import type { KafkaMessage } from 'kafkajs';
import type { Positions } from '../../lib/kafka/follow-topics.ts';
import { type AvroCodec, avroCodec, registryClient } from '../../lib/registry.ts';
import type { Topics } from '../../lib/topics.ts';
import type { TapMetrics } from './metrics.ts';
import {
  type Facets,
  facetsOf,
  matches,
  type Subscription,
  sampled,
  TAP_ROLES,
  type TapRole,
  type TapValue,
  toJson,
} from './protocol.ts';

export interface TapRecord {
  role: TapRole;
  facets: Facets;
  /** What sampling hashes when the record concerns no document or chain: its position. */
  fallbackKey: string;
  payload(): Buffer;
}

export interface RecordDecoder {
  /** The role of a tapped topic; undefined for any other topic. */
  roleOf(topic: string): TapRole | undefined;
  decode(role: TapRole, topic: string, partition: number, message: KafkaMessage): Promise<TapRecord>;
  /** Reader positions keyed by role instead of topic name, as clients name topics. */
  rolePositions(positions: Positions): Record<string, Record<number, string>>;
}

/** Whether a subscription gets a record: its topic, its sample, its filters. */
export const wants = (s: Subscription, r: TapRecord): boolean =>
  s.topics.includes(r.role) &&
  sampled(s.sample, r.facets, r.fallbackKey) &&
  matches(s.filters, r.facets, r.role);

/** Fails when a tapped topic has no schema in the registry: the tap would decode nothing. */
export async function recordDecoder(
  registryUrl: string,
  topics: Topics,
  urlMemory: number,
  metrics: TapMetrics,
): Promise<RecordDecoder> {
  const codecs = await loadCodecs(registryUrl, topics);
  const urls = new UrlMemory(urlMemory);
  const roleOfTopic = new Map<string, TapRole>(TAP_ROLES.map((role) => [topics[role], role]));

  async function decode(role: TapRole, topic: string, partition: number, message: KafkaMessage) {
    let value: TapValue | undefined;
    let error: string | undefined;
    try {
      if (!message.value) throw new Error('record has no value');
      value = await codecs[role].decode(message.value);
    } catch (e) {
      error = (e as Error).message;
      metrics.decodeErrors.inc({ topic: role });
    }
    if (value !== undefined && role === 'raw') {
      const doc = value as { doc_id: string; url: string | null };
      urls.remember(doc.doc_id, doc.url);
    }
    const facets: Facets = value
      ? facetsOf(role, value, (docId) => urls.get(docId))
      : { docIds: [], chainIds: [], urls: [], runs: [] };
    return tapRecord(role, topic, partition, message, facets, value, error);
  }

  const rolePositions = (positions: Positions) => {
    const out: Record<string, Record<number, string>> = {};
    for (const [topic, byPartition] of Object.entries(positions)) {
      const role = roleOfTopic.get(topic);
      if (role) out[role] = byPartition;
    }
    return out;
  };

  return { roleOf: (topic) => roleOfTopic.get(topic), decode, rolePositions };
}

async function loadCodecs(
  registryUrl: string,
  topics: Topics,
): Promise<Record<TapRole, AvroCodec<TapValue>>> {
  const registry = registryClient(registryUrl);
  const codecs: Partial<Record<TapRole, AvroCodec<TapValue>>> = {};
  for (const role of TAP_ROLES) {
    try {
      codecs[role] = await avroCodec<TapValue>(registry, topics[role]);
    } catch (error) {
      throw new Error(
        `no schema for ${topics[role]} in the registry (${(error as Error).message}); register them with \`npx ipt schemas register\``,
      );
    }
  }
  return codecs as Record<TapRole, AvroCodec<TapValue>>;
}

function tapRecord(
  role: TapRole,
  topic: string,
  partition: number,
  message: KafkaMessage,
  facets: Facets,
  value: TapValue | undefined,
  error: string | undefined,
): TapRecord {
  let payload: Buffer | undefined;
  const build = () => {
    // The key comes before the value: a client can read it from the first bytes of a large record.
    const key = message.key ? JSON.stringify(message.key.toString('utf8')) : 'null';
    const head = `{"type":"record","role":"${role}","topic":${JSON.stringify(topic)},"partition":${partition},"offset":"${message.offset}","timestamp":"${message.timestamp}","key":${key},"facets":${JSON.stringify(facets)}`;
    return Buffer.from(
      value !== undefined
        ? `${head},"value":${toJson(value)}}`
        : `${head},"value":null,"error":${JSON.stringify(error)}}`,
    );
  };
  return {
    role,
    facets,
    fallbackKey: `${topic}/${partition}/${message.offset}`,
    payload: () => {
      payload ??= build();
      return payload;
    },
  };
}

/**
 * Only raw documents carry a URL; the tap remembers recent ones (an insertion-ordered Map used as a
 * FIFO) so URL and domain filters also reach the document's rounds and augmented records.
 */
class UrlMemory {
  private readonly urls = new Map<string, string>();
  constructor(private readonly limit: number) {}

  remember(docId: string, url: string | null): void {
    if (!url) return;
    this.urls.delete(docId);
    this.urls.set(docId, url);
    if (this.urls.size > this.limit) this.urls.delete(this.urls.keys().next().value as string);
  }

  get(docId: string): string | undefined {
    return this.urls.get(docId);
  }
}
