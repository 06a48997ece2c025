// Which reader an input needs, from its name and first bytes: pure functions.
// Content wins over the name (a `.txt` holding a Parquet file is Parquet); the name decides
// only what bytes cannot (JSON Lines vs a plain text that happens to start with `{`).

export type Compression = 'gzip' | 'zstd' | 'none';
export type Format = 'jsonl' | 'parquet' | 'warc' | 'wet' | 'text';
export const FORMATS: readonly Format[] = ['jsonl', 'parquet', 'warc', 'wet', 'text'];

/** Bytes to read before deciding; enough for every magic number and a WARC header line. */
export const SNIFF_BYTES = 64;

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const startsWith = (head: Uint8Array, magic: readonly number[]): boolean =>
  head.length >= magic.length && magic.every((b, i) => head[i] === b);
const ascii = (head: Uint8Array, n: number): string => String.fromCharCode(...head.subarray(0, n));

/** Compression from the magic number alone: names lie (`.gz` files that were already unpacked). */
export function sniffCompression(head: Uint8Array): Compression {
  if (startsWith(head, GZIP_MAGIC)) return 'gzip';
  if (startsWith(head, ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

/** The name without a compression suffix: `a.jsonl.gz` → `a.jsonl`. */
export function stripCompressionSuffix(name: string): string {
  return name.replace(/\.(gz|gzip|zst|zstd)$/i, '');
}

const JSONL_EXT = /\.(jsonl|ndjson|json|jsonlines)$/i;
const TEXT_EXT = /\.(txt|text|md)$/i;

/**
 * The format of (decompressed) content. `name` is the input's name with any compression suffix
 * still on; `head` the first bytes after decompression.
 */
export function sniffFormat(name: string, head: Uint8Array): Format {
  const base = stripCompressionSuffix(name.toLowerCase());
  if (ascii(head, 4) === 'PAR1') return 'parquet';
  if (ascii(head, 5) === 'WARC/') return base.endsWith('.wet') ? 'wet' : 'warc';
  if (base.endsWith('.parquet')) return 'parquet';
  if (/\.(warc|arc)$/.test(base)) return 'warc';
  if (base.endsWith('.wet')) return 'wet';
  if (JSONL_EXT.test(base)) return 'jsonl';
  if (TEXT_EXT.test(base)) return 'text';
  // No telling name: a first non-blank `{` means JSON Lines (stdin, HTTP-less pipes).
  // (A UTF-8 byte-order mark is skipped like whitespace.)
  const first = head.find((b) => ![0x20, 0x09, 0x0a, 0x0d, 0xef, 0xbb, 0xbf].includes(b));
  return first === 0x7b ? 'jsonl' : 'text';
}

/** Globs are expanded only when the path has glob syntax and no such file exists. */
export const hasGlobSyntax = (path: string): boolean => /[*?[\]{}]/.test(path);
