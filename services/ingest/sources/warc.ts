// Common Crawl WARC and WET files through warcio. WET `conversion` records are already text and are
// taken as they are; WARC `response` records with an HTML (or plain text) 200 body are turned into
// visible text. Request, metadata, revisit records and non-text responses are not documents: they
// are counted as skipped, not dead-lettered.

import { WARCParser, type WARCRecord } from 'warcio';
import { DLQ_MAX_VALUE_BYTES } from '../../../lib/dlq.ts';
import { rejected, type SourceEvent } from '../events.ts';
import { charsetOfContentType, charsetOfHtmlHead, htmlToText, isHtml, isPlainText } from '../html.ts';
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

export async function* readWarc(
  body: AsyncIterable<Buffer>,
  options: WarcOptions,
): AsyncGenerator<SourceEvent> {
  const { source } = options;
  let dump: string | null = null;
  let segment: string | null = null;
  const parser = new WARCParser(body, { keepHeadersCase: false, parseHttp: true });
  const records = parser[Symbol.asyncIterator]();
  for (;;) {
    let record: WARCRecord;
    try {
      const next = await records.next();
      if (next.done) return;
      record = next.value;
    } catch (error) {
      // The parser cannot find the next record boundary after this; the rest of the file is lost.
      yield rejected(
        'malformed_warc',
        `unreadable WARC record at byte ${parser.offset}: ${(error as Error).message}`,
        { source, origin: `offset ${parser.offset}` },
        null,
        { detail: { offset: String(parser.offset) } },
      );
      return;
    }
    const origin = `offset ${parser.offset}`;
    const type = record.warcType;
    if (type === 'warcinfo') {
      const info = crawlInfo(await record.contentText(), record.warcHeader('WARC-Filename'));
      dump = info.dump ?? dump;
      segment = info.segment ?? segment;
      continue;
    }
    if (type !== 'conversion' && type !== 'response') {
      await record.skipFully();
      yield { kind: 'skip', why: `warc_${type}`, source };
      continue;
    }
    let contentType: string | null | undefined;
    if (type === 'response') {
      const status = Number(record.httpHeaders?.statusCode ?? 0);
      contentType = record.httpHeaders?.headers.get('content-type');
      if (status !== 200) {
        await record.skipFully();
        yield { kind: 'skip', why: `http_status_${status}`, source };
        continue;
      }
      if (!isHtml(contentType) && !isPlainText(contentType)) {
        await record.skipFully();
        yield { kind: 'skip', why: 'not_text', source };
        continue;
      }
    }
    const url = record.warcTargetURI ?? null;
    const recordId = givenId(record.warcHeader('WARC-Record-ID')?.replace(/^<|>$/g, ''));
    const date = record.warcDate ? Date.parse(record.warcDate) : Number.NaN;
    const { bytes, length } = await readPayload(record, options.maxRecordBytes);
    const where = { source, origin };
    const id = recordId.ok ? recordId.id : null;
    if (length > options.maxRecordBytes) {
      yield rejected(
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
      continue;
    }
    let text: string;
    if (type === 'conversion') {
      const decoded = decodeUtf8(bytes);
      if (!decoded.ok) {
        yield rejected(decoded.reason, decoded.message, where, bytes, { id });
        continue;
      }
      text = decoded.text;
    } else {
      const charset =
        charsetOfContentType(contentType) ??
        (isHtml(contentType) ? charsetOfHtmlHead(bytes) : null) ??
        'utf-8';
      const decoded = decodeCharset(bytes, charset);
      if (!decoded.ok) {
        yield rejected(decoded.reason, decoded.message, where, bytes, {
          id,
          ...(decoded.detail ? { detail: decoded.detail } : {}),
        });
        continue;
      }
      text = isHtml(contentType) ? htmlToText(decoded.text) : decoded.text;
    }
    const metadata: Record<string, string> = { warc_type: type };
    if (contentType) metadata.content_type = contentType;
    if (record.warcDate) metadata.warc_date = record.warcDate;
    yield {
      kind: 'doc',
      text,
      id,
      url,
      crawlDump: dump,
      crawlSegment: segment,
      crawlTime: Number.isNaN(date) ? null : date,
      metadata,
      source,
      origin,
      original: () => bytes,
    };
  }
}
