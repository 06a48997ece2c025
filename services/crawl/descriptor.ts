// A crawl input's identity and descriptor. An input is known by its location: the same path or URL
// published twice is one input, which workers read once (the second descriptor finds it done).

import { createHash } from 'node:crypto';
import type { CrawlInput } from '../../core/types.ts';
import { FORMATS, type Format } from '../ingest/sniff.ts';

/** 32 hex characters of the location's sha256: the input's key on the inputs and progress topics. */
export function inputIdOf(location: string): string {
  return createHash('sha256').update(location).digest('hex').slice(0, 32);
}

export const isUrl = (location: string): boolean => /^https?:\/\//i.test(location);

export function describeInput(
  location: string,
  extra: { format?: Format | null; size?: number | null; baseUrl?: string | null } = {},
): CrawlInput {
  return {
    input_id: inputIdOf(location),
    location,
    format: extra.format ?? null,
    size: extra.size ?? null,
    base_url: extra.baseUrl ?? null,
    added_at: Date.now(),
  };
}

/** The descriptor's format if it names one ipt reads; undefined means "sniff it". */
export function formatOf(input: CrawlInput): Format | undefined {
  if (input.format === null) return undefined;
  if (!(FORMATS as readonly string[]).includes(input.format))
    throw new Error(`unknown format ${JSON.stringify(input.format)} (one of ${FORMATS.join(', ')})`);
  return input.format as Format;
}
