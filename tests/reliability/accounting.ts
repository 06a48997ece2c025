// The end-of-run check of the chaos run (ARCHITECTURE.md §4 "every input accounted for", "exactly once"): a
// read_committed scan of the raw, augmented and DLQ topics, and where every raw document ended up.

import type { Kafka } from 'kafkajs';
import type { AugmentedRecord, DeadLetter, RawDocument } from '../../core/types.ts';
import { avroCodec, registryClient } from '../../lib/registry.ts';
import type { Topics } from '../../lib/topics.ts';
import { readCommitted } from '../helpers/read-topic.ts';

export interface ChaosAccounting {
  documents: number;
  /** Documents in exactly one augmented record of the run and not in the DLQ. */
  augmented: number;
  /** Documents in the DLQ (once) and in no augmented record. */
  deadLettered: number;
  /** Documents in more than one place: two augmented records, a record and the DLQ, or the DLQ twice. */
  duplicates: string[];
  /** Documents in no augmented record and not in the DLQ. */
  lost: string[];
  /** Augmented records committed more than once (same record id). */
  duplicateRecords: number;
  records: number;
  dlqRecords: number;
  /** Every DLQ record by `stage/reason` (reason: context.reason, else the error's name). */
  dlqByReason: Record<string, number>;
}

export const dlqReason = (d: DeadLetter): string => `${d.stage}/${d.context.reason ?? d.error_name}`;

export async function scanAccounting(
  kafka: Kafka,
  registryUrl: string,
  topics: Topics,
  runId: string,
): Promise<ChaosAccounting> {
  const registry = registryClient(registryUrl);
  const decode = async <T>(topic: string): Promise<T[]> => {
    const codec = await avroCodec<T>(registry, topic);
    const out: T[] = [];
    for (const r of await readCommitted(kafka, topic, 180_000))
      if (r.value) out.push(await codec.decode(r.value));
    return out;
  };
  const raw = await decode<RawDocument>(topics.raw);
  const records = (await decode<AugmentedRecord>(topics.augmented)).filter((r) => r.run.run_id === runId);
  const dead = await decode<DeadLetter>(topics.dlq);

  const places = new Map<string, number>();
  const inRecords = new Set<string>();
  for (const record of records) {
    for (const id of record.doc_ids) {
      places.set(id, (places.get(id) ?? 0) + 1);
      inRecords.add(id);
    }
  }
  const dlqByReason: Record<string, number> = {};
  for (const d of dead) {
    dlqByReason[dlqReason(d)] = (dlqByReason[dlqReason(d)] ?? 0) + 1;
    if (d.doc_id !== null) places.set(d.doc_id, (places.get(d.doc_id) ?? 0) + 1);
  }
  const result: ChaosAccounting = {
    documents: raw.length,
    augmented: 0,
    deadLettered: 0,
    duplicates: [],
    lost: [],
    duplicateRecords: records.length - new Set(records.map((r) => r.id)).size,
    records: records.length,
    dlqRecords: dead.length,
    dlqByReason,
  };
  for (const { doc_id: id } of raw) {
    const n = places.get(id) ?? 0;
    if (n === 0) result.lost.push(id);
    else if (n > 1) result.duplicates.push(id);
    else if (inRecords.has(id)) result.augmented++;
    else result.deadLettered++;
  }
  return result;
}
