// What every source reader yields: a candidate document, a rejected input (with its original
// bytes, for the DLQ), or something that is not a document at all (a WARC request record).

import type { RejectReason } from './normalize.ts';

export interface CandidateDoc {
  kind: 'doc';
  /** Decoded, not yet normalized text (an HTML page's markup until the extract step). */
  text: string;
  /**
   * true: `text` is an HTML page (a WARC response, an HTTP text/html body), for the extract step;
   * false: the extract step made `text` out of one.
   */
  html?: boolean;
  /** Id the source gave (already validated), or null. */
  id: string | null;
  url: string | null;
  crawlDump: string | null;
  crawlSegment: string | null;
  crawlTime: number | null;
  metadata: Record<string, string>;
  /** `<kind>:<location>` — RawDocument.source. */
  source: string;
  /** Where in the source (line 12, row 3 of row group 0, a WARC offset): for dead letters. */
  origin: string;
  /** The original bytes, for a dead letter if normalization rejects the text. */
  original: () => Buffer;
}

export interface RejectedInput {
  kind: 'reject';
  reason: RejectReason;
  message: string;
  detail?: Record<string, string>;
  source: string;
  origin: string;
  /** The original bytes, or their head when the input was too long to keep. */
  original: Buffer | null;
  /** Full length of the original when `original` is only its head. */
  originalLength?: number;
  id?: string | null;
}

export interface SkippedInput {
  kind: 'skip';
  /** Why this is not a document (`warc_request`, `not_text`, `http_status_404`, `blank_line`…). */
  why: string;
  source: string;
}

export type SourceEvent = CandidateDoc | RejectedInput | SkippedInput;

/** A document known by its text and where it came from; `extra` gives what else the source knows. */
export const plainDoc = (
  text: string,
  where: { source: string; origin: string },
  extra: Partial<Omit<CandidateDoc, 'kind'>> = {},
): CandidateDoc => ({
  kind: 'doc',
  text,
  id: null,
  url: null,
  crawlDump: null,
  crawlSegment: null,
  crawlTime: null,
  metadata: {},
  ...where,
  original: () => Buffer.from(text),
  ...extra,
});

export const rejected = (
  reason: RejectReason,
  message: string,
  where: { source: string; origin: string },
  original: Buffer | null,
  extra: { detail?: Record<string, string>; originalLength?: number; id?: string | null } = {},
): RejectedInput => ({ kind: 'reject', reason, message, ...where, original, ...extra });
