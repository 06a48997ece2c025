// decode: where a reader's output enters the pipeline. The readers decode as they frame records
// (UTF-8 and JSON for JSON Lines, warcio and the charset for WARC, hyparquet for Parquet), so what
// reaches this step is their verdict: a candidate document is kept, an input they could not decode
// is dead-lettered with their reason and its original bytes, and a record that is not a document
// (a WARC request) is skipped.

import type { SourceEvent } from '../events.ts';
import { keep, type Step } from './step.ts';

export function decodeStep(): Step<SourceEvent> {
  return {
    name: 'decode',
    process(event) {
      switch (event.kind) {
        case 'doc':
          return keep(event);
        case 'skip':
          return { kind: 'skip', why: event.why };
        case 'reject':
          return {
            kind: 'reject',
            reason: event.reason,
            message: event.message,
            ...(event.detail ? { detail: event.detail } : {}),
          };
      }
    },
  };
}
