// Reading inputs: files, directories, globs and streams, sniffed and decompressed, each handed to
// the reader of its format (sources/). Every event a reader yields goes to `run` (the step
// runner), several at once so the worker threads stay busy while this thread reads ahead; the
// runner takes their answers up in reading order, so documents are produced in the order read.

import { open } from 'node:fs/promises';
import type { SourceEvent } from './events.ts';
import { countBytes, decompress, expandPaths, fileBytes, peek } from './input.ts';
import type { JsonFields } from './json-doc.ts';
import { type Format, SNIFF_BYTES, sniffCompression, sniffFormat } from './sniff.ts';
import { readJsonl } from './sources/jsonl.ts';
import { readParquet } from './sources/parquet.ts';
import { readText } from './sources/text.ts';
import { readWarc } from './sources/warc.ts';
import type { Tally } from './steps/tally.ts';

export interface ReadOptions {
  fields: JsonFields;
  /** Largest single input record (JSONL line, text file, WARC payload) in bytes. */
  maxRecordBytes: number;
  /** Runs one event through the steps. */
  run(event: SourceEvent): Promise<unknown>;
  /** Events worth having in flight at once. */
  parallelism: number;
  tally: Tally;
  /** True once reading should stop (Ctrl-C): the current record is finished, nothing more read. */
  aborted(): boolean;
  /** The error writing failed with for good, if it has: reading stops with it. */
  failed(): Error | null;
}

export interface InputReader {
  /** Files, directories and globs, one after another. */
  ingestPaths(paths: readonly string[], options?: { format?: Format }): Promise<void>;
  /** One stream (stdin): format sniffed unless given; `source` labels its records (default "stdin"). */
  ingestStream(
    stream: AsyncIterable<Buffer | Uint8Array | string>,
    options?: { format?: Format; source?: string },
  ): Promise<void>;
}

const SOURCE_KIND: Record<Format, string> = {
  jsonl: 'jsonl',
  parquet: 'refinedweb',
  warc: 'warc',
  wet: 'wet',
  text: 'text',
};

/** RawDocument.source: `<kind>:<location>`, or just `stdin`. */
export const sourceOf = (format: Format, location: string): string =>
  location === 'stdin' ? 'stdin' : `${SOURCE_KIND[format]}:${location}`;

async function readHead(path: string, n: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const out = Buffer.alloc(n);
    const { bytesRead } = await handle.read(out, 0, n, 0);
    return out.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

const readError = (error: unknown, source: string, original: Buffer | null): SourceEvent => ({
  kind: 'reject',
  reason: 'read_error',
  message: `reading stopped: ${(error as Error).message}`,
  source,
  origin: 'stream',
  original,
});

/** Runs a reader's events through the steps, `parallelism` at a time. */
async function runEvents(
  options: ReadOptions,
  events: AsyncIterable<SourceEvent>,
  source: string,
): Promise<void> {
  const inFlight = new Set<Promise<unknown>>();
  try {
    for await (const event of events) {
      if (options.aborted()) break;
      const p: Promise<unknown> = options.run(event).finally(() => inFlight.delete(p));
      p.catch(() => {}); // awaited below; this only keeps a failure from going unhandled meanwhile
      inFlight.add(p);
      if (inFlight.size >= options.parallelism) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } catch (error) {
    await Promise.allSettled(inFlight);
    const failed = options.failed();
    if (failed) throw failed;
    // A stream that breaks mid-way (corrupt gzip, read error) loses its remainder, not the run.
    await options.run(readError(error, source, null));
  }
}

/** The reader of a format over decompressed bytes (Parquet aside: it needs random access). */
export function readerFor(
  options: Pick<ReadOptions, 'fields' | 'maxRecordBytes'>,
  format: Format,
  body: AsyncIterable<Buffer>,
  source: string,
): AsyncIterable<SourceEvent> {
  const { fields, maxRecordBytes } = options;
  if (format === 'jsonl') return readJsonl(body, { source, fields, maxLineBytes: maxRecordBytes });
  if (format === 'warc' || format === 'wet') return readWarc(body, { source, maxRecordBytes });
  return readText(body, { source, maxBytes: maxRecordBytes });
}

/** A byte stream (a file that is not an uncompressed Parquet shard, or stdin): sniffed, decompressed, read. */
async function ingestBytes(
  options: ReadOptions,
  raw: AsyncIterable<Buffer>,
  name: string,
  forced: Format | undefined,
): Promise<void> {
  const first = await peek(raw, SNIFF_BYTES);
  let plain: Awaited<ReturnType<typeof peek>>;
  try {
    plain = await peek(decompress(sniffCompression(first.head), first.body), SNIFF_BYTES);
  } catch (error) {
    // Corrupt from the very first bytes (gzip or zstd magic, then junk): the decoder fails before
    // anything reaches runEvents, which handles a stream that breaks later. Same outcome here — the
    // input is dead-lettered and the run goes on — instead of the error ending the whole run.
    const format = forced ?? sniffFormat(name, Buffer.alloc(0));
    await options.run(readError(error, sourceOf(format, name), first.head));
    return;
  }
  const format = forced ?? sniffFormat(name, plain.head);
  const source = sourceOf(format, name);
  if (format === 'parquet') {
    // Parquet needs random access (footer first): a pipe or a compressed file has none.
    // (Uncompressed Parquet files never get here; ingestPaths hands them to readParquet.)
    await options.run({
      kind: 'reject',
      reason: 'unsupported_format',
      message: 'Parquet must be an uncompressed file (it is read footer first)',
      source,
      origin: 'whole input',
      original: first.head,
    });
    for await (const _ of plain.body); // read to the end so the byte count is complete
    return;
  }
  await runEvents(options, readerFor(options, format, plain.body, source), source);
}

export function inputReader(options: ReadOptions): InputReader {
  const { tally } = options;
  const onBytes = (n: number) => tally.bytes(n);
  return {
    async ingestPaths(paths, opts = {}) {
      for (const path of await expandPaths(paths)) {
        if (options.aborted()) break;
        tally.file();
        const head = await readHead(path, SNIFF_BYTES);
        const format = opts.format ?? sniffFormat(path, head);
        if (format === 'parquet' && sniffCompression(head) === 'none') {
          // hyparquet reads by range (footer, then one row group at a time) and counts its bytes.
          const source = `${SOURCE_KIND.parquet}:${path}`;
          await runEvents(options, readParquet(path, { source, fields: options.fields, onBytes }), source);
        } else {
          await ingestBytes(options, fileBytes(path, onBytes), path, opts.format);
        }
      }
    },
    async ingestStream(stream, opts = {}) {
      tally.file();
      await ingestBytes(options, countBytes(stream, onBytes), opts.source ?? 'stdin', opts.format);
    },
  };
}
