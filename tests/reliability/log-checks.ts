// The chaos run's checks on the output logs themselves, in the manner of Jepsen's Kafka workload: that
// no read_committed reader was ever handed an aborted record, that the rounds of a chain are in round
// order, and that two independent reads of each output topic (the live one taken during the faults and
// a fresh one afterwards) agree offset by offset and value by value. The accounting (accounting.ts)
// says whether every document came out once; these say whether the logs a consumer reads are sound.

import avro from 'avsc';
import type { Kafka } from 'kafkajs';
import type { AugmentedRecord, SynthRound } from '../../core/types.ts';
import { avroCodec, registryClient, schemaText } from '../../lib/registry.ts';
import { readTopic, type TopicRecord } from '../helpers/read-topic.ts';
import { type Positions, positionKey, recordDigest } from './commit-clock.ts';

export interface LogVerdict {
  /** Aborted records found per topic (in a read_uncommitted read, not in the read_committed one). */
  aborted: Record<string, number>;
  /** `topic partition:offset` of aborted records that a read_committed reader was handed. */
  abortedSeen: string[];
  /** `topic partition:offset` where the live read and the later read differ (missing from one, or another value). */
  readsDisagree: string[];
  /** Chains whose rounds are not in round order in the rounds topic, or are spread over partitions. */
  outOfOrder: string[];
  /** Rounds of the run's augmented records that are not committed in the rounds topic. */
  roundsNotCommitted: string[];
}

const synthRound = avro.Type.forSchema(JSON.parse(schemaText('SynthRound')));

/**
 * Whether a record of the rounds topic is a ROUND (not a chain's CLOSE), read straight off the wire
 * (a magic byte and a 4-byte schema id, then Avro in the schema the repository holds).
 */
export const isRoundRecord = (value: Buffer | null): boolean =>
  value !== null && (synthRound.decode(value, 5).value as SynthRound).kind === 'ROUND';

const positionsOf = (records: TopicRecord[]): Positions =>
  new Map(
    records.map((r) => [
      positionKey(r.partition, r.offset),
      recordDigest(r.key === null ? null : Buffer.from(r.key), r.value),
    ]),
  );

/** Positions in the read_uncommitted read that the read_committed read does not have: aborted records. */
export function abortedPositions(uncommitted: Positions, committed: Positions): Set<string> {
  return new Set([...uncommitted.keys()].filter((at) => !committed.has(at)));
}

/** Positions where two reads of one topic differ: present in only one, or with another key or value. */
export function disagreements(first: Positions, second: Positions): string[] {
  const out: string[] = [];
  for (const [at, digest] of first) if (second.get(at) !== digest) out.push(at);
  for (const at of second.keys()) if (!first.has(at)) out.push(at);
  return out;
}

export interface RoundAt {
  partition: number;
  chain_id: string;
  round_index: number;
  kind: SynthRound['kind'];
}

/**
 * Chains whose ROUND records, in log order, do not have strictly increasing round indexes, whose
 * CLOSE is not their last record, or whose records are in more than one partition.
 */
export function roundOrderViolations(rounds: RoundAt[]): string[] {
  const chains = new Map<string, { partition: number; last: number; closed: boolean; bad?: string }>();
  for (const r of rounds) {
    const chain = chains.get(r.chain_id);
    if (!chain) {
      chains.set(r.chain_id, {
        partition: r.partition,
        last: r.kind === 'ROUND' ? r.round_index : -1,
        closed: r.kind === 'CLOSE',
      });
      continue;
    }
    if (chain.bad) continue;
    if (r.partition !== chain.partition) chain.bad = `in partitions ${chain.partition} and ${r.partition}`;
    else if (chain.closed) chain.bad = `a ${r.kind} after its CLOSE`;
    else if (r.kind === 'CLOSE') chain.closed = true;
    else if (r.round_index <= chain.last) chain.bad = `round ${r.round_index} after round ${chain.last}`;
    else chain.last = r.round_index;
  }
  return [...chains].filter(([, c]) => c.bad).map(([id, c]) => `${id}: ${c.bad}`);
}

/** Rounds named by augmented records (chain, round, document) that the rounds topic does not hold. */
export function roundsNotCommitted(records: AugmentedRecord[], rounds: SynthRound[]): string[] {
  const committed = new Set(
    rounds.filter((r) => r.kind === 'ROUND').map((r) => `${r.chain_id}#${r.round_index}:${r.doc_id}`),
  );
  return records.flatMap((record) =>
    record.rounds
      .map((r) => `${record.chain_id}#${r.round_index}:${r.doc_id}`)
      .filter((id) => !committed.has(id)),
  );
}

export interface LiveReads {
  /** What the live read_committed reader was handed of the topic. */
  seen(topic: string): Positions;
}

/**
 * Reads each output topic twice more (read_committed and read_uncommitted) once the services have
 * stopped, and compares with what the live reader saw during the run. Waits up to `catchUpMs` for the
 * live reader to reach the end first.
 */
export async function checkLogs(
  kafka: Kafka,
  registryUrl: string,
  topics: { rounds: string; augmented: string; dlq: string },
  runId: string,
  live: LiveReads,
  catchUpMs = 60_000,
): Promise<LogVerdict> {
  const verdict: LogVerdict = {
    aborted: {},
    abortedSeen: [],
    readsDisagree: [],
    outOfOrder: [],
    roundsNotCommitted: [],
  };
  const committedRecords = new Map<string, TopicRecord[]>();
  for (const topic of [topics.rounds, topics.augmented, topics.dlq]) {
    const committed = await readTopic(kafka, topic, { timeoutMs: 180_000 });
    const uncommitted = await readTopic(kafka, topic, { timeoutMs: 180_000, readUncommitted: true });
    committedRecords.set(topic, committed);
    const final = positionsOf(committed);
    const aborted = abortedPositions(positionsOf(uncommitted), final);
    verdict.aborted[topic] = aborted.size;
    const deadline = Date.now() + catchUpMs;
    while (live.seen(topic).size < final.size && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 500));
    const seen = live.seen(topic);
    verdict.abortedSeen.push(
      ...[...seen.keys()].filter((at) => aborted.has(at)).map((at) => `${topic} ${at}`),
    );
    verdict.readsDisagree.push(...disagreements(seen, final).map((at) => `${topic} ${at}`));
  }

  const registry = registryClient(registryUrl);
  const roundCodec = await avroCodec<SynthRound>(registry, topics.rounds);
  const roundRecords = committedRecords.get(topics.rounds) ?? [];
  const rounds: SynthRound[] = [];
  const order: RoundAt[] = [];
  for (const r of roundRecords) {
    const round = await roundCodec.decode(r.value as Buffer);
    if (round.run.run_id !== runId) continue;
    rounds.push(round);
    order.push({
      partition: r.partition,
      chain_id: round.chain_id,
      round_index: round.round_index,
      kind: round.kind,
    });
  }
  verdict.outOfOrder = roundOrderViolations(order);
  const recordCodec = await avroCodec<AugmentedRecord>(registry, topics.augmented);
  const records: AugmentedRecord[] = [];
  for (const r of committedRecords.get(topics.augmented) ?? []) {
    const record = await recordCodec.decode(r.value as Buffer);
    if (record.run.run_id === runId) records.push(record);
  }
  verdict.roundsNotCommitted = roundsNotCommitted(records, rounds);
  return verdict;
}
