import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** synth's own Prometheus metrics (the Triton client registers its batch sizes and request metrics). */
export class SynthMetrics {
  readonly records: Counter;
  readonly rounds: Counter;
  readonly pairs: Counter;
  readonly closes: Counter<'reason'>;
  readonly deadLetters: Counter<'error_class'>;
  readonly inFlight: Gauge;
  readonly chainsOpen: Gauge<'partition'>;
  readonly buffered: Gauge<'partition'>;
  readonly roundLatency: Histogram;
  readonly restoreSeconds: Histogram;
  readonly commits: Counter;
  readonly commitSeconds: Histogram;
  readonly lag: Gauge<'partition'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.records = new Counter({
      name: 'ipt_synth_records_total',
      help: 'Raw documents consumed',
      registers,
    });
    this.rounds = new Counter({
      name: 'ipt_synth_rounds_total',
      help: 'Rounds synthesized and produced',
      registers,
    });
    this.pairs = new Counter({
      name: 'ipt_synth_pairs_total',
      help: 'Instruction-response pairs parsed',
      registers,
    });
    this.closes = new Counter({
      name: 'ipt_synth_chain_closes_total',
      help: 'Chains closed before M rounds, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.deadLetters = new Counter({
      name: 'ipt_synth_dead_letters_total',
      help: 'Records sent to the DLQ, by error class',
      labelNames: ['error_class'],
      registers,
    });
    this.inFlight = new Gauge({
      name: 'ipt_synth_rounds_in_flight',
      help: 'Rounds waiting for Triton',
      registers,
    });
    this.chainsOpen = new Gauge({
      name: 'ipt_synth_chains_open',
      help: 'Open chains per input partition',
      labelNames: ['partition'],
      registers,
    });
    this.buffered = new Gauge({
      name: 'ipt_synth_records_buffered',
      help: 'Records held in state waiting for their round, per input partition',
      labelNames: ['partition'],
      registers,
    });
    this.roundLatency = new Histogram({
      name: 'ipt_synth_round_latency_seconds',
      help: 'From sending a round to the batcher to its output',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    this.restoreSeconds = new Histogram({
      name: 'ipt_synth_state_restore_seconds',
      help: 'Time to restore one partition from the changelog',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.commits = new Counter({
      name: 'ipt_synth_transactions_total',
      help: 'Committed transactions',
      registers,
    });
    this.commitSeconds = new Histogram({
      name: 'ipt_synth_transaction_seconds',
      help: 'Duration of one transaction commit',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.lag = new Gauge({
      name: 'ipt_synth_consumer_lag',
      help: 'Raw records not yet consumed, per partition',
      labelNames: ['partition'],
      registers,
    });
  }
}
