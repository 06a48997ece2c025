// dedup, when the dedup stage decides (ARCHITECTURE.md §9): nothing is dropped here — ingest cannot
// know what other ingest processes produced — but the document's content hash and, for the
// near-duplicate check, its MinHash signature are worked out and travel with its candidate.
// `ipt ingest --explain` shows the verdict as the stage's.

import { signature } from '../minhash.ts';
import { contentHashOf, keep, type Step } from './step.ts';

export const DECIDED_BY_STAGE = 'the dedup stage (ipt dedup)';

export function dedupStageStep(nearDup: boolean): Step {
  return {
    name: 'dedup',
    pure: true,
    process(doc) {
      contentHashOf(doc);
      if (nearDup) doc.minhash = signature(doc.text);
      return keep(doc, undefined, { decided_by: DECIDED_BY_STAGE, near_dup: nearDup ? 'on' : 'off' });
    },
  };
}
