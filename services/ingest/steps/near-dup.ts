// near-dup: a document whose MinHash signature estimates a Jaccard similarity at or above the
// threshold with one produced within the window (../near-dup.ts) is dead-lettered `near_duplicate`,
// naming the kept document and the estimate. Unlike an exact repeat it is not the same text, so it
// is kept in the DLQ for a look. The signature is remembered when the document passes, like the
// exact window's hash, and forgotten by the runner's undo should it never reach Kafka.

import { signature } from '../minhash.ts';
import type { NearDupWindow } from '../near-dup.ts';
import { docIdOf, keep, type Step } from './step.ts';

export function nearDupStep(window: NearDupWindow): Step {
  return {
    name: 'near_dup',
    process(doc) {
      const sig = signature(doc.text, window.params);
      const match = window.match(sig);
      const threshold = String(window.threshold);
      if (match) {
        const similarity = match.similarity.toFixed(3);
        return {
          kind: 'reject',
          reason: 'near_duplicate',
          message: `${doc.origin}: near-duplicate of ${match.docId} (estimated similarity ${similarity})`,
          detail: { kept_doc_id: match.docId, similarity, threshold },
        };
      }
      const docId = docIdOf(doc);
      doc.minhash = sig;
      window.add(docId, sig);
      return keep(doc, () => window.delete(docId), { threshold, window: String(window.size) });
    },
  };
}
