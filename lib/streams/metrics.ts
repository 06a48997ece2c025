import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * What the stream runtime measures for every app, under one scheme: `ipt_<app>_<what>`. Processors
 * register only what is theirs (rounds, chains, …) on the same registry.
 */
export class StreamMetrics {
  readonly inputRecords: Counter;
  readonly deadLetters: Counter<'error_class'>;
  readonly transactions: Counter;
  readonly transactionSeconds: Histogram;
  readonly restoreSeconds: Histogram;
  readonly restoredRecords: Counter;
  readonly lag: Gauge<'partition'>;
  readonly keptWrites: Counter<'outcome'>;
  readonly keptPending: Gauge;
  /** Dead letters written by this process, readable synchronously (service stats). */
  deadLettered = 0;

  constructor(registry: Registry, app: string) {
    const registers = [registry];
    const name = (what: string) => `ipt_${app}_${what}`;
    this.inputRecords = new Counter({
      name: name('input_records_total'),
      help: 'Input records fetched and handed to the processor (or dead-lettered)',
      registers,
    });
    this.deadLetters = new Counter({
      name: name('dead_letters_total'),
      help: 'Records sent to the DLQ, by error class',
      labelNames: ['error_class'],
      registers,
    });
    this.transactions = new Counter({
      name: name('transactions_total'),
      help: 'Committed transactions',
      registers,
    });
    this.transactionSeconds = new Histogram({
      name: name('transaction_seconds'),
      help: 'Duration of one transaction commit',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.restoreSeconds = new Histogram({
      name: name('state_restore_seconds'),
      help: 'Time to restore one partition from the changelog',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.restoredRecords = new Counter({
      name: name('restored_records_total'),
      help: 'Changelog records read while restoring partitions',
      registers,
    });
    this.lag = new Gauge({
      name: name('consumer_lag'),
      help: 'Input records not yet consumed, per partition',
      labelNames: ['partition'],
      registers,
    });
    this.keptPending = new Gauge({
      name: name('kept_writes_pending'),
      help: 'Kept writes queued or being sent',
      registers,
    });
    this.keptWrites = new Counter({
      name: name('kept_writes_total'),
      help: 'State written at once outside the transaction (StateStore.keep), by outcome: written, failed, dropped',
      labelNames: ['outcome'],
      registers,
    });
  }

  deadLetter(errorClass: string): void {
    this.deadLettered++;
    this.deadLetters.inc({ error_class: errorClass });
  }
}
