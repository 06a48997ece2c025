// What the dedup stage counts of its own — each document's verdict and the size of the state it
// holds — as Prometheus metrics and plain numbers for summaries. Restore time, lag, transactions
// and dead letters are the stream runtime's (ipt_dedup_state_restore_seconds, ipt_dedup_consumer_lag…).

import { Counter, Gauge, type Registry } from 'prom-client';

export type DedupVerdict = 'kept' | 'duplicate' | 'near_duplicate' | 'invalid';

export interface DedupStats {
  kept: number;
  duplicate: number;
  nearDuplicate: number;
  invalid: number;
  /** Documents remembered (decided or pending) and band keys, over this member's partitions. */
  documents: number;
  pending: number;
  bandKeys: number;
}

export interface PartitionSizes {
  documents: number;
  pending: number;
  bandKeys: number;
}

export class DedupMetrics {
  private readonly verdicts: Counter<'verdict'>;
  private readonly stateEntries: Gauge<'kind'>;
  private readonly counts = { kept: 0, duplicate: 0, nearDuplicate: 0, invalid: 0 };
  private readonly sizes = new Map<number, PartitionSizes>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.verdicts = new Counter({
      name: 'ipt_dedup_documents_total',
      help: 'Candidate documents by verdict (kept, duplicate, near_duplicate, invalid)',
      labelNames: ['verdict'],
      registers,
    });
    this.stateEntries = new Gauge({
      name: 'ipt_dedup_state_entries',
      help: 'State this member holds: documents, pending (undecided) documents, band keys',
      labelNames: ['kind'],
      registers,
    });
  }

  verdict(verdict: DedupVerdict): void {
    this.verdicts.inc({ verdict });
    if (verdict === 'near_duplicate') this.counts.nearDuplicate++;
    else this.counts[verdict]++;
  }

  /** One partition's state sizes (zeros once it is gone); the gauges show the member's sums. */
  partition(partition: number, sizes: PartitionSizes): void {
    this.sizes.set(partition, sizes);
    const sum = this.total();
    this.stateEntries.set({ kind: 'documents' }, sum.documents);
    this.stateEntries.set({ kind: 'pending' }, sum.pending);
    this.stateEntries.set({ kind: 'band_keys' }, sum.bandKeys);
  }

  private total(): PartitionSizes {
    const sum = { documents: 0, pending: 0, bandKeys: 0 };
    for (const s of this.sizes.values()) {
      sum.documents += s.documents;
      sum.pending += s.pending;
      sum.bandKeys += s.bandKeys;
    }
    return sum;
  }

  stats(): DedupStats {
    return { ...this.counts, ...this.total() };
  }
}
