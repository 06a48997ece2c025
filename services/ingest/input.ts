// Opening inputs: expanding directories and globs, peeking at the first bytes, and undoing gzip
// or zstd on the fly. Everything streams; nothing here holds a whole file.

import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { glob } from 'tinyglobby';
import { type Compression, hasGlobSyntax } from './sniff.ts';

export class InputError extends Error {
  override readonly name = 'InputError';
}

/**
 * The files named by `paths`, in order: a file as is, a directory recursively (sorted, hidden
 * entries skipped), a glob when the path has glob syntax and no file has that exact name. A name
 * that matches nothing is an error before anything is produced — a typo must not look like success.
 */
export async function expandPaths(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (info?.isFile()) out.push(path);
    else if (info?.isDirectory()) out.push(...(await walk(path)));
    else if (!info && hasGlobSyntax(path)) {
      const matches = (await glob(path, { onlyFiles: true, dot: false, expandDirectories: false })).sort();
      if (matches.length === 0) throw new InputError(`no files match ${path}`);
      out.push(...matches);
    } else if (info) throw new InputError(`${path} is neither a file nor a directory`);
    else throw new InputError(`no such file or directory: ${path}`);
  }
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(path)));
    else if (e.isFile()) out.push(path);
  }
  return out;
}

/** Reads a stream's first `n` bytes and gives back a stream that still starts at byte 0. */
export async function peek(
  source: AsyncIterable<Buffer>,
  n: number,
): Promise<{ head: Buffer; body: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]();
  const buffered: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < n) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    buffered.push(next.value);
    size += next.value.length;
  }
  const head = Buffer.concat(buffered, size).subarray(0, n);
  async function* body(): AsyncGenerator<Buffer> {
    yield* buffered;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head, body: body() };
}

/** zstd through fzstd (pure JS; Node 20's zlib has no zstd). Handles concatenated frames. */
class ZstdDecompress extends Transform {
  private readonly decoder = new Decompress((chunk) => {
    this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.decoder.push(chunk);
      done();
    } catch (error) {
      done(error as Error);
    }
  }
  override _flush(done: TransformCallback): void {
    try {
      this.decoder.push(new Uint8Array(0), true);
      done();
    } catch (error) {
      done(error as Error);
    }
  }
}

/** The decompressed bytes of `source`. gzip: every member of a multi-member file (per-record WARC.gz). */
export function decompress(compression: Compression, source: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  if (compression === 'none') return source;
  const decoder = compression === 'gzip' ? createGunzip() : new ZstdDecompress();
  return Readable.from(source).pipe(decoder);
}

/** A file as a byte stream, reporting bytes read (compressed bytes, as on disk) to `onBytes`. */
export function fileBytes(path: string, onBytes?: (n: number) => void): AsyncIterable<Buffer> {
  return countBytes(createReadStream(path, { highWaterMark: 256 * 1024 }), onBytes);
}

export async function* countBytes(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  onBytes?: (n: number) => void,
): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    const buf =
      typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    onBytes?.(buf.length);
    yield buf;
  }
}
