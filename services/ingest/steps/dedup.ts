// dedup: exact duplicates of a text produced within the window (the last N documents, restored
// from the raw topic at start: see ../dedup.ts) are dropped, counted, not dead-lettered. The hash is
// the stored text's, so by default only byte-identical texts are duplicates. The hash is remembered
// when the document passes, so two copies in flight at once are still one; should the document
// never reach Kafka, the runner's undo forgets it, so a retry is not called a duplicate.

import type { DedupWindow } from '../dedup.ts';
import { contentHashOf, docIdOf, keep, type Step } from './step.ts';

export function dedupStep(window: DedupWindow): Step {
  return {
    name: 'dedup',
    process(doc) {
      const hash = contentHashOf(doc);
      if (window.checkAndAdd(hash)) return { kind: 'duplicate', docId: docIdOf(doc) };
      return keep(doc, () => window.delete(hash));
    },
  };
}
