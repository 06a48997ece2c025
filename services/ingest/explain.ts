// `ipt ingest --explain`: a dry run of ingest's steps over the first few inputs, telling for each
// what every step did (kept, with what it found; or dropped, with the reason and details). Nothing
// reaches Kafka and nothing connects: the pipeline has no produce step, dead letters are only
// recorded, and the dedup windows start empty (a real run's windows hold the raw topic's tail).

import { createLogger } from '../../lib/log.ts';
import type { SourceEvent } from './events.ts';
import { DEFAULT_MAX_RECORD_BYTES, dedupWindows, type IngestorOptions, stepOptions } from './ingestor.ts';
import { DEFAULT_JSON_FIELDS } from './json-doc.ts';
import { createIngestMetrics } from './metrics.ts';
import { inputReader } from './read.ts';
import type { Format } from './sniff.ts';
import { DECIDED_BY_STAGE } from './steps/dedup-stage.ts';
import { languageOptions } from './steps/language.ts';
import { ingestSteps } from './steps/pipeline.ts';
import { type Outcome, StepRunner } from './steps/runner.ts';
import { docIdOf, type Verdict } from './steps/step.ts';
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
      return { step, outcome: 'duplicate', message: 'the same text was produced within the window' };
  }
}

/** The steps whose verdict the dedup stage gives when ingest runs with it. */
const DEDUP_STEPS = new Set(['dedup', 'near_dup']);

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
  const { dedup, nearDup } = dedupWindows(all);
  const language = await languageOptions(all);
  const tally = new Tally(emptyStats(), createIngestMetrics());
  // With the dedup stage the dry run still shows its verdict among these inputs: the windows decide
  // here as the stage would, and their steps are marked as the stage's.
  const stage = options.dedupStage === true;
  const runner = new StepRunner({
    ...ingestSteps({ ...stepOptions({ ...all, dedupStage: false }, dedup, nearDup), language }),
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
        if (stage && DEDUP_STEPS.has(step)) trace.detail = { ...trace.detail, decided_by: DECIDED_BY_STAGE };
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
