// Producing and reading the assembler's topics in tests, always through the registry serdes so
// every record is validated exactly as the services validate it.

import type { Kafka, Message } from 'kafkajs';
import type { AssembleState, AugmentedRecord, DeadLetter, SynthRound } from '../../core/types.ts';
import { restorePartition } from '../../lib/kafka/changelog.ts';
import { committedRanges, readPartition } from '../../lib/kafka/read-partition.ts';
import { registryClient, topicSerde } from '../../lib/registry.ts';
import type { Topics } from '../../lib/topics.ts';

export function serdesFor(registryUrl: string, topics: Topics) {
  const client = registryClient(registryUrl);
  return {
    rounds: topicSerde<SynthRound>(client, topics.rounds),
    augmented: topicSerde<AugmentedRecord>(client, topics.augmented),
    state: topicSerde<AssembleState>(client, topics.assembleState),
    dlq: topicSerde<DeadLetter>(client, topics.dlq),
  };
}
export type Serdes = ReturnType<typeof serdesFor>;

/** Produces records keyed by chain id (so a chain's records share a partition, in order). */
export async function produce(kafka: Kafka, topic: string, messages: Message[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({ topic, messages, acks: -1 });
  } finally {
    await producer.disconnect();
  }
}

export async function produceRounds(
  kafka: Kafka,
  topics: Topics,
  serdes: Serdes,
  records: SynthRound[],
): Promise<void> {
  const messages: Message[] = [];
  for (const r of records) messages.push({ key: r.chain_id, value: await serdes.rounds.serialize(r) });
  await produce(kafka, topics.rounds, messages);
}

/** Every committed record of a topic now, decoded, in partition/offset order. */
export async function readAll<T>(
  kafka: Kafka,
  topic: string,
  decode: (bytes: Buffer) => Promise<T>,
): Promise<{ key: string | null; value: T }[]> {
  const out: { key: string | null; value: T }[] = [];
  const ranges = await committedRanges(kafka, topic);
  for (const partition of [...ranges.keys()].sort((a, b) => a - b)) {
    const raw: { key: string | null; value: Buffer | null }[] = [];
    await readPartition(kafka, topic, partition, {
      timeoutMs: 30_000,
      onMessages: (messages) => {
        for (const m of messages) raw.push({ key: m.key?.toString() ?? null, value: m.value });
      },
    });
    for (const r of raw) if (r.value) out.push({ key: r.key, value: await decode(r.value) });
  }
  return out;
}

/** Committed records on a topic now (offsets, markers included: an upper bound that only grows). */
export async function endOffsets(kafka: Kafka, topic: string): Promise<number> {
  let n = 0;
  for (const r of (await committedRanges(kafka, topic)).values()) n += Number(r.endOffset);
  return n;
}

/** The keys of an assembler's state (scope = its group id) still in the changelog. */
export async function stateKeys(kafka: Kafka, topics: Topics, scope: string): Promise<string[]> {
  const keys: string[] = [];
  for (const partition of (await committedRanges(kafka, topics.assembleState)).keys()) {
    const restored = await restorePartition(kafka, topics.assembleState, partition, { timeoutMs: 30_000 });
    keys.push(...[...restored.state.keys()].filter((k) => k.startsWith(`${scope}/`)));
  }
  return keys.sort();
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
