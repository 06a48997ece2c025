// `ipt reassemble`: an existing run's rounds, templated again as a new run — no inference at all.
// Reads top-down: check the ids and the template version → read the rounds topic once to learn
// which chains of the source run are complete (what the new run must emit) → start an assembler
// for the source run's rounds that emits as the new run (its own group `ipt-assemble.<new>`, so its
// own transactional ids and changelog keys) → wait until every such chain is in a record or a dead
// letter of the new run → stop → report.
//
// Nothing here talks to Triton: the rounds already hold the synthesizer's outputs.

import type { Kafka } from 'kafkajs';
import { checkRunId } from '../../core/run-id.ts';
import { checkTemplateVersion, TEMPLATE_VERSION } from '../../core/templates/version.ts';
import type { Run, SynthRound } from '../../core/types.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { committedRanges, readPartition } from '../../lib/kafka/read-partition.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { avroCodec, registerSchemas, registryClient } from '../../lib/registry.ts';
import { Shutdown } from '../../lib/streams/shutdown.ts';
import { loadTokenizer } from '../../lib/tokenizer-file.ts';
import { requireTopics, type Topics } from '../../lib/topics.ts';
import { RunOutputs } from '../accounting/run-outputs.ts';
import { ChainCollector } from '../assemble/collect.ts';
import { assembleGroupId, startAssemble } from '../assemble/main.ts';
import { type RunProgress, requireNewGroups, waitForProgress } from './replay.ts';

export interface ReassembleOptions {
  brokers: string[];
  registryUrl: string;
  topics: Topics;
  /** The run whose rounds are re-templated. */
  fromRun: string;
  /** The new run. */
  runId: string;
  /** Template set; default the current one. */
  templateVersion?: string;
  /** The source run's tokenizer (name or file, as its synth was given); default Mistral-7B-v0.1. */
  tokenizer?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (progress: RunProgress) => void;
  say?: (line: string) => void;
  log?: Logger;
}

export interface ReassembleReport {
  runId: string;
  fromRun: string;
  templateVersion: string;
  /** The source run's parameters (as on its rounds). */
  sourceRun: Run;
  /** Complete chains of the source run on the rounds topic: what the new run had to emit. */
  chains: number;
  /** Chains of the source run still waiting for rounds (not re-assembled). */
  openChains: number;
  emitted: number;
  deadLettered: number;
  documents: number;
  texts: number;
  pairs: number;
  framings: Record<string, number>;
  seconds: number;
  complete: boolean;
  stoppedBy: 'done' | 'signal' | 'timeout';
}

export async function runReassemble(options: ReassembleOptions): Promise<ReassembleReport> {
  const started = Date.now();
  const templateVersion = checkOptions(options);
  const { topics, runId, fromRun } = options;
  const say = options.say ?? (() => {});
  const log = options.log ?? createLogger('reassemble');
  const kafka = kafkaClient(`ipt-reassemble-${runId}`, options.brokers, log);
  await prepare(kafka, options);

  const source = await completeChains(kafka, options.registryUrl, topics.rounds, fromRun);
  if (!source.run) throw new Error(`run "${fromRun}" has no rounds on ${topics.rounds}`);
  say(
    `run "${fromRun}": ${source.chains.size} complete chains to re-assemble` +
      (source.open > 0 ? ` (${source.open} still open, left out)` : ''),
  );

  const outputs = await RunOutputs.start(kafka, options.registryUrl, topics, runId, { from: 'latest', log });
  const progressNow = (): RunProgress => {
    outputs.check();
    let done = 0;
    for (const id of source.chains) if (outputs.chains.has(id)) done++;
    return {
      done,
      total: source.chains.size,
      chains: outputs.records.size,
      deadLetters: outputs.deadLetters.length,
      elapsedMs: Date.now() - started,
    };
  };
  const stoppedBy = await assembleUntilDone(options, templateVersion, outputs, progressNow, log);
  // What was committed by the time everything stopped (after Ctrl-C, more than the last poll saw).
  options.onProgress?.(progressNow());
  return {
    runId,
    fromRun,
    templateVersion,
    sourceRun: source.run,
    chains: source.chains.size,
    openChains: source.open,
    ...tally(outputs, source.chains),
    seconds: (Date.now() - started) / 1000,
    stoppedBy,
  };
}

/** The run ids and the template version, checked before anything touches Kafka; returns the version. */
function checkOptions(options: ReassembleOptions): string {
  checkRunId(options.fromRun, '--from-run');
  checkRunId(options.runId, '--run-id');
  if (options.fromRun === options.runId) throw new Error('--run-id must differ from --from-run');
  return checkTemplateVersion(options.templateVersion ?? TEMPLATE_VERSION, '--template-version');
}

/** The topics exist, the new run's assemble group is unused, and the schemas are registered. */
async function prepare(kafka: Kafka, options: ReassembleOptions): Promise<void> {
  const { topics } = options;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await requireTopics(admin, [topics.rounds, topics.augmented, topics.dlq, topics.assembleState]);
    const groupId = assembleGroupId({ run: options.fromRun, asRun: options.runId });
    await requireNewGroups(admin, [{ groupId, topic: topics.rounds }], options.runId);
  } finally {
    await admin.disconnect();
  }
  await registerSchemas(registryClient(options.registryUrl), topics);
}

/** An assembler over the source run's rounds, emitting as the new run, until the progress is complete. */
async function assembleUntilDone(
  options: ReassembleOptions,
  templateVersion: string,
  outputs: RunOutputs,
  progressNow: () => RunProgress,
  log: Logger,
): Promise<ReassembleReport['stoppedBy']> {
  let assemble: Awaited<ReturnType<typeof startAssemble>> | undefined;
  try {
    assemble = await startAssemble({
      brokers: options.brokers,
      registryUrl: options.registryUrl,
      topics: options.topics,
      run: options.fromRun,
      asRun: options.runId,
      templateVersion,
      tokenCounter: loadTokenizer(options.tokenizer),
      log: log.child({ service: 'assemble' }),
    });
    options.say?.(
      `assemble (group ${assembleGroupId({ run: options.fromRun, asRun: options.runId })}) started`,
    );
    return await waitForProgress(progressNow, options);
  } finally {
    // Reverse start order, each stopped even if one before it fails to.
    const shutdown = new Shutdown(log);
    shutdown.add('outputs', () => outputs.stop());
    if (assemble) shutdown.add('assemble', () => assemble?.stop());
    await shutdown.stop();
  }
}

/** What the new run committed, counted against the chains it had to emit. */
function tally(
  outputs: RunOutputs,
  chains: Set<string>,
): Pick<
  ReassembleReport,
  'emitted' | 'deadLettered' | 'documents' | 'texts' | 'pairs' | 'framings' | 'complete'
> {
  const records = [...outputs.records.values()];
  const framings: Record<string, number> = {};
  for (const r of records) for (const t of r.texts) framings[t.framing] = (framings[t.framing] ?? 0) + 1;
  return {
    emitted: records.filter((r) => chains.has(r.chain_id)).length,
    deadLettered: outputs.deadLetters.length,
    documents: records.reduce((n, r) => n + r.doc_ids.length, 0),
    texts: records.reduce((n, r) => n + r.texts.length, 0),
    pairs: records.reduce((n, r) => n + r.rounds.reduce((k, x) => k + x.pairs.length, 0), 0),
    framings,
    complete: [...chains].every((id) => outputs.chains.has(id)),
  };
}

/**
 * The source run's chains that an assembler would emit from the rounds on the topic now: the same
 * bookkeeping the assembler does (collect.ts), applied to a read of the topic up to its LSO.
 */
async function completeChains(
  kafka: Kafka,
  registryUrl: string,
  topic: string,
  runId: string,
): Promise<{ chains: Set<string>; open: number; run: Run | undefined }> {
  const codec = await avroCodec<SynthRound>(registryClient(registryUrl), topic);
  const chains = new Set<string>();
  let open = 0;
  let run: Run | undefined;
  for (const partition of [...(await committedRanges(kafka, topic)).keys()]) {
    // Chains are keyed by chain id, so all of a chain's rounds are in one partition.
    const collector = new ChainCollector();
    await readPartition(kafka, topic, partition, {
      onMessages: async (messages) => {
        for (const m of messages) {
          if (!m.value) continue;
          let record: SynthRound;
          try {
            record = await codec.decode(m.value);
          } catch {
            continue; // the assembler dead-letters it; it names no chain we could wait for
          }
          if (record.run.run_id !== runId) continue;
          run ??= record.run;
          const outcome = collector.offer(record, 0);
          if (outcome.kind === 'ready') chains.add(outcome.state.chain_id);
        }
      },
    });
    open += collector.open;
  }
  return { chains, open, run };
}
