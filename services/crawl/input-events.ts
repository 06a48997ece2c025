// A crawl input's records as source events: opened by location, sniffed, decompressed and handed to
// the reader of its format (the same readers as `ipt ingest <paths>`). Unlike a one-off ingest, a
// read that breaks is not turned into a dead letter here: it throws, and the worker marks the whole
// input failed with the reason.

import type { CrawlInput } from '../../core/types.ts';
import type { SourceEvent } from '../ingest/events.ts';
import { decompress, peek } from '../ingest/input.ts';
import type { JsonFields } from '../ingest/json-doc.ts';
import type { RejectReason } from '../ingest/normalize.ts';
import { readerFor, sourceOf } from '../ingest/read.ts';
import { SNIFF_BYTES, sniffCompression, sniffFormat } from '../ingest/sniff.ts';
import { readParquet } from '../ingest/sources/parquet.ts';
import { formatOf, isUrl } from './descriptor.ts';
import { InputUnreadable, openInput } from './open.ts';

export interface EventOptions {
  fields: JsonFields;
  maxRecordBytes: number;
  /** Bytes of the input read (compressed, as stored). */
  onBytes(n: number): void;
}

/** Rejections after which a reader gives up on the rest of its input: the input is failed. */
export const INPUT_LOST: ReadonlySet<RejectReason> = new Set(['malformed_warc', 'truncated_parquet']);

async function* counted(source: AsyncIterable<Buffer>, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    onBytes(chunk.length);
    yield chunk;
  }
}

/** Every record of the input, in the order a re-read yields them again (so a count is a position). */
export async function* inputEvents(input: CrawlInput, options: EventOptions): AsyncGenerator<SourceEvent> {
  const forced = formatOf(input);
  const opened = await openInput(input.location);
  const raw = await peek(counted(opened.bytes, options.onBytes), SNIFF_BYTES);
  const compression = sniffCompression(raw.head);
  let plain: Awaited<ReturnType<typeof peek>>;
  try {
    plain = await peek(decompress(compression, raw.body), SNIFF_BYTES);
  } catch (error) {
    throw new InputUnreadable(`cannot decompress (${compression}): ${(error as Error).message}`);
  }
  const format = forced ?? sniffFormat(input.location, plain.head);
  const source = sourceOf(format, input.location);
  if (format === 'parquet') {
    // Parquet is read footer first: a local, uncompressed file only.
    if (isUrl(input.location) || compression !== 'none')
      throw new InputUnreadable('Parquet must be a local uncompressed file (it is read footer first)');
    for await (const _ of plain.body); // the byte count is the file's
    yield* readParquet(input.location, { source, fields: options.fields });
    return;
  }
  yield* readerFor(options, format, plain.body, source);
}
