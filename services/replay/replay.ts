// `ipt replay`: re-synthesize a range of raw documents as a new run, beside the live run.
// Reads top-down: resolve the range → read it once (what must be accounted for, and where each
// partition's last record is) → place the new run's consumer groups (synth at the range start,
// assemble at the rounds topic's end) → start assemble and a bounded synth → wait until every
// document of the range is in an augmented record or a dead letter of the new run → stop → report.
//
// Why it is a synth run like any other rather than a special code path: the run gets its own
// consumer groups and transactional ids (both derive from the run id), so it is exactly once, can
// run while the live run runs, and its records are stamped with its own Run. The only additions are
// the starting offsets (set on the fresh group before it joins) and synth's end offsets: a replay
// takes no record past `--to`, closes each partition's partial last block the moment the partition
// is done (END_OF_INPUT) and never by idle timeout. So block boundaries depend only on the records:
// sequence numbers count from the first record of the range, and replaying the same range with the
// same parameters rebuilds the same chains and sends the same prompts.

import type { Admin, Kafka } from 'kafkajs';
import { checkRunId } from '../../core/run-id.ts';
import type { ChainCloseReason, RawDocument, Run } from '../../core/types.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { committedRanges, readPartition } from '../../lib/kafka/read-partition.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { avroCodec, registerSchemas, registryClient } from '../../lib/registry.ts';
import { Shutdown } from '../../lib/streams/shutdown.ts';
import { loadTokenizer } from '../../lib/tokenizer-file.ts';
import { requireTopics, type Topics } from '../../lib/topics.ts';
import type { TritonGrpcSetting } from '../../lib/triton/index.ts';
import { RunOutputs, rawKey } from '../accounting/run-outputs.ts';
import { assembleGroupId, startAssemble } from '../assemble/main.ts';
import { type SynthOptions, startSynth, synthGroupId } from '../synth/service.ts';
import {
  describeRanges,
  type PartitionBounds,
  type PartitionRange,
  type PositionSpec,
  resolveRange,
} from './range.ts';

export type ReplaySynthSettings = Omit<
  SynthOptions,
  | 'brokers'
  | 'registryUrl'
  | 'tritonUrls'
  | 'tritonGrpc'
  | 'topics'
  | 'runId'
  | 'endOffsets'
  | 'idleMs'
  | 'log'
>;

export interface ReplayOptions {
  brokers: string[];
  registryUrl: string;
  tritonUrls: string[];
  tritonGrpc?: TritonGrpcSetting;
  topics: Topics;
  /** The new run. */
  runId: string;
  from: PositionSpec;
  to: PositionSpec;
  synth?: ReplaySynthSettings;
  /** Give up after this long (0 or undefined: no limit). */
  timeoutMs?: number;
  /** Stops the replay early (Ctrl-C): the services commit what they hold, the report says so. */
  signal?: AbortSignal;
  onProgress?: (progress: RunProgress) => void;
  /** Progress messages that are not counts (range, groups placed, services up). */
  say?: (line: string) => void;
  log?: Logger;
}

/** Where a replay or re-assembly stands: `done` of `total` units (documents or chains). */
export interface RunProgress {
  done: number;
  total: number;
  chains: number;
  deadLetters: number;
  elapsedMs: number;
}

export interface ReplayReport {
  runId: string;
  run: Run;
  rawTopic: string;
  range: { partition: number; start: string; end: string }[];
  documents: number;
  augmented: number;
  deadLettered: number;
  missing: number;
  chains: number;
  fullChains: number;
  closedEarly: Partial<Record<ChainCloseReason, number>>;
  rounds: number;
  pairs: number;
  pairsPerDocument: number;
  texts: number;
  deadLetters: Record<string, number>;
  seconds: number;
  documentsPerSecond: number;
  complete: boolean;
  stoppedBy: 'done' | 'signal' | 'timeout';
}

/** Refuses a run id whose consumer groups already hold offsets: a replay is always a new run. */
export async function requireNewGroups(
  admin: Admin,
  groups: { groupId: string; topic: string }[],
  runId: string,
) {
  for (const { groupId, topic } of groups) {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    if (committed?.partitions.some((p) => BigInt(p.offset) >= 0n)) {
      throw new Error(
        `run "${runId}" exists already (consumer group ${groupId} has committed offsets); choose a new --run-id`,
      );
    }
  }
}

export async function runReplay(options: ReplayOptions): Promise<ReplayReport> {
  const started = Date.now();
  checkRunId(options.runId, '--run-id');
  const { topics, runId } = options;
  const say = options.say ?? (() => {});
  const log = options.log ?? createLogger('replay');
  const kafka = kafkaClient(`ipt-replay-${runId}`, options.brokers, log);
  const groups = { synth: synthGroupId(runId), assemble: assembleGroupId({ run: runId }) };

  // 1. The range, per partition.
  const ranges = await checkAndMeasure(kafka, options, groups);
  say(`range on ${topics.raw}: ${describeRanges(ranges)}`);

  // 2. Read the range once: the documents to account for, and each partition's last record — the
  // end synth waits for (a range may end in transaction markers, which a consumer never sees).
  await registerSchemas(registryClient(options.registryUrl), topics);
  const expected = await scanRange(kafka, options.registryUrl, topics.raw, ranges);
  const documents = expected.keys.size;
  // Almost always a mistyped position; creating an empty run would only leave groups behind.
  if (documents === 0) {
    throw new Error(
      `nothing to replay: ${topics.raw} holds no committed records in ${describeRanges(ranges)}`,
    );
  }
  say(`${documents} documents in the range`);

  // 3. Place the groups before anyone joins them, then follow the outputs, then start the services.
  await placeRunGroups(kafka, topics, runId, ranges, groups);
  const outputs = await RunOutputs.start(kafka, options.registryUrl, topics, runId, { from: 'latest', log });
  const progressNow = (): RunProgress => {
    outputs.check();
    let done = 0;
    for (const key of expected.keys) if (outputs.accounted(key)) done++;
    return {
      done,
      total: documents,
      chains: outputs.records.size,
      deadLetters: outputs.deadLetters.length,
      elapsedMs: Date.now() - started,
    };
  };
  const { run, stoppedBy } = await runServices(options, log, outputs, expected.ends, progressNow, () =>
    say(`synth run "${runId}" (group ${groups.synth}) and assemble (group ${groups.assemble}) started`),
  );
  // What was committed by the time everything stopped (after Ctrl-C, more than the last poll saw).
  options.onProgress?.(progressNow());
  return replayReport(options, run, ranges, expected.keys, outputs, stoppedBy, started);
}

interface RunGroups {
  synth: string;
  assemble: string;
}

/** Checks the topics exist and the run is new, and measures the range. */
async function checkAndMeasure(
  kafka: Kafka,
  options: ReplayOptions,
  groups: RunGroups,
): Promise<PartitionRange[]> {
  const { topics, runId } = options;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await requireTopics(admin, [
      topics.raw,
      topics.rounds,
      topics.augmented,
      topics.dlq,
      topics.synthState,
      topics.assembleState,
    ]);
    await requireNewGroups(
      admin,
      [
        { groupId: groups.synth, topic: topics.raw },
        { groupId: groups.assemble, topic: topics.rounds },
      ],
      runId,
    );
    return await measureRange(kafka, admin, topics.raw, options.from, options.to);
  } finally {
    await admin.disconnect();
  }
}

/** Synth's group at the range start, assemble's at the rounds topic's end. */
async function placeRunGroups(
  kafka: Kafka,
  topics: Topics,
  runId: string,
  ranges: PartitionRange[],
  groups: RunGroups,
): Promise<void> {
  const roundsEnd = [...(await committedRanges(kafka, topics.rounds))].map(([partition, r]) => ({
    partition,
    offset: r.endOffset,
  }));
  await placeGroups(kafka, `ipt-replay-setup.${runId}`, [
    {
      groupId: groups.synth,
      topic: topics.raw,
      partitions: ranges.map((r) => ({ partition: r.partition, offset: String(r.start) })),
    },
    // Every round of the new run is produced after this point, so the assembler need not read the
    // rounds topic's history (all other runs').
    {
      groupId: groups.assemble,
      topic: topics.rounds,
      partitions: roundsEnd,
    },
  ]);
}

/** Starts assemble and a bounded synth, waits for the range to be accounted for, stops everything. */
async function runServices(
  options: ReplayOptions,
  log: Logger,
  outputs: RunOutputs,
  endOffsets: Map<number, bigint>,
  progressNow: () => RunProgress,
  started: () => void,
): Promise<{ run: Run; stoppedBy: ReplayReport['stoppedBy'] }> {
  const { runId, topics } = options;
  const common = { brokers: options.brokers, registryUrl: options.registryUrl, topics };
  let assemble: Awaited<ReturnType<typeof startAssemble>> | undefined;
  let synth: Awaited<ReturnType<typeof startSynth>> | undefined;
  let stoppedBy: ReplayReport['stoppedBy'] = 'done';
  try {
    // The run's tokenizer counts the records, as it budgets synth's prompts.
    const tokenCounter = loadTokenizer(options.synth?.tokenizer);
    assemble = await startAssemble({
      ...common,
      run: runId,
      tokenCounter,
      log: log.child({ service: 'assemble' }),
    });
    synth = await startSynth({
      ...common,
      ...options.synth,
      tritonUrls: options.tritonUrls,
      tritonGrpc: options.tritonGrpc,
      runId,
      endOffsets,
      // Never close by time: block boundaries must depend on the records only (see above).
      idleMs: Number.POSITIVE_INFINITY,
      log: log.child({ service: 'synth' }),
    });
    started();
    stoppedBy = await waitForProgress(progressNow, options);
  } finally {
    // Reverse start order, each stopped even if one before it fails to.
    const shutdown = new Shutdown(log);
    shutdown.add('outputs', () => outputs.stop());
    if (assemble) shutdown.add('assemble', () => assemble?.stop());
    if (synth) shutdown.add('synth', () => synth?.stop());
    await shutdown.stop();
  }
  return { run: synth?.run as Run, stoppedBy };
}

function replayReport(
  options: ReplayOptions,
  run: Run,
  ranges: PartitionRange[],
  keys: Set<string>,
  outputs: RunOutputs,
  stoppedBy: ReplayReport['stoppedBy'],
  started: number,
): ReplayReport {
  const documents = keys.size;
  const records = [...outputs.records.values()];
  const { augmented, deadLettered } = outputs.coverage(keys);
  const closedEarly: Partial<Record<ChainCloseReason, number>> = {};
  for (const r of records) if (r.close) closedEarly[r.close.reason] = (closedEarly[r.close.reason] ?? 0) + 1;
  const deadLetters: Record<string, number> = {};
  for (const l of outputs.deadLetters) deadLetters[l.error_class] = (deadLetters[l.error_class] ?? 0) + 1;
  const pairs = records.reduce((n, r) => n + r.rounds.reduce((k, round) => k + round.pairs.length, 0), 0);
  const seconds = (Date.now() - started) / 1000;
  const accountedDocs = augmented + deadLettered;
  return {
    runId: options.runId,
    run,
    rawTopic: options.topics.raw,
    range: ranges.map((r) => ({ partition: r.partition, start: String(r.start), end: String(r.end) })),
    documents,
    augmented,
    deadLettered,
    missing: documents - accountedDocs,
    chains: records.length,
    fullChains: records.filter((r) => r.rounds.length === r.run.rounds_per_chain).length,
    closedEarly,
    rounds: records.reduce((n, r) => n + r.rounds.length, 0),
    pairs,
    pairsPerDocument: augmented > 0 ? pairs / augmented : 0,
    texts: records.reduce((n, r) => n + r.texts.length, 0),
    deadLetters,
    seconds,
    documentsPerSecond: seconds > 0 ? accountedDocs / seconds : 0,
    complete: accountedDocs === documents,
    stoppedBy,
  };
}

interface Placement {
  groupId: string;
  topic: string;
  partitions: { partition: number; offset: string }[];
}

/**
 * Commits starting offsets for consumer groups nobody has joined yet, both in one transaction.
 * kafkajs's admin.setOffsets joins each group with a throwaway consumer and waits for it to fetch
 * (seconds per group, and the kind of consumer that can go silent after joining); a transactional
 * offset commit with no member (generation −1) is what Kafka accepts for an empty group, and it is
 * one round trip.
 */
async function placeGroups(kafka: Kafka, transactionalId: string, placements: Placement[]): Promise<void> {
  const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const transaction = await producer.transaction();
    try {
      for (const { groupId, topic, partitions } of placements) {
        await transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions }] });
      }
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => {});
      throw error;
    }
  } finally {
    await producer.disconnect();
  }
}

/** The range's offsets now, from the flags. */
async function measureRange(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  from: PositionSpec,
  to: PositionSpec,
): Promise<PartitionRange[]> {
  const committed = await committedRanges(kafka, topic);
  const bounds = new Map<number, PartitionBounds>(
    [...committed].map(([p, r]) => [p, { low: BigInt(r.startOffset), high: BigInt(r.endOffset) }]),
  );
  const byTime = async (spec: PositionSpec) =>
    spec.kind === 'time'
      ? new Map(
          (await admin.fetchTopicOffsetsByTimestamp(topic, spec.ms)).map((o) => [
            o.partition,
            BigInt(o.offset),
          ]),
        )
      : undefined;
  const fromTimeOffsets = await byTime(from);
  const toTimeOffsets = await byTime(to);
  return resolveRange(from, to, {
    bounds,
    ...(fromTimeOffsets ? { fromTimeOffsets } : {}),
    ...(toTimeOffsets ? { toTimeOffsets } : {}),
  });
}

/**
 * Every committed record of the range: the keys to account for, and per partition the end synth
 * must reach — just past the range's last record (its start when the range holds none).
 */
async function scanRange(
  kafka: Kafka,
  registryUrl: string,
  topic: string,
  ranges: PartitionRange[],
): Promise<{ keys: Set<string>; ends: Map<number, bigint> }> {
  const codec = await avroCodec<RawDocument>(registryClient(registryUrl), topic);
  const keys = new Set<string>();
  const ends = new Map<number, bigint>();
  for (const range of ranges) {
    let end = range.start;
    if (range.end > range.start) {
      await readPartition(kafka, topic, range.partition, {
        startOffset: String(range.start),
        endOffset: String(range.end),
        onMessages: async (messages) => {
          for (const m of messages) {
            let docId: string | null = null;
            try {
              if (m.value) docId = (await codec.decode(m.value)).doc_id;
            } catch {
              // synth dead-letters it by position; account for it the same way
            }
            keys.add(rawKey(docId, range.partition, m.offset));
            end = BigInt(m.offset) + 1n;
          }
        },
      });
    }
    ends.set(range.partition, end);
  }
  return { keys, ends };
}

/** Polls until everything is done, the signal fires or the time is up; reports progress each poll. */
export async function waitForProgress(
  poll: () => RunProgress,
  options: { timeoutMs?: number; signal?: AbortSignal; onProgress?: (p: RunProgress) => void },
): Promise<'done' | 'signal' | 'timeout'> {
  const deadline = options.timeoutMs ? Date.now() + options.timeoutMs : Number.POSITIVE_INFINITY;
  for (;;) {
    const progress = poll();
    options.onProgress?.(progress);
    if (progress.done >= progress.total) return 'done';
    if (options.signal?.aborted) return 'signal';
    if (Date.now() > deadline) return 'timeout';
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
