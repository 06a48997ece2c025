// `ipt ingest --explain`: a dry run of ingest's steps over the first few inputs, telling for each
// what every step did (kept, with what it found; or dropped, with the reason and details). Nothing
// reaches Kafka and nothing connects: the pipeline has no produce step and dead letters are only
// recorded. The dedup verdict is the stage's rules run here on these inputs alone (the running
// stage's state is not read), marked as decided by the stage.

import { createLogger } from '../../lib/log.ts';
import { LocalDedup } from '../dedup/local.ts';
import { dedupSettings } from '../dedup/main.ts';
import type { SourceEvent } from './events.ts';
import { DEFAULT_MAX_RECORD_BYTES, type IngestorOptions, stepOptions } from './ingestor.ts';
import { DEFAULT_JSON_FIELDS } from './json-doc.ts';
import { createIngestMetrics } from './metrics.ts';
import { inputReader } from './read.ts';
import type { Format } from './sniff.ts';
import { DECIDED_BY_STAGE } from './steps/dedup-stage.ts';
import { languageOptions } from './steps/language.ts';
import { ingestSteps } from './steps/pipeline.ts';
import { candidateOf } from './steps/produce.ts';
import { type Outcome, StepRunner, type Steps } from './steps/runner.ts';
import { contentHashOf, docIdOf, type Step, type Verdict } from './steps/step.ts';
import { emptyStats, type IngestStats, Tally } from './steps/tally.ts';

export const DEFAULT_EXPLAIN_LIMIT = 5;

export interface StepTrace {
  step: string;
  outcome: 'kept' | 'rejected' | 'skipped' | 'duplicate';
  /** The rejection's reason, the skip's why, the duplicate's id. */
  reason?: string;
  message?: string;
  detail?: Record<string, string>;
}

export interface Explanation {
  source: string;
  /** Where in the source (line 3, a WARC offset). */
  origin: string;
  /** The document's id, once decoded. */
  docId?: string;
  outcome: Outcome['status'];
  steps: StepTrace[];
}

export function traceOf(step: string, verdict: Verdict): StepTrace {
  switch (verdict.kind) {
    case 'keep':
      return { step, outcome: 'kept', ...(verdict.detail ? { detail: verdict.detail } : {}) };
    case 'reject':
      return {
        step,
        outcome: 'rejected',
        reason: verdict.reason,
        message: verdict.message,
        ...(verdict.detail ? { detail: verdict.detail } : {}),
      };
    case 'skip':
      return { step, outcome: 'skipped', reason: verdict.why };
    case 'duplicate':
      return { step, outcome: 'duplicate', message: 'the same text as a document before it' };
  }
}

const whereOf = (event: SourceEvent) =>
  event.kind === 'skip'
    ? { source: event.source, origin: '' }
    : { source: event.source, origin: event.origin };

/** Runs the first `limit` inputs of `paths` through the steps, one at a time, without Kafka. */
export async function explainIngest(
  options: Omit<IngestorOptions, 'brokers' | 'registryUrl'>,
  paths: readonly string[],
  run: { limit?: number; format?: Format } = {},
): Promise<{ explanations: Explanation[]; stats: IngestStats }> {
  const limit = run.limit ?? DEFAULT_EXPLAIN_LIMIT;
  const all = { brokers: [], registryUrl: '', ...options };
  const language = await languageOptions(all);
  const tally = new Tally(emptyStats(), createIngestMetrics());
  const keptOf = new Map<string, string>();
  const runner = new StepRunner({
    ...withLocalDedup(ingestSteps({ ...stepOptions(all), language }), keptOf),
    deadLetters: async () => ({ delivered: Promise.resolve() }),
    tally,
    log: options.log ?? createLogger('ingest-explain', 'warn'),
  });
  const explanations: Explanation[] = [];
  const reader = inputReader({
    fields: options.fields ?? DEFAULT_JSON_FIELDS,
    maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
    parallelism: 1,
    tally,
    aborted: () => explanations.length >= limit,
    failed: () => null,
    run: async (event) => {
      if (explanations.length >= limit) return;
      const steps: StepTrace[] = [];
      const explanation: Explanation = { ...whereOf(event), outcome: 'skipped', steps };
      explanations.push(explanation);
      const outcome = await runner.run(event, (step, verdict) => {
        const trace = traceOf(step, verdict);
        if (verdict.kind === 'duplicate')
          trace.detail = { decided_by: DECIDED_BY_STAGE, kept_doc_id: keptOf.get(verdict.docId) ?? '' };
        steps.push(trace);
        if (verdict.kind === 'keep' && step === 'decode') explanation.docId = docIdOf(verdict.doc);
      });
      explanation.outcome = outcome.status;
    },
  });
  try {
    await reader.ingestPaths(paths, run.format ? { format: run.format } : {});
  } finally {
    await runner.close();
  }
  return { explanations, stats: tally.stats };
}

/**
 * The pipeline's dedup step (which only prepares a candidate: the stage decides) followed here by
 * the stage's verdict on it among the inputs explained, so every step still shows what it did.
 */
function withLocalDedup(built: Steps, keptOf: Map<string, string>): Steps {
  const local = new LocalDedup(dedupSettings({}));
  const steps = built.steps.map((step): Step => {
    if (step.name !== 'dedup') return step;
    return {
      name: step.name,
      async process(doc) {
        const prepared = await step.process(doc);
        if (prepared.kind !== 'keep') return prepared;
        const docId = docIdOf(doc);
        const verdict = local.decide(candidateOf(doc, docId, contentHashOf(doc), []));
        if (verdict.kind === 'kept') return prepared;
        const similarity = verdict.similarity.toFixed(3);
        if (verdict.kind === 'duplicate') {
          keptOf.set(docId, verdict.keptDocId);
          return { kind: 'duplicate', docId };
        }
        return {
          kind: 'reject',
          reason: 'near_duplicate',
          message: `${doc.origin}: near-duplicate of ${verdict.keptDocId} (estimated similarity ${similarity})`,
          detail: { ...prepared.detail, kept_doc_id: verdict.keptDocId, similarity },
        };
      },
    };
  });
  return { ...built, steps };
}

const detailText = (detail: Record<string, string> | undefined): string =>
  detail
    ? Object.entries(detail)
        .filter(([key]) => key !== 'step')
        .map(([key, value]) => `${key}=${value}`)
        .join(' ')
    : '';

/** Readable text: one block per input, one line per step. */
export function explanationText(explanations: readonly Explanation[]): string {
  return explanations
    .map((e, i) => {
      const head = `#${i + 1} ${e.source}${e.origin ? ` ${e.origin}` : ''}${e.docId ? ` (${e.docId})` : ''}: ${e.outcome}`;
      const lines = e.steps.map((t) => {
        const what = t.outcome === 'kept' ? 'kept' : `${t.outcome}${t.reason ? ` ${t.reason}` : ''}`;
        const detail = detailText(t.detail) || (t.reason ? '' : (t.message ?? ''));
        return `  ${t.step.padEnd(12)} ${what}${detail ? `  ${detail}` : ''}`;
      });
      return [head, ...lines].join('\n');
    })
    .join('\n\n');
}
