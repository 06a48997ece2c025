// Common Crawl WARC and WET files through warcio. WET `conversion` records are already text and are
// taken as they are; WARC `response` records with an HTML (or plain text) 200 body are turned into
// text by the extract step. Request, metadata, revisit records and non-text responses are not documents: they
// are counted as skipped, not dead-lettered.

import { WARCParser, type WARCRecord } from 'warcio';
import { DLQ_MAX_VALUE_BYTES } from '../../../lib/dlq.ts';
import { type RejectedInput, rejected, type SourceEvent } from '../events.ts';
import { charsetOf, isHtml, isPlainText } from '../html.ts';
import { givenId } from '../ids.ts';
import { decodeCharset, decodeUtf8 } from '../normalize.ts';

export interface WarcOptions {
  source: string;
  /** Largest record payload read; bigger ones are rejected as too long (their head kept). */
  maxRecordBytes: number;
}

/** Reads a payload up to the limit; past it only the DLQ head is kept and the rest drained. */
async function readPayload(record: WARCRecord, maxBytes: number): Promise<{ bytes: Buffer; length: number }> {
  const parts: Buffer[] = [];
  let length = 0;
  let kept = 0;
  for await (const chunk of record) {
    length += chunk.length;
    const cap = length - chunk.length <= maxBytes ? maxBytes + 1 : 0;
    if (kept < cap) {
      const piece = Buffer.from(chunk.subarray(0, cap - kept));
      parts.push(piece);
      kept += piece.length;
    }
  }
  return { bytes: Buffer.concat(parts, kept), length };
}

/** `isPartOf` of a warcinfo record (CC-MAIN-2023-06) and the segment from its file name. */
function crawlInfo(payload: string, filename: string | null | undefined) {
  const dump = payload.match(/^isPartOf:\s*(\S+)/m)?.[1] ?? null;
  const segment =
    filename?.match(/segments\/([^/]+)\//)?.[1] ?? payload.match(/segments\/([^/\s]+)\//)?.[1] ?? null;
  return { dump, segment };
}

interface Crawl {
  dump: string | null;
  segment: string | null;
}

export async function* readWarc(
  body: AsyncIterable<Buffer>,
  options: WarcOptions,
): AsyncGenerator<SourceEvent> {
  const { source } = options;
  const crawl: Crawl = { dump: null, segment: null };
  const parser = new WARCParser(body, { keepHeadersCase: false, parseHttp: true });
  const records = parser[Symbol.asyncIterator]();
  for (;;) {
    const next = await nextRecord(records, parser, source);
    if (next === undefined) return;
    if ('unreadable' in next) {
      yield next.unreadable;
      return;
    }
    const { record } = next;
    if (record.warcType === 'warcinfo') {
      const info = crawlInfo(await record.contentText(), record.warcHeader('WARC-Filename'));
      crawl.dump = info.dump ?? crawl.dump;
      crawl.segment = info.segment ?? crawl.segment;
      continue;
    }
    const skip = skipReason(record);
    if (skip) {
      await record.skipFully();
      yield { kind: 'skip', why: skip, source };
      continue;
    }
    yield await documentOf(record, { source, origin: `offset ${parser.offset}` }, crawl, options);
  }
}

/** The next record; undefined at the end; a rejection when the parser lost the record boundaries. */
async function nextRecord(
  records: AsyncIterator<WARCRecord>,
  parser: WARCParser,
  source: string,
): Promise<{ record: WARCRecord } | { unreadable: RejectedInput } | undefined> {
  try {
    const next = await records.next();
    return next.done ? undefined : { record: next.value };
  } catch (error) {
    // The parser cannot find the next record boundary after this; the rest of the file is lost.
    const unreadable = rejected(
      'malformed_warc',
      `unreadable WARC record at byte ${parser.offset}: ${(error as Error).message}`,
      { source, origin: `offset ${parser.offset}` },
      null,
      { detail: { offset: String(parser.offset) } },
    );
    return { unreadable };
  }
}

/** Why a record is not a document (other record types, non-200 or non-text responses), if it is not. */
function skipReason(record: WARCRecord): string | undefined {
  const type = record.warcType;
  if (type !== 'conversion' && type !== 'response') return `warc_${type}`;
  if (type !== 'response') return undefined;
  const status = Number(record.httpHeaders?.statusCode ?? 0);
  if (status !== 200) return `http_status_${status}`;
  const contentType = record.httpHeaders?.headers.get('content-type');
  if (!isHtml(contentType) && !isPlainText(contentType)) return 'not_text';
  return undefined;
}

/** A conversion or text response record as a document, or why it was rejected. */
async function documentOf(
  record: WARCRecord,
  where: { source: string; origin: string },
  crawl: Crawl,
  options: WarcOptions,
): Promise<SourceEvent> {
  const type = record.warcType as 'conversion' | 'response';
  const contentType = type === 'response' ? record.httpHeaders?.headers.get('content-type') : undefined;
  const recordId = givenId(record.warcHeader('WARC-Record-ID')?.replace(/^<|>$/g, ''));
  const date = record.warcDate ? Date.parse(record.warcDate) : Number.NaN;
  const { bytes, length } = await readPayload(record, options.maxRecordBytes);
  const id = recordId.ok ? recordId.id : null;
  if (length > options.maxRecordBytes) {
    return rejected(
      'too_long',
      `record is ${length} bytes (limit ${options.maxRecordBytes})`,
      where,
      bytes.subarray(0, DLQ_MAX_VALUE_BYTES),
      {
        originalLength: length,
        id,
        detail: { limit: String(options.maxRecordBytes), length: String(length) },
      },
    );
  }
  const text = type === 'conversion' ? decodeUtf8(bytes) : responseText(bytes, contentType);
  if (!text.ok) {
    return rejected(text.reason, text.message, where, bytes, {
      id,
      ...(text.detail ? { detail: text.detail } : {}),
    });
  }
  const metadata: Record<string, string> = { warc_type: type };
  if (contentType) metadata.content_type = contentType;
  if (record.warcDate) metadata.warc_date = record.warcDate;
  return {
    kind: 'doc',
    text: text.text,
    ...(type === 'response' && isHtml(contentType) ? { html: true } : {}),
    id,
    url: record.warcTargetURI ?? null,
    crawlDump: crawl.dump,
    crawlSegment: crawl.segment,
    crawlTime: Number.isNaN(date) ? null : date,
    metadata,
    ...where,
    original: () => bytes,
  };
}

/** A response body decoded in its declared (or sniffed) charset; HTML stays HTML for the extract step. */
function responseText(bytes: Buffer, contentType: string | null | undefined) {
  return decodeCharset(bytes, charsetOf(bytes, contentType));
}
