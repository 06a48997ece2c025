// A plain text file (or stream) is one document. Only `maxBytes` are ever held; past that the
// input is rejected as too long with its head kept for the DLQ.

import { DLQ_MAX_VALUE_BYTES } from '../../../lib/dlq.ts';
import { plainDoc, rejected, type SourceEvent } from '../events.ts';
import { decodeUtf8 } from '../normalize.ts';

export interface TextOptions {
  source: string;
  maxBytes: number;
}

export async function* readText(
  body: AsyncIterable<Buffer>,
  options: TextOptions,
): AsyncGenerator<SourceEvent> {
  const { source } = options;
  const origin = 'whole input';
  const parts: Buffer[] = [];
  let length = 0;
  let kept = 0;
  // Past the limit, keep reading (to report the length) but hold nothing more.
  const cap = options.maxBytes + 1;
  for await (const chunk of body) {
    length += chunk.length;
    if (kept < cap) {
      const piece = chunk.subarray(0, cap - kept);
      parts.push(piece);
      kept += piece.length;
    }
  }
  const bytes = Buffer.concat(parts, kept);
  if (length > options.maxBytes) {
    yield rejected(
      'too_long',
      `input is ${length} bytes (limit ${options.maxBytes})`,
      { source, origin },
      bytes.subarray(0, DLQ_MAX_VALUE_BYTES),
      { originalLength: length, detail: { limit: String(options.maxBytes), length: String(length) } },
    );
    return;
  }
  const decoded = decodeUtf8(bytes);
  if (!decoded.ok) {
    yield rejected(decoded.reason, decoded.message, { source, origin }, bytes);
    return;
  }
  yield plainDoc(decoded.text, { source, origin }, { original: () => bytes });
}
