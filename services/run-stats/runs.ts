// Reads the pipeline's output topics (read_committed, up to their LSOs now) into a RunsIndex:
// augmented records and dead letters first, so a re-assembled run's source is known before the
// rounds are read, then the rounds.

import type { AugmentedRecord, DeadLetter, SynthRound } from '../../core/types.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { committedRanges, readPartition } from '../../lib/kafka/read-partition.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { avroCodec, registryClient } from '../../lib/registry.ts';
import type { Topics } from '../../lib/topics.ts';
import { RunsIndex } from './stats.ts';

export interface LoadRunsOptions {
  brokers: string[];
  registryUrl: string;
  topics: Topics;
  /** Runs whose per-document facts are kept (for diff). */
  detailFor?: string[];
  /** Offsets read so far of all offsets to read, now and then. */
  onProgress?: (read: number, total: number) => void;
  log?: Logger;
}

export interface LoadedRuns {
  index: RunsIndex;
  /** Records that did not decode with the registry's schema, by topic. */
  undecodable: Record<string, number>;
}

export async function loadRuns(options: LoadRunsOptions): Promise<LoadedRuns> {
  const log = options.log ?? createLogger('runs');
  const kafka = kafkaClient('ipt-runs', options.brokers, log);
  const registry = registryClient(options.registryUrl);
  const { topics } = options;
  const index = new RunsIndex(new Set(options.detailFor ?? []));
  const undecodable: Record<string, number> = {};

  const plan: { topic: string; add: (value: Buffer) => Promise<void> }[] = [];
  const augmented = await avroCodec<AugmentedRecord>(registry, topics.augmented);
  const dlq = await avroCodec<DeadLetter>(registry, topics.dlq);
  const rounds = await avroCodec<SynthRound>(registry, topics.rounds);
  plan.push({ topic: topics.augmented, add: async (v) => index.addRecord(await augmented.decode(v)) });
  plan.push({ topic: topics.dlq, add: async (v) => index.addDeadLetter(await dlq.decode(v)) });
  plan.push({ topic: topics.rounds, add: async (v) => index.addRound(await rounds.decode(v)) });

  const ranges = new Map<string, Awaited<ReturnType<typeof committedRanges>>>();
  let total = 0;
  for (const { topic } of plan) {
    const r = await committedRanges(kafka, topic);
    ranges.set(topic, r);
    for (const { startOffset, endOffset } of r.values())
      total += Number(BigInt(endOffset) - BigInt(startOffset));
  }
  let read = 0;
  let lastReport = 0;
  options.onProgress?.(0, total);
  for (const { topic, add } of plan) {
    for (const [partition, range] of [...(ranges.get(topic) ?? new Map())].sort((x, y) => x[0] - y[0])) {
      let last = BigInt(range.startOffset);
      await readPartition(kafka, topic, partition, {
        endOffset: range.endOffset,
        onMessages: async (messages) => {
          for (const m of messages) {
            if (!m.value) continue;
            try {
              await add(m.value);
            } catch {
              undecodable[topic] = (undecodable[topic] ?? 0) + 1;
            }
          }
          const next = BigInt(messages[messages.length - 1]?.offset ?? last) + 1n;
          read += Number(next - last);
          last = next;
          if (Date.now() - lastReport > 500) {
            lastReport = Date.now();
            options.onProgress?.(read, total);
          }
        },
      });
      // Transaction markers at the end are never delivered; the partition is read all the same.
      read += Number(BigInt(range.endOffset) - last);
    }
  }
  options.onProgress?.(total, total);
  return { index, undecodable };
}
