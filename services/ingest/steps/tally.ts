// The counts of one ingestor: per input (accepted, duplicate, rejected by reason, skipped; also in
// the Prometheus counters) and per step (in, out, dropped by reason; plain numbers that the step
// counters read when scraped). Only the step runner and the readers (bytes, files) write them.

import type { IngestMetrics, StepCounts } from '../metrics.ts';
import type { RejectReason } from '../normalize.ts';

export type { StepCounts } from '../metrics.ts';

export interface IngestStats {
  /** Input records read (documents, rejects and skipped records). */
  inputs: number;
  /** Documents accepted (each produced as one or more RawDocuments). */
  accepted: number;
  /** RawDocument records produced (a chunked text counts its chunks). */
  produced: number;
  /** Accepted documents that were split into chunks. */
  chunked: number;
  duplicates: number;
  rejected: number;
  rejectedByReason: Partial<Record<RejectReason, number>>;
  /** Inputs that are not documents (WARC request records, non-text responses…). */
  skipped: number;
  /** Input bytes read, as stored (compressed). */
  bytes: number;
  files: number;
  /** Each step's counts, in pipeline order. */
  steps: Record<string, StepCounts>;
}

export const emptyStats = (): IngestStats => ({
  inputs: 0,
  accepted: 0,
  produced: 0,
  chunked: 0,
  duplicates: 0,
  rejected: 0,
  rejectedByReason: {},
  skipped: 0,
  bytes: 0,
  files: 0,
  steps: {},
});

export class Tally {
  constructor(
    readonly stats: IngestStats,
    private readonly metrics: IngestMetrics,
  ) {
    // One ingestor per metrics registry: its step counters show this ingestor's steps.
    metrics.stepCounts = stats.steps;
  }

  /** Lists the steps up front, so the summary shows a step that saw nothing as zeros. */
  register(steps: readonly string[]): void {
    for (const step of steps) this.stats.steps[step] ??= { in: 0, out: 0, dropped: {} };
  }

  private step(name: string): StepCounts {
    let counts = this.stats.steps[name];
    if (!counts) {
      counts = { in: 0, out: 0, dropped: {} };
      this.stats.steps[name] = counts;
    }
    return counts;
  }

  input(): void {
    this.stats.inputs++;
  }

  entered(step: string): void {
    this.step(step).in++;
  }

  passed(step: string, how?: string, amounts?: Record<string, number>): void {
    const counts = this.step(step);
    counts.out++;
    if (how !== undefined) {
      counts.kept ??= {};
      counts.kept[how] = (counts.kept[how] ?? 0) + 1;
    }
    if (amounts) {
      counts.amounts ??= {};
      for (const [what, n] of Object.entries(amounts)) counts.amounts[what] = (counts.amounts[what] ?? 0) + n;
    }
  }

  dropped(step: string, reason: string): void {
    const { dropped } = this.step(step);
    dropped[reason] = (dropped[reason] ?? 0) + 1;
  }

  accepted(records: number): void {
    this.stats.accepted++;
    this.stats.produced += records;
    if (records > 1) this.stats.chunked++;
    this.metrics.inputs.inc({ outcome: 'accepted' });
    this.metrics.produced.inc(records);
  }

  duplicate(): void {
    this.stats.duplicates++;
    this.metrics.inputs.inc({ outcome: 'duplicate' });
  }

  rejected(reason: RejectReason): void {
    this.stats.rejected++;
    this.stats.rejectedByReason[reason] = (this.stats.rejectedByReason[reason] ?? 0) + 1;
    this.metrics.inputs.inc({ outcome: 'rejected' });
    this.metrics.rejected.inc({ reason });
  }

  skipped(why: string): void {
    this.stats.skipped++;
    this.metrics.inputs.inc({ outcome: 'skipped' });
    this.metrics.skipped.inc({ why });
  }

  file(): void {
    this.stats.files++;
  }

  bytes(n: number): void {
    this.stats.bytes += n;
    this.metrics.inputBytes.inc(n);
  }
}
