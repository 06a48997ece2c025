// Prometheus metrics of one ingestor, in a registry of its own (the process may run several services).
// Two levels: each input's outcome (`ipt_ingest_inputs_total{outcome}` and the reasons of rejects and
// skips), and each step's documents in, out and dropped by reason (`ipt_ingest_step_*_total{step}`).
// The step counters are read at scrape time from the runner's plain counts (`stepCounts`): six
// labelled increments per document per step would cost more than the steps that only check.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface IngestMetrics {
  registry: Registry;
  inputs: Counter<'outcome'>;
  rejected: Counter<'reason'>;
  skipped: Counter<'why'>;
  produced: Counter<never>;
  inputBytes: Counter<never>;
  bufferedBytes: Gauge<never>;
  batchSeconds: Histogram<never>;
  backpressureSeconds: Counter<never>;
  /** Each step's counts, by step name in pipeline order: the step counters show these. */
  stepCounts: Record<string, StepCounts>;
}

export interface StepCounts {
  in: number;
  out: number;
  /** Documents dropped, by reason (a dead-letter reason, a skip's why, `duplicate`, `step_failed`). */
  dropped: Record<string, number>;
  /** Documents passed on, by how the step handled them (only steps that say: extract's path). */
  kept?: Record<string, number>;
  /** Quantities counted in the documents passed on, summed (only steps that count: lines_removed). */
  amounts?: Record<string, number>;
}

export function createIngestMetrics(registry = new Registry()): IngestMetrics {
  const registers = [registry];
  const metrics: IngestMetrics = {
    registry,
    inputs: new Counter({
      name: 'ipt_ingest_inputs_total',
      help: 'Input records by outcome (accepted, duplicate, rejected, skipped)',
      labelNames: ['outcome'],
      registers,
    }),
    rejected: new Counter({
      name: 'ipt_ingest_rejected_total',
      help: 'Inputs sent to the DLQ, by reason',
      labelNames: ['reason'],
      registers,
    }),
    skipped: new Counter({
      name: 'ipt_ingest_skipped_total',
      help: 'Inputs that are not documents (WARC request records, non-text responses), by kind',
      labelNames: ['why'],
      registers,
    }),
    produced: new Counter({
      name: 'ipt_ingest_raw_documents_total',
      help: 'RawDocument records produced (chunks count one each)',
      registers,
    }),
    inputBytes: new Counter({ name: 'ipt_ingest_input_bytes_total', help: 'Input bytes read', registers }),
    bufferedBytes: new Gauge({
      name: 'ipt_ingest_buffered_bytes',
      help: 'Bytes queued for or in flight to Kafka',
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'ipt_ingest_produce_batch_seconds',
      help: 'Time for Kafka to acknowledge one batch',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    backpressureSeconds: new Counter({
      name: 'ipt_ingest_backpressure_seconds_total',
      help: 'Time readers waited for Kafka to drain the buffer',
      registers,
    }),
    stepCounts: {},
  };
  stepCounters(metrics, registers);
  return metrics;
}

/** The per-step counters, each refilled from `metrics.stepCounts` when scraped. */
function stepCounters(metrics: IngestMetrics, registers: Registry[]): void {
  const steps = () => Object.entries(metrics.stepCounts);
  new Counter({
    name: 'ipt_ingest_step_in_total',
    help: 'Documents that entered a pipeline step',
    labelNames: ['step'],
    registers,
    collect() {
      this.reset();
      for (const [step, counts] of steps()) this.inc({ step }, counts.in);
    },
  });
  new Counter({
    name: 'ipt_ingest_step_out_total',
    help: 'Documents a pipeline step passed on',
    labelNames: ['step'],
    registers,
    collect() {
      this.reset();
      for (const [step, counts] of steps()) this.inc({ step }, counts.out);
    },
  });
  new Counter({
    name: 'ipt_ingest_step_kept_total',
    help: 'Documents a pipeline step passed on, by how it handled them (extract: readability, fallback, text)',
    labelNames: ['step', 'how'],
    registers,
    collect() {
      this.reset();
      for (const [step, counts] of steps()) {
        for (const [how, n] of Object.entries(counts.kept ?? {})) this.inc({ step, how }, n);
      }
    },
  });
  new Counter({
    name: 'ipt_ingest_step_amount_total',
    help: 'Quantities a pipeline step counted in the documents it passed on (lines: lines_removed)',
    labelNames: ['step', 'what'],
    registers,
    collect() {
      this.reset();
      for (const [step, counts] of steps()) {
        for (const [what, n] of Object.entries(counts.amounts ?? {})) this.inc({ step, what }, n);
      }
    },
  });
  new Counter({
    name: 'ipt_ingest_step_dropped_total',
    help: 'Documents a pipeline step dropped, by reason (a dead-letter reason, a skip, duplicate, step_failed)',
    labelNames: ['step', 'reason'],
    registers,
    collect() {
      this.reset();
      for (const [step, counts] of steps()) {
        for (const [reason, n] of Object.entries(counts.dropped)) this.inc({ step, reason }, n);
      }
    },
  });
}
