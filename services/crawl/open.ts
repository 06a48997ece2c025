// Opening a crawl input's bytes by location: local files and http(s) URLs. Another store (S3, GCS)
// is one more `InputOpener` in OPENERS, chosen by the location's scheme.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isUrl } from './descriptor.ts';

/** The input cannot be read at all, or stopped being readable: it is marked failed with this message. */
export class InputUnreadable extends Error {
  override readonly name = 'InputUnreadable';
}

export interface OpenedInput {
  bytes: AsyncIterable<Buffer>;
  /** Total bytes when the store says (file size, Content-Length), else null. */
  size: number | null;
}

export interface InputOpener {
  /** Whether this opener reads `location`. */
  handles(location: string): boolean;
  open(location: string): Promise<OpenedInput>;
}

export const fileOpener: InputOpener = {
  handles: (location) => !isUrl(location),
  async open(location) {
    const info = await stat(location).catch((error: NodeJS.ErrnoException) => {
      throw new InputUnreadable(`cannot open: ${error.code ?? error.message}`);
    });
    if (!info.isFile()) throw new InputUnreadable('not a file');
    return { bytes: createReadStream(location, { highWaterMark: 256 * 1024 }), size: info.size };
  },
};

export interface HttpOpenerOptions {
  /** Tries per request (the first included) on 5xx, 429 and lost connections. */
  attempts: number;
  /** Wait before the second try; doubled for each further one. */
  backoffMs: number;
}

export const DEFAULT_HTTP: HttpOpenerOptions = { attempts: 4, backoffMs: 500 };

/** A status worth asking again for: the server's trouble, not the request's. */
const retriable = (status: number): boolean => status >= 500 || status === 429 || status === 408;

/**
 * http(s) by GET. A body that breaks off is continued where it stopped with a range request when the
 * server serves ranges (Accept-Ranges: bytes and a 206 answer); otherwise the input fails, since
 * starting again from byte 0 would hand the readers the same bytes twice.
 */
export function httpOpener(options: HttpOpenerOptions = DEFAULT_HTTP): InputOpener {
  return {
    handles: isUrl,
    async open(location) {
      const first = await fetchWithRetries(location, 0, options);
      const length = Number(first.headers.get('content-length'));
      return {
        bytes: resumingBody(location, first, options),
        size: Number.isFinite(length) && length > 0 ? length : null,
      };
    },
  };
}

async function fetchWithRetries(url: string, from: number, options: HttpOpenerOptions): Promise<Response> {
  let lastProblem = '';
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    if (attempt > 1) await sleep(options.backoffMs * 2 ** (attempt - 2));
    try {
      const response = await fetch(url, from > 0 ? { headers: { range: `bytes=${from}-` } } : {});
      if (response.ok && (from === 0 || response.status === 206)) return response;
      await response.body?.cancel();
      if (from > 0 && response.status === 200)
        throw new InputUnreadable(`connection lost at byte ${from} and the server ignores ranges`);
      lastProblem = `HTTP ${response.status}`;
      if (!retriable(response.status)) break;
    } catch (error) {
      if (error instanceof InputUnreadable) throw error;
      lastProblem = (error as Error).message;
    }
  }
  throw new InputUnreadable(`${lastProblem} (after up to ${options.attempts} tries)`);
}

async function* resumingBody(
  url: string,
  first: Response,
  options: HttpOpenerOptions,
): AsyncGenerator<Buffer> {
  let response = first;
  let received = 0;
  const ranges = first.headers.get('accept-ranges') === 'bytes';
  for (;;) {
    try {
      if (!response.body) return;
      for await (const chunk of response.body) {
        const buf = Buffer.from(chunk);
        received += buf.length;
        yield buf;
      }
      return;
    } catch (error) {
      if (!ranges)
        throw new InputUnreadable(`connection lost at byte ${received}: ${(error as Error).message}`);
      response = await fetchWithRetries(url, received, options);
    }
  }
}

export const OPENERS: readonly InputOpener[] = [httpOpener(), fileOpener];

export function openInput(location: string, openers: readonly InputOpener[] = OPENERS): Promise<OpenedInput> {
  const opener = openers.find((o) => o.handles(location));
  if (!opener) return Promise.reject(new InputUnreadable(`no reader for ${location}`));
  return opener.open(location);
}
