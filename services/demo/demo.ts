// `npm run demo`: the whole pipeline on the bundled sample corpus, in one process, on the local stack.
// Reads top-down: topics and schemas → the services (services/run/pipeline.ts, as `ipt run` runs
// them) → ingest the corpus through the ingestor API → wait until every raw document is in an
// augmented record or in the DLQ (read_committed) → stop the services (committing what they hold) →
// export the run → a report computed from what is on the topics and in the export.
//
// Why a fixed topic namespace and run id ("demo"/"demo") rather than a fresh namespace per run:
// "running it a second time reports the same" should be a property of the product, not of the demo
// redoing its work. The second run re-ingests the same file; the dedup stage (its state restored
// from its changelog) drops every document as already ingested, synth and assemble find nothing new, and the
// export reads the same committed records — so the same chains, pairs, texts and byte-identical
// output (the report shows its sha256). The report says plainly what this invocation did ("0 new,
// 51 duplicates"). A fresh namespace per run could not promise that: chain ids (and so template
// seeds) name the raw topic, so every run would render different texts. Pipeline time and
// throughput come from the records themselves (first `ingested_at` → last `assembled_at`), so they
// describe the run that did the work, whichever invocation reports it. A run interrupted half-way
// (Ctrl-C, a crash) is simply resumed by the next `npm run demo`: the services restore their
// state from the changelogs. To start over, give another namespace (`--namespace`) or wipe the stack.

import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { withDefaults } from '../../lib/defaults.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { createLogger } from '../../lib/log.ts';
import { registerSchemas, registryClient } from '../../lib/registry.ts';
import { createTopics, type Topics, topicsFor } from '../../lib/topics.ts';
import type { TritonGrpcSetting } from '../../lib/triton/index.ts';
import { REPO_ROOT } from '../../stack/config.ts';
import { docKey, type RawDoc, RunOutputs, readRawDocuments } from '../accounting/run-outputs.ts';
import { type ExportManifest, exportRun, MANIFEST_FILE } from '../export/export.ts';
import type { ExportRow } from '../export/rows.ts';
import type { IngestStats } from '../ingest/index.ts';
import { startPipeline } from '../run/pipeline.ts';

export const DEMO_DEFAULTS = {
  corpus: join(REPO_ROOT, 'demo', 'corpus', 'sample.jsonl'),
  outDir: join(REPO_ROOT, 'out', 'demo'),
  namespace: 'demo',
  runId: 'demo',
  // Two partitions: enough to show per-partition chains and parallel transactions, few enough that
  // ~25 documents per partition still make several full K·M blocks.
  partitions: 2,
  // Synth's K = 16 suits a stream; with ~25 documents per partition it would leave most chains a
  // single round, closed at idle. K = 4 gives blocks of 8 records, so nearly every chain gets M = 2
  // rounds, and a short idle close ends the partial last block quickly.
  chainsPerBlock: 4,
  roundsPerChain: 2,
  idleMs: 1_500,
  timeoutMs: 5 * 60_000,
} as const;

export interface DemoOptions {
  brokers: string[];
  registryUrl: string;
  tritonUrls: string[];
  tritonGrpc?: TritonGrpcSetting;
  corpus?: string;
  outDir?: string;
  namespace?: string;
  runId?: string;
  partitions?: number;
  chainsPerBlock?: number;
  idleMs?: number;
  /** Give up waiting for the documents to be accounted for after this long. */
  timeoutMs?: number;
  /** Progress lines (stderr in the CLI). */
  say?: (line: string) => void;
}

export interface DemoReport {
  runId: string;
  topics: Topics;
  /**
   * What this invocation's ingest and dedup did (a second run finds every document a duplicate):
   * `accepted` documents kept by the dedup stage, `duplicates` and `nearDuplicates` the ones it dropped.
   */
  ingest: Pick<IngestStats, 'accepted' | 'produced' | 'chunked' | 'duplicates' | 'rejected'> & {
    nearDuplicates: number;
  };
  /** Raw documents on the topic (chunks counted as documents). */
  documents: number;
  documentsAugmented: number;
  documentsDeadLettered: number;
  chains: number;
  /** Chains with all M rounds. */
  fullChains: number;
  texts: number;
  pairs: number;
  pairsPerDocument: number;
  deadLetters: number;
  tokens: { source: number; rendered: number };
  /** First raw document ingested → last augmented record assembled, from the records' own timestamps. */
  pipelineSeconds: number;
  documentsPerSecond: number;
  output: { file: string; manifest: string; rows: number; bytes: number; sha256: string };
  example: ExportRow;
  /** This invocation, start to end. */
  elapsedSeconds: number;
}

export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const started = performance.now();
  const o = withDefaults(DEMO_DEFAULTS, options);
  const say = options.say ?? (() => {});
  const topics = topicsFor(o.namespace);
  const kafka = kafkaClient('ipt-demo', o.brokers, createLogger('demo'));

  // Topics (idempotent: existing ones are kept) and their schemas.
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await createTopics(admin, o.partitions, topics);
    say(
      created.length > 0
        ? `created ${created.length} topics ${o.namespace}.ipt.*`
        : `topics ${o.namespace}.ipt.* exist`,
    );
  } finally {
    await admin.disconnect();
  }
  await registerSchemas(registryClient(o.registryUrl), topics);

  const pipeline = await startPipeline({
    brokers: o.brokers,
    registryUrl: o.registryUrl,
    tritonUrls: o.tritonUrls,
    tritonGrpc: o.tritonGrpc,
    topics,
    runId: o.runId,
    ingest: { log: createLogger('ingest') },
    synth: {
      chainsPerBlock: o.chainsPerBlock,
      roundsPerChain: o.roundsPerChain,
      idleMs: o.idleMs,
      log: createLogger('synth'),
    },
    assemble: { log: createLogger('assemble') },
  });
  let follower: RunOutputs | undefined;
  let ingestStats: IngestStats;
  let nearDuplicates = 0;
  let raw: RawDoc[];
  try {
    say(`services up: synth run "${o.runId}" (K ${o.chainsPerBlock}, M ${o.roundsPerChain}), assemble`);
    await pipeline.ingestor.ingestPaths([o.corpus]);
    await pipeline.ingestor.flush();
    const dedup = await pipeline.decided(pipeline.ingestor.stats.accepted, o.timeoutMs);
    ingestStats = {
      ...pipeline.ingestor.stats,
      accepted: dedup.kept,
      duplicates: pipeline.ingestor.stats.duplicates + dedup.duplicate,
    };
    nearDuplicates = dedup.nearDuplicate;
    say(
      `ingested ${relative(process.cwd(), o.corpus) || o.corpus}: ${ingestStats.accepted} new, ` +
        `${ingestStats.duplicates} already ingested, ${nearDuplicates} near-duplicates, ${ingestStats.rejected} rejected`,
    );

    // The documents to account for: every raw document of the namespace, this invocation's or an
    // earlier one's (an interrupted demo is finished by the next).
    raw = await readRawDocuments(kafka, o.registryUrl, topics.raw);
    follower = await RunOutputs.start(kafka, o.registryUrl, topics, o.runId, { from: 'earliest' });
    await waitAccounted(
      follower,
      raw.map((d) => docKey(d.docId)),
      o.timeoutMs,
      say,
    );
  } finally {
    await follower?.stop();
    await pipeline.stop();
  }

  const manifest = await exportRun({
    brokers: o.brokers,
    registryUrl: o.registryUrl,
    topics,
    run: o.runId,
    outDir: o.outDir,
    format: 'jsonl',
    shardSize: 0,
    name: 'augmented',
    log: createLogger('export'),
  });
  say(`exported ${manifest.rows} texts of ${manifest.records} chains`);
  return buildReport({
    runId: o.runId,
    topics,
    ingest: ingestStats,
    nearDuplicates,
    raw,
    follower,
    manifest,
    outDir: o.outDir,
    started,
  });
}

async function waitAccounted(
  follower: RunOutputs,
  docIds: string[],
  timeoutMs: number,
  say: (line: string) => void,
): Promise<void> {
  const start = Date.now();
  let lastLine = '';
  let lastSaid = 0;
  for (;;) {
    const c = follower.coverage(docIds);
    const line = `accounted for ${c.augmented + c.deadLettered}/${c.documents} documents (${follower.records.size} chains assembled, ${c.deadLettered} in the DLQ)`;
    // A line when something changed, and at least every 10 s so a stall is visible.
    if (line !== lastLine || Date.now() - lastSaid > 10_000) {
      say(`${line}  ${((Date.now() - start) / 1000).toFixed(1)} s`);
      lastLine = line;
      lastSaid = Date.now();
    }
    if (c.missing.length === 0) return;
    if (Date.now() - start > timeoutMs) {
      throw new Error(
        `${c.missing.length} documents not accounted for after ${timeoutMs / 1000} s: ${c.missing.slice(0, 10).join(', ')}${c.missing.length > 10 ? ', …' : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function buildReport(input: {
  runId: string;
  topics: Topics;
  ingest: IngestStats;
  nearDuplicates: number;
  raw: RawDoc[];
  follower: RunOutputs;
  manifest: ExportManifest;
  outDir: string;
  started: number;
}): Promise<DemoReport> {
  const { raw, follower, manifest } = input;
  const records = [...follower.records.values()];
  const coverage = follower.coverage(raw.map((d) => docKey(d.docId)));
  const shard = manifest.shards[0];
  if (!shard) throw new Error(`the export of run ${input.runId} wrote no file: no augmented records`);
  const file = join(input.outDir, shard.file);
  const rows = (await readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ExportRow);
  const firstIngested = Math.min(...raw.map((d) => d.ingestedAt));
  const lastAssembled = Math.max(...records.map((r) => r.assembled_at));
  const pipelineSeconds = Math.max(0, (lastAssembled - firstIngested) / 1000);
  return {
    runId: input.runId,
    topics: input.topics,
    ingest: {
      accepted: input.ingest.accepted,
      produced: input.ingest.produced,
      chunked: input.ingest.chunked,
      duplicates: input.ingest.duplicates,
      rejected: input.ingest.rejected,
      nearDuplicates: input.nearDuplicates,
    },
    documents: raw.length,
    documentsAugmented: coverage.augmented,
    documentsDeadLettered: coverage.deadLettered,
    chains: manifest.records,
    fullChains: records.filter((r) => r.rounds.length === r.run.rounds_per_chain).length,
    texts: manifest.rows,
    pairs: manifest.pairs,
    pairsPerDocument: manifest.documents > 0 ? manifest.pairs / manifest.documents : 0,
    deadLetters: follower.deadLetters.length,
    tokens: { source: manifest.tokens.source_text, rendered: manifest.tokens.rendered },
    pipelineSeconds,
    documentsPerSecond: pipelineSeconds > 0 ? raw.length / pipelineSeconds : 0,
    output: {
      file,
      manifest: join(input.outDir, MANIFEST_FILE),
      rows: shard.rows,
      bytes: shard.bytes,
      sha256: shard.sha256,
    },
    example: pickExample(rows),
    elapsedSeconds: (performance.now() - input.started) / 1000,
  };
}

/**
 * The example shown: the shortest text made of a whole M-round chain whose rounds all have pairs (so
 * it shows history, pairs and a framing), ties broken by id; any text if there is no such one.
 */
function pickExample(rows: ExportRow[]): ExportRow {
  const full = rows.filter(
    (r) => r.metadata.round_indexes.length === r.metadata.rounds_per_chain && r.metadata.pairs > 0,
  );
  const pool = full.length > 0 ? full : rows;
  const sorted = [...pool].sort(
    (a, b) => a.metadata.token_count - b.metadata.token_count || (a.id < b.id ? -1 : 1),
  );
  return sorted[0] as ExportRow;
}

/** The report as the demo prints it. */
/** The report as a person reads it; `logFile` is where the services' logs went, when not the console. */
export function demoSummaryText(r: DemoReport, logFile?: string): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const ex = r.example;
  return [
    `ipt demo — run "${r.runId}" on topics ${r.topics.raw.replace(/\.ipt\.docs\.raw$/, '')}.ipt.*`,
    `  documents        ${n(r.documents)} (${n(r.documentsAugmented)} augmented, ${n(r.documentsDeadLettered)} dead-lettered)`,
    `  chains           ${n(r.chains)} (${n(r.fullChains)} with all rounds, ${n(r.chains - r.fullChains)} closed early)`,
    `  texts            ${n(r.texts)}`,
    `  pairs            ${n(r.pairs)} (${r.pairsPerDocument.toFixed(2)} per document)`,
    `  DLQ records      ${n(r.deadLetters)}`,
    `  tokens           ${n(r.tokens.source)} source → ${n(r.tokens.rendered)} rendered`,
    `  pipeline time    ${r.pipelineSeconds.toFixed(1)} s, first document ingested → last record assembled (${r.documentsPerSecond.toFixed(2)} documents/s)`,
    `  output           ${relative(process.cwd(), r.output.file)} (${n(r.output.rows)} lines, ${n(r.output.bytes)} bytes, sha256 ${r.output.sha256.slice(0, 16)}…) + ${relative(process.cwd(), r.output.manifest)}`,
    `  this invocation  ingested ${n(r.ingest.accepted)} new, ${n(r.ingest.duplicates)} already ingested, ${n(r.ingest.nearDuplicates)} near-duplicates, ${n(r.ingest.rejected)} rejected; ${r.elapsedSeconds.toFixed(1)} s`,
    ...(logFile
      ? [
          `  logs             ${relative(process.cwd(), logFile)} (warnings and errors; --verbose shows them here)`,
        ]
      : []),
    '',
    `Example — ${ex.id} (${ex.metadata.framing}, documents ${ex.metadata.doc_ids.join(' + ')}, ${ex.metadata.pairs} pairs, ${ex.metadata.token_count} tokens):`,
    '─'.repeat(100),
    ex.text,
    '─'.repeat(100),
  ].join('\n');
}
