import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * synth's own Prometheus metrics. The stream runtime registers input records, dead letters,
 * transactions, restores and lag (ipt_synth_…); the Triton client its batch sizes and requests.
 */
export class SynthMetrics {
  readonly rounds: Counter;
  readonly regeneratedRounds: Counter;
  readonly reusedAnswers: Counter;
  readonly pairs: Counter;
  readonly closes: Counter<'reason'>;
  readonly inFlight: Gauge;
  readonly chainsOpen: Gauge<'partition'>;
  readonly buffered: Gauge<'partition'>;
  readonly roundLatency: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.rounds = new Counter({
      name: 'ipt_synth_rounds_total',
      help: 'Rounds synthesized and produced',
      registers,
    });
    this.regeneratedRounds = new Counter({
      name: 'ipt_synth_regenerated_rounds_total',
      help: 'Rounds an earlier owner of the partition had started (in flight or finished, not committed) sent to Triton again after a restore',
      registers,
    });
    this.reusedAnswers = new Counter({
      name: 'ipt_synth_reused_answers_total',
      help: 'Rounds finished after a restore with the answer an earlier owner kept, instead of generating them again',
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
  }
}
