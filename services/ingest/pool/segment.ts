// What crosses between ingest's main thread and a worker thread: a document without what cannot
// be copied (its original bytes' reader, the produce step's promises), the names of the steps to
// run on it, and back each step's verdict up to the first that does not keep it. Both sides use
// these; `runSegment` is the worker's whole job.

import type { Doc, Step, Verdict } from '../steps/step.ts';

/** A document as a worker thread gets and returns it (structured-clone copyable). */
export type PlainDoc = Omit<Doc, 'original' | 'sent'>;

/** A verdict as it comes back: a kept document travels once, after the last verdict. */
export type PlainVerdict =
  | { kind: 'keep'; detail?: Record<string, string>; how?: string; amounts?: Record<string, number> }
  | Exclude<Verdict, { kind: 'keep' }>;

export interface SegmentTask {
  /** Step names, in pipeline order. */
  steps: readonly string[];
  doc: PlainDoc;
}

export interface SegmentAnswer {
  /** One per step run, in order; the last may not keep. */
  verdicts: PlainVerdict[];
  /** The document after the last step that kept it. */
  doc: PlainDoc;
  /** The step that threw (its verdict is absent), with the error: `step_failed`, as on the main thread. */
  failed?: { step: string; name: string; message: string };
}

export const copyable = (doc: Doc): PlainDoc => {
  const { original: _original, sent: _sent, ...plain } = doc;
  return plain;
};

/** Runs the named steps on the document until one does not keep it or throws. */
export function runSegment(byName: ReadonlyMap<string, Step>, task: SegmentTask): SegmentAnswer {
  // The steps need a Doc; a copy has no original bytes (the main thread keeps those for the DLQ).
  let doc = { ...task.doc, original: noOriginal } as Doc;
  const verdicts: PlainVerdict[] = [];
  for (const name of task.steps) {
    const step = byName.get(name);
    let verdict: Verdict;
    try {
      if (!step) throw new Error(`no step ${name} on this worker thread`);
      const answer = step.process(doc);
      if (answer instanceof Promise)
        throw new Error(`step ${name} answered later: it cannot run on a worker thread`);
      verdict = answer;
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      return { verdicts, doc: copyable(doc), failed: { step: name, name: err.name, message: err.message } };
    }
    if (verdict.kind !== 'keep') {
      verdicts.push(verdict);
      break;
    }
    const { doc: kept, undo: _undo, ...rest } = verdict;
    verdicts.push(rest);
    doc = kept;
  }
  return { verdicts, doc: copyable(doc) };
}

function noOriginal(): Buffer {
  throw new Error("a document's original bytes stay on the main thread");
}
