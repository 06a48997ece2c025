// RefinedWeb Parquet shards (columns content, url, timestamp, dump, segment), read one row group at
// a time through hyparquet: only the footer and the current row group's column chunks are in memory.

import { open } from 'node:fs/promises';
import {
  type AsyncBuffer,
  type FileMetaData,
  type ParquetParsers,
  parquetMetadataAsync,
  parquetReadObjects,
} from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DLQ_MAX_VALUE_BYTES } from '../../../lib/dlq.ts';
import { rejected, type SourceEvent } from '../events.ts';
import { givenId, typeOf } from '../ids.ts';
import { crawlTimeMs, type JsonFields } from '../json-doc.ts';
import { decodeUtf8, type RejectReason } from '../normalize.ts';

export interface ParquetOptions {
  source: string;
  /** Which column holds the text (first present wins), the url and an id. */
  fields: JsonFields;
  onBytes?: (n: number) => void;
}

/** A string column value that was not valid UTF-8: kept as bytes so the row can be dead-lettered. */
class InvalidUtf8 {
  constructor(
    readonly bytes: Uint8Array,
    readonly reason: RejectReason,
    readonly message: string,
  ) {}
}

const PARSERS: Partial<ParquetParsers> = {
  // hyparquet decodes strings leniently (U+FFFD); ingest rejects invalid UTF-8 everywhere instead.
  stringFromBytes: (bytes: Uint8Array) => {
    if (bytes === undefined || bytes === null) return bytes;
    const decoded = decodeUtf8(bytes);
    return decoded.ok ? decoded.text : new InvalidUtf8(bytes, decoded.reason, decoded.message);
  },
  // Epoch milliseconds straight away: RawDocument.crawl_time is timestamp-millis.
  timestampFromMilliseconds: (v: bigint) => Number(v),
  timestampFromMicroseconds: (v: bigint) => Number(v / 1000n),
  timestampFromNanoseconds: (v: bigint) => Number(v / 1_000_000n),
};

/** A file as hyparquet's AsyncBuffer over one open handle, counting the bytes it reads. */
async function fileBuffer(path: string, onBytes?: (n: number) => void) {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  const buffer: AsyncBuffer = {
    byteLength: size,
    async slice(start: number, end?: number) {
      const stop = Math.min(end ?? size, size);
      const out = new Uint8Array(Math.max(0, stop - start));
      let done = 0;
      while (done < out.length) {
        const { bytesRead } = await handle.read(out, done, out.length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      onBytes?.(done);
      return out.buffer;
    },
  };
  return { buffer, size, close: () => handle.close() };
}

/** JSON of a row for a dead letter (Parquet rows hold bigints and bytes JSON cannot). */
function rowBytes(row: Record<string, unknown>): Buffer {
  return Buffer.from(
    JSON.stringify(row, (_k, v) =>
      typeof v === 'bigint'
        ? v.toString()
        : v instanceof InvalidUtf8
          ? Buffer.from(v.bytes).toString('base64')
          : v instanceof Uint8Array
            ? Buffer.from(v).toString('base64')
            : v,
    ),
  );
}

async function head(path: string, size: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const out = Buffer.alloc(Math.min(size, DLQ_MAX_VALUE_BYTES));
    await handle.read(out, 0, out.length, 0);
    return out;
  } finally {
    await handle.close();
  }
}

export async function* readParquet(path: string, options: ParquetOptions): AsyncGenerator<SourceEvent> {
  const { source } = options;
  const file = await fileBuffer(path, options.onBytes);
  try {
    let metadata: FileMetaData;
    try {
      metadata = await parquetMetadataAsync(file.buffer);
    } catch (error) {
      // A shard cut short (interrupted download or copy) loses its footer: the last 4 bytes are no
      // longer the PAR1 magic. Anything else wrong with the footer is a malformed file.
      const tail =
        file.size >= 4 ? Buffer.from(await file.buffer.slice(file.size - 4, file.size)) : Buffer.alloc(0);
      const truncated = tail.toString('latin1') !== 'PAR1';
      yield rejected(
        truncated ? 'truncated_parquet' : 'malformed_parquet',
        `${truncated ? 'truncated Parquet file (no footer)' : 'unreadable Parquet footer'}: ${(error as Error).message}`,
        { source, origin: 'footer' },
        await head(path, file.size),
        { originalLength: file.size, detail: { file_bytes: String(file.size) } },
      );
      return;
    }

    const columns = new Set(metadata.schema.slice(1).map((e) => e.name));
    const textColumn = options.fields.text.find((c) => columns.has(c));
    if (!textColumn) {
      yield rejected(
        'missing_field',
        `no text column (looked for ${options.fields.text.join(', ')}; file has ${[...columns].join(', ')})`,
        { source, origin: 'schema' },
        null,
        { detail: { field: options.fields.text.join(',') } },
      );
      return;
    }
    const wanted = [textColumn, options.fields.url, options.fields.id, 'timestamp', 'dump', 'segment'].filter(
      (c) => columns.has(c),
    );

    let rowStart = 0;
    for (const [group, rowGroup] of metadata.row_groups.entries()) {
      const rowEnd = rowStart + Number(rowGroup.num_rows);
      let rows: Record<string, unknown>[];
      try {
        rows = await parquetReadObjects({
          file: file.buffer,
          metadata,
          rowStart,
          rowEnd,
          columns: wanted,
          compressors,
          parsers: PARSERS,
        });
      } catch (error) {
        // One damaged row group costs its rows, not the rest of the shard.
        const truncated = rowGroup.columns.some(
          (c) =>
            Number(c.meta_data?.data_page_offset ?? 0) + Number(c.meta_data?.total_compressed_size ?? 0) >
            file.size,
        );
        yield rejected(
          truncated ? 'truncated_parquet' : 'malformed_parquet',
          `row group ${group} (rows ${rowStart}–${rowEnd - 1}) unreadable: ${(error as Error).message}`,
          { source, origin: `row group ${group}` },
          null,
          { detail: { row_group: String(group), rows: String(rowEnd - rowStart) } },
        );
        rowStart = rowEnd;
        continue;
      }
      for (const [i, row] of rows.entries()) {
        const rowIndex = rowStart + i;
        yield rowEvent(row, rowIndex, group, textColumn, options);
      }
      rowStart = rowEnd;
    }
  } finally {
    await file.close();
  }
}

function rowEvent(
  row: Record<string, unknown>,
  rowIndex: number,
  group: number,
  textColumn: string,
  options: ParquetOptions,
): SourceEvent {
  const where = { source: options.source, origin: `row ${rowIndex}` };
  const bad = (reason: RejectReason, message: string, field: string) =>
    rejected(reason, `row ${rowIndex}: ${message}`, where, rowBytes(row), {
      detail: { field, row: String(rowIndex) },
    });
  for (const [field, value] of Object.entries(row)) {
    if (value instanceof InvalidUtf8) return bad(value.reason, `column "${field}": ${value.message}`, field);
  }
  const text = row[textColumn];
  if (typeof text !== 'string') {
    return bad(
      text === null || text === undefined ? 'missing_field' : 'wrong_field_type',
      `column "${textColumn}" must be a string, got ${typeOf(text)}`,
      textColumn,
    );
  }
  const url = row[options.fields.url] ?? null;
  if (url !== null && typeof url !== 'string') return bad('wrong_field_type', 'url must be a string', 'url');
  const id = givenId(row[options.fields.id]);
  if (!id.ok) return bad(id.reason, id.message, options.fields.id);
  const dump = row.dump ?? null;
  const segment = row.segment ?? null;
  if (dump !== null && typeof dump !== 'string')
    return bad('wrong_field_type', 'dump must be a string', 'dump');
  if (segment !== null && typeof segment !== 'string')
    return bad('wrong_field_type', 'segment must be a string', 'segment');
  const time = crawlTimeMs(row.timestamp);
  if (time === undefined) return bad('wrong_field_type', 'timestamp is not a time', 'timestamp');
  return {
    kind: 'doc',
    text,
    id: id.id,
    url: url || null,
    crawlDump: dump,
    crawlSegment: segment,
    crawlTime: time,
    metadata: { row: String(rowIndex), row_group: String(group) },
    source: options.source,
    origin: where.origin,
    original: () => rowBytes(row),
  };
}
