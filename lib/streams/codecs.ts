// The codecs a stream app reads and writes with, one per topic role it touches, fetched from the
// registry once at start. Encoding is synchronous, so a unit of work's records are all queued in
// one tick and a transaction can never split them.

import type { SchemaRegistryClient } from '@confluentinc/schemaregistry';
import { type AvroCodec, avroCodec } from '../registry.ts';
import type { TopicRole, Topics } from '../topics.ts';
import type { RecordOfRole } from './topology.ts';

export type Codecs = { [R in TopicRole]?: AvroCodec<RecordOfRole[R]> };

export async function fetchCodecs(
  client: SchemaRegistryClient,
  topics: Topics,
  roles: readonly TopicRole[],
): Promise<Codecs> {
  const codecs: Record<string, unknown> = {};
  for (const role of new Set(roles)) codecs[role] = await avroCodec(client, topics[role]);
  return codecs as Codecs;
}

/** The codec of a role the app declared; a missing one is a wiring bug. */
export function codecOf<R extends TopicRole>(codecs: Codecs, role: R): AvroCodec<RecordOfRole[R]> {
  const codec = codecs[role] as AvroCodec<RecordOfRole[R]> | undefined;
  if (!codec) throw new Error(`no codec for topic role ${role}: declare it in the topology`);
  return codec;
}
