// Shard files of an export. Rows go to `<name>-00000.<ext>`, `<name>-00001.<ext>`, … (or one
// `<name>.<ext>` when unsharded), each written as `<file>.partial` and renamed once complete, so a
// file under its final name is always whole. Nothing time- or host-dependent goes into a shard:
// the same rows always give the same bytes.

import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { type ExportRow, jsonlLine } from './rows.ts';

export const EXPORT_FORMATS = ['jsonl', 'parquet'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ShardInfo {
  file: string;
  rows: number;
  tokens: number;
  bytes: number;
  sha256: string;
}

export interface ShardSinkOptions {
  dir: string;
  format: ExportFormat;
  /** File name stem. */
  name: string;
  /** Rows per shard; 0 writes a single unsharded file. */
  shardSize: number;
}

/** Parquet is written by a pinned writer label so the file bytes do not depend on the library's default. */
const PARQUET_CREATED_BY = 'ipt export (hyparquet-writer)';

interface OpenShard {
  file: string;
  rows: number;
  tokens: number;
  /** JSONL: streamed to disk while hashing. */
  stream?: WriteStream;
  hash?: ReturnType<typeof createHash>;
  bytes: number;
  /** Parquet: rows kept until the shard is complete (bounded by the shard size). */
  buffered?: ExportRow[];
}

export class ShardSink {
  readonly shards: ShardInfo[] = [];
  private current: OpenShard | undefined;

  constructor(private readonly options: ShardSinkOptions) {}

  fileName(index: number): string {
    const { name, format, shardSize } = this.options;
    return shardSize === 0 ? `${name}.${format}` : `${name}-${String(index).padStart(5, '0')}.${format}`;
  }

  /** Adds a row; resolves with the shard it completed, if it completed one. */
  async add(row: ExportRow): Promise<ShardInfo | undefined> {
    const shard = this.current ?? this.open();
    shard.rows++;
    shard.tokens += row.metadata.token_count;
    if (shard.buffered) shard.buffered.push(row);
    else await this.writeLine(shard, jsonlLine(row));
    if (this.options.shardSize > 0 && shard.rows >= this.options.shardSize) return this.close();
    return undefined;
  }

  /** Completes the open shard (an empty one if nothing was ever written, so an export always has a file). */
  async finish(): Promise<ShardInfo | undefined> {
    if (!this.current && this.shards.length === 0) this.open();
    return this.close();
  }

  private open(): OpenShard {
    const file = this.fileName(this.shards.length);
    const shard: OpenShard = { file, rows: 0, tokens: 0, bytes: 0 };
    if (this.options.format === 'parquet') shard.buffered = [];
    else {
      shard.stream = createWriteStream(this.partialPath(file));
      shard.hash = createHash('sha256');
    }
    this.current = shard;
    return shard;
  }

  private partialPath(file: string): string {
    return join(this.options.dir, `${file}.partial`);
  }

  private async writeLine(shard: OpenShard, line: string): Promise<void> {
    const bytes = Buffer.from(line, 'utf8');
    shard.hash?.update(bytes);
    shard.bytes += bytes.length;
    const stream = shard.stream as WriteStream;
    if (!stream.write(bytes)) await new Promise<void>((resolve) => stream.once('drain', resolve));
  }

  private async close(): Promise<ShardInfo | undefined> {
    const shard = this.current;
    if (!shard) return undefined;
    this.current = undefined;
    const partial = this.partialPath(shard.file);
    let sha256: string;
    if (shard.buffered) {
      const buffer = Buffer.from(parquetBytes(shard.buffered));
      sha256 = createHash('sha256').update(buffer).digest('hex');
      shard.bytes = buffer.length;
      await writeFile(partial, buffer);
    } else {
      const stream = shard.stream as WriteStream;
      await new Promise<void>((resolve, reject) => {
        stream.once('error', reject);
        stream.end(resolve);
      });
      sha256 = (shard.hash as ReturnType<typeof createHash>).digest('hex');
    }
    await rename(partial, join(this.options.dir, shard.file));
    const info: ShardInfo = {
      file: shard.file,
      rows: shard.rows,
      tokens: shard.tokens,
      bytes: shard.bytes,
      sha256,
    };
    this.shards.push(info);
    return info;
  }
}

/** A Parquet file with the same three columns as a JSONL line: text, id, metadata (JSON). */
function parquetBytes(rows: ExportRow[]): ArrayBuffer {
  return parquetWriteBuffer({
    columnData: [
      { name: 'text', data: rows.map((r) => r.text), type: 'STRING', nullable: false },
      { name: 'id', data: rows.map((r) => r.id), type: 'STRING', nullable: false },
      { name: 'metadata', data: rows.map((r) => r.metadata), type: 'JSON', nullable: false },
    ],
    rowGroupSize: 10_000,
    createdBy: PARQUET_CREATED_BY,
  });
}
