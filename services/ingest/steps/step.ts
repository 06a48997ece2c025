// A step of ingest's pipeline and what it answers for one document. Modelled on DataTrove: a
// pipeline is a list of small steps; a step keeps a document (as it is or changed) or drops it with
// a reason; the runner (runner.ts), not the step, counts and routes what it answers.
//
// Adding a step: a file in this folder exporting a function that returns a `Step`, and one line in
// pipeline.ts putting it in the list. The runner then counts its documents in, out and dropped by
// reason (`ipt_ingest_step_*_total{step}` and `IngestStats.steps`), dead-letters what it rejects,
// and turns an exception it throws into a dead letter with reason `step_failed`. A step whose
// verdict depends on the document alone says so (`pure`): it then runs on ingest's worker threads.

import type { CandidateDoc } from '../events.ts';
import { contentHash, docIdFor } from '../ids.ts';
import type { Rejection, RejectReason } from '../normalize.ts';
import type { Split } from '../tokenize.ts';

/** What the produce step wrote for a document. */
export interface Sent {
  docId: string;
  /** RawDocument records (its chunks, or 1). */
  records: number;
  tokens: number;
  /** Settles once Kafka has acknowledged every record. */
  delivered: Promise<void>;
}

/**
 * A document on its way through the steps: what its reader found, plus what steps worked out.
 * Documents belong to the pipeline: a step records what it worked out on the document it got and
 * passes that on (a copy per document per step costs more than the checking steps themselves); a
 * step that changes `text` passes on `withText(doc, text)` instead, a copy without what was worked
 * out from the old text.
 */
export interface Doc extends CandidateDoc {
  /** SHA-256 of `text`, once a step needed it (read it through `contentHashOf`). */
  hash?: string;
  /** The text's token count and the pieces it is sent as (the chunk step). */
  split?: Split;
  /** The text's MinHash signature (the near-dup step), carried in a header for the window's restore. */
  minhash?: Uint32Array;
  /** The language eld named (ISO 639-1) and its score (the language step). */
  lang?: string;
  langScore?: number;
  /** The produce step's records. */
  sent?: Sent;
  /**
   * The extract step found the page's main content (its chrome already gone): the lines step still
   * cleans what is left, but does not drop the page for it.
   */
  mainContent?: boolean;
}

export type Verdict =
  /**
   * Passed on. `undo` reverses what keeping it changed, for when it never reaches the raw topic;
   * `detail` says what the step found (a score, a rule's value), shown by `ipt ingest --explain`;
   * `how` names the way the step handled it, counted per step (`StepCounts.kept`); `amounts` are
   * quantities the step counted in it (the lines step's `lines_removed`), summed per step.
   */
  | {
      kind: 'keep';
      doc: Doc;
      undo?: () => void;
      detail?: Record<string, string>;
      how?: string;
      amounts?: Record<string, number>;
    }
  /** Dead-lettered: `reason` becomes the dead letter's `context.reason`, `detail` joins its context. */
  | { kind: 'reject'; reason: RejectReason; message: string; detail?: Record<string, string> }
  /** Not a document (a WARC request record): counted by `why`, nothing written. */
  | { kind: 'skip'; why: string }
  /** A repeat of a document already produced: counted, nothing written. */
  | { kind: 'duplicate'; docId: string };

export interface Step<In = Doc> {
  /** The `step` label of its metrics; short, lower case. */
  readonly name: string;
  process(input: In): Verdict | Promise<Verdict>;
  /**
   * The verdict depends on the document alone (no state kept between documents, nothing outside
   * read or written), so the step may run on a worker thread (../step-pool.ts): ingest's pool
   * rebuilds it there from the same options and runs it on a copy of the document.
   */
  readonly pure?: boolean;
  /** Releases what the step holds; called once, when ingest closes. */
  close?(): Promise<void>;
}

export const keep = (doc: Doc, undo?: () => void, detail?: Record<string, string>): Verdict => ({
  kind: 'keep',
  doc,
  ...(undo ? { undo } : {}),
  ...(detail ? { detail } : {}),
});

/** A rejection from the pure checks (normalize.ts), its message prefixed with where the input was. */
export const rejectAt = (doc: Doc, r: Rejection): Verdict => ({
  kind: 'reject',
  reason: r.reason,
  message: `${doc.origin}: ${r.message}`,
  ...(r.detail ? { detail: r.detail } : {}),
});

export const withText = (doc: Doc, text: string): Doc => ({
  ...doc,
  text,
  hash: undefined,
  split: undefined,
  minhash: undefined,
});

/** The content hash of the document's text, computed once (dedup and produce both need it). */
export function contentHashOf(doc: Doc): string {
  doc.hash ??= contentHash(doc.text);
  return doc.hash;
}

/** The document's stable id (the source's, else a hash of url and text). */
export const docIdOf = (doc: Doc): string => docIdFor(doc.id, doc.url, doc.text);
