// The dedup stage's rules in one process, for `ipt ingest --explain`: one partition owns every
// document and band key, and each message the protocol sends goes straight back to it, so a
// document is decided the moment it arrives — against the documents before it in this dry run
// only, since what the running stage has kept is not read.

import type { DedupMessage } from '../../core/types.ts';
import { DedupPartition, type DedupSettings } from './decide.ts';

export type LocalVerdict =
  | { kind: 'kept' }
  | { kind: 'duplicate' | 'near_duplicate'; keptDocId: string; similarity: number };

export class LocalDedup {
  private readonly partition: DedupPartition;

  constructor(readonly settings: DedupSettings) {
    // One partition owns every band key: each document sends one CLAIM.
    this.partition = new DedupPartition({ ...settings, partitionOf: () => 0 });
  }

  /** The verdict on one candidate (its records are not needed here). */
  decide(candidate: DedupMessage): LocalVerdict {
    const queue: DedupMessage[] = [candidate];
    let verdict: LocalVerdict | undefined;
    for (let m = queue.shift(); m; m = queue.shift())
      for (const effect of this.partition.handle(m)) {
        if (effect.kind === 'send') queue.push(effect.message);
        else if (effect.kind === 'keep' && effect.docId === candidate.doc_id) verdict = { kind: 'kept' };
        else if (effect.kind === 'drop' && effect.docId === candidate.doc_id)
          verdict = { kind: effect.reason, keptDocId: effect.keptDocId, similarity: effect.similarity };
      }
    if (!verdict) throw new Error(`the dedup rules left ${candidate.doc_id} undecided`);
    return verdict;
  }
}
