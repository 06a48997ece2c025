// What a whole pipeline run left on its topics, read the way a consumer downstream would
// (read_committed), and the "every document accounted for" check end-to-end tests make on it.
// Deliberately independent of services/accounting/run-outputs.ts: the tests check the services' notion too.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import type { AugmentedRecord, DeadLetter, RawDocument, SynthRound } from '../../core/types.ts';
import { avroCodec, registryClient } from '../../lib/registry.ts';
import type { Topics } from '../../lib/topics.ts';
import { REPO_ROOT } from '../../stack/config.ts';
import { readCommitted } from './read-topic.ts';

export interface PipelineOutputs {
  /** Committed raw documents, in partition/offset order. */
  raw: (RawDocument & { partition: number; offset: number })[];
  rounds: SynthRound[];
  /** Every committed copy, duplicates included (a duplicate is a bug the tests look for). */
  records: AugmentedRecord[];
  dead: DeadLetter[];
}

export async function readOutputs(
  kafka: Kafka,
  registryUrl: string,
  topics: Topics,
): Promise<PipelineOutputs> {
  const registry = registryClient(registryUrl);
  const decodeAll = async <T>(topic: string): Promise<{ value: T; partition: number; offset: number }[]> => {
    const codec = await avroCodec<T>(registry, topic);
    const out = [];
    for (const r of await readCommitted(kafka, topic)) {
      if (r.value)
        out.push({ value: await codec.decode(r.value), partition: r.partition, offset: Number(r.offset) });
    }
    return out;
  };
  return {
    raw: (await decodeAll<RawDocument>(topics.raw)).map((r) => ({
      ...r.value,
      partition: r.partition,
      offset: r.offset,
    })),
    rounds: (await decodeAll<SynthRound>(topics.rounds)).map((r) => r.value),
    records: (await decodeAll<AugmentedRecord>(topics.augmented)).map((r) => r.value),
    dead: (await decodeAll<DeadLetter>(topics.dlq)).map((r) => r.value),
  };
}

export interface Accounting {
  /** Raw doc ids in no augmented record of the run and not in the DLQ. */
  missing: string[];
  /** Raw doc ids in more than one committed augmented record (or one twice). */
  duplicated: string[];
  /** Raw doc ids both in an augmented record and in the DLQ. */
  both: string[];
  augmented: number;
  deadLettered: number;
}

export function account(outputs: PipelineOutputs, runId: string): Accounting {
  const inRecords = new Map<string, number>();
  for (const record of outputs.records) {
    if (record.run.run_id !== runId) continue;
    for (const id of record.doc_ids) inRecords.set(id, (inRecords.get(id) ?? 0) + 1);
  }
  const inDlq = new Set(outputs.dead.map((d) => d.doc_id).filter((id): id is string => id !== null));
  const result: Accounting = { missing: [], duplicated: [], both: [], augmented: 0, deadLettered: 0 };
  for (const { doc_id: id } of outputs.raw) {
    const n = inRecords.get(id) ?? 0;
    if (n > 1) result.duplicated.push(id);
    if (n > 0 && inDlq.has(id)) result.both.push(id);
    if (n > 0) result.augmented++;
    else if (inDlq.has(id)) result.deadLettered++;
    else result.missing.push(id);
  }
  return result;
}

/** Polls until every raw document is accounted for; returns what was on the topics then. */
export async function waitAccounted(
  kafka: Kafka,
  registryUrl: string,
  topics: Topics,
  runId: string,
  options: { timeoutMs?: number; expectDocuments?: number } = {},
): Promise<PipelineOutputs> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let last: Accounting | undefined;
  for (;;) {
    const outputs = await readOutputs(kafka, registryUrl, topics);
    last = account(outputs, runId);
    const enough = options.expectDocuments === undefined || outputs.raw.length >= options.expectDocuments;
    if (enough && outputs.raw.length > 0 && last.missing.length === 0) return outputs;
    if (Date.now() > deadline) {
      throw new Error(
        `not every document accounted for: ${outputs.raw.length} raw, missing ${last.missing.join(', ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

export interface CorpusDoc {
  id: string;
  url: string;
  text: string;
}

/** The bundled demo corpus: realistic texts the CPU synthesizer finds many pairs in. */
export function corpusDocuments(): CorpusDoc[] {
  return readFileSync(join(REPO_ROOT, 'demo', 'corpus', 'sample.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as CorpusDoc);
}

export const jsonl = (docs: object[]): string => docs.map((d) => `${JSON.stringify(d)}\n`).join('');
