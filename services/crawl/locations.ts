// What `ipt crawl add` is given, as input descriptors: local files, directories and globs (made
// absolute, with their sizes), http(s) URLs, and listings — a file or URL whose name ends in
// `.paths` or `.paths.gz` (Common Crawl's warc.paths.gz), one location per line, relative ones
// resolved against a base URL.

import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { CrawlInput } from '../../core/types.ts';
import { decompress, expandPaths, peek } from '../ingest/input.ts';
import { type Format, sniffCompression } from '../ingest/sniff.ts';
import { describeInput, isUrl } from './descriptor.ts';
import { openInput } from './open.ts';

/** Where Common Crawl serves the paths its listings name. */
export const COMMON_CRAWL_BASE_URL = 'https://data.commoncrawl.org/';

export const isListing = (location: string): boolean => /\.paths(\.gz)?$/i.test(location);

export interface AddOptions {
  format?: Format;
  /** Base of a listing's relative paths (default Common Crawl's). */
  baseUrl?: string;
}

export async function describeLocations(
  args: readonly string[],
  options: AddOptions = {},
): Promise<CrawlInput[]> {
  const out: CrawlInput[] = [];
  const format = options.format ?? null;
  for (const arg of args) {
    if (isListing(arg)) out.push(...(await listingInputs(arg, options)));
    else if (isUrl(arg)) out.push(describeInput(arg, { format }));
    else {
      for (const path of await expandPaths([arg])) {
        const absolute = resolve(path);
        out.push(describeInput(absolute, { format, size: (await stat(absolute)).size }));
      }
    }
  }
  return out;
}

/** One descriptor per non-empty line of a listing (gzip or plain, local or http). */
async function listingInputs(listing: string, options: AddOptions): Promise<CrawlInput[]> {
  const base = options.baseUrl ?? COMMON_CRAWL_BASE_URL;
  const opened = await openInput(isUrl(listing) ? listing : resolve(listing));
  const raw = await peek(opened.bytes, 4);
  const lines = createInterface({ input: Readable.from(decompress(sniffCompression(raw.head), raw.body)) });
  const out: CrawlInput[] = [];
  for await (const line of lines) {
    const path = line.trim();
    if (!path) continue;
    const location = isUrl(path) || path.startsWith('/') ? path : new URL(path, base).toString();
    out.push(
      describeInput(location, { format: options.format ?? null, baseUrl: location === path ? null : base }),
    );
  }
  return out;
}
