// What assemble counts of its own — what happened to each SynthRound, texts emitted, open chains —
// as Prometheus metrics and as plain numbers for service stats. Dead letters, transactions and
// restores are the stream runtime's (ipt_assemble_dead_letters_total and the like).

import { Counter, Gauge, type Registry } from 'prom-client';

/** One thing that happened to one input record. */
export type AssembleEvent = 'round' | 'close' | 'duplicate' | 'other_run' | 'emitted' | 'empty';

export interface AssembleStats {
  rounds: number;
  closes: number;
  duplicates: number;
  otherRuns: number;
  emitted: number;
  texts: number;
  empty: number;
  deadLettered: number;
  openChains: number;
}

const STAT_OF_EVENT: Record<AssembleEvent, keyof AssembleStats> = {
  round: 'rounds',
  close: 'closes',
  duplicate: 'duplicates',
  other_run: 'otherRuns',
  emitted: 'emitted',
  empty: 'empty',
};

export class AssembleMetrics {
  private readonly records: Counter<'event'>;
  private readonly texts: Counter;
  private readonly openChains: Gauge;
  private readonly counts: AssembleStats = {
    rounds: 0,
    closes: 0,
    duplicates: 0,
    otherRuns: 0,
    emitted: 0,
    texts: 0,
    empty: 0,
    deadLettered: 0,
    openChains: 0,
  };
  private readonly openByPartition = new Map<number, number>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.records = new Counter({
      name: 'ipt_assemble_records_total',
      help: 'SynthRound records by what happened to them (round, close, duplicate, other_run, emitted, empty)',
      labelNames: ['event'],
      registers,
    });
    this.texts = new Counter({
      name: 'ipt_assemble_texts_total',
      help: 'Rendered pre-training texts in emitted AugmentedRecords',
      registers,
    });
    this.openChains = new Gauge({
      name: 'ipt_assemble_open_chains',
      help: 'Chains waiting for rounds on this member',
      registers,
    });
  }

  event(event: AssembleEvent, texts = 0): void {
    this.records.inc({ event });
    this.counts[STAT_OF_EVENT[event]]++;
    if (event === 'emitted') {
      this.counts.texts += texts;
      this.texts.inc(texts);
    }
  }

  /** Open chains of one partition (0 once it is gone); the gauge shows the member's sum. */
  open(partition: number, chains: number): void {
    this.openByPartition.set(partition, chains);
    this.counts.openChains = [...this.openByPartition.values()].reduce((a, b) => a + b, 0);
    this.openChains.set(this.counts.openChains);
  }

  stats(deadLettered: number): AssembleStats {
    return { ...this.counts, deadLettered };
  }
}
