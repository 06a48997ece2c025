// JSON Lines: one document per line. A bad line is dead-lettered with its bytes and the file goes on.

import { DLQ_MAX_VALUE_BYTES } from '../../../lib/dlq.ts';
import { DEFAULT_MAX_JSON_DEPTH, nestsDeeperThan } from '../../../lib/json-depth.ts';
import { rejected, type SourceEvent } from '../events.ts';
import { documentFromJson, type JsonFields } from '../json-doc.ts';
import { splitLines } from '../lines.ts';
import { decodeUtf8 } from '../normalize.ts';

export interface JsonlOptions {
  source: string;
  fields: JsonFields;
  maxLineBytes: number;
  /** Deepest JSON nesting parsed; a deeper line is rejected unparsed (json_too_deep). */
  maxDepth?: number;
}

const isBlank = (bytes: Buffer): boolean => bytes.every((b) => b === 0x20 || b === 0x09 || b === 0x0d);

export async function* readJsonl(
  body: AsyncIterable<Buffer>,
  options: JsonlOptions,
): AsyncGenerator<SourceEvent> {
  const { source } = options;
  for await (const line of splitLines(body, options.maxLineBytes, DLQ_MAX_VALUE_BYTES)) {
    const origin = `line ${line.number}`;
    if (line.kind === 'too_long') {
      yield rejected(
        'too_long',
        `line ${line.number} is ${line.length} bytes (limit ${options.maxLineBytes})`,
        { source, origin },
        line.head,
        {
          originalLength: line.length,
          detail: { limit: String(options.maxLineBytes), length: String(line.length) },
        },
      );
      continue;
    }
    const bytes = line.bytes;
    if (isBlank(bytes)) continue;
    const decoded = decodeUtf8(bytes);
    if (!decoded.ok) {
      yield rejected(decoded.reason, `${origin}: ${decoded.message}`, { source, origin }, bytes);
      continue;
    }
    const maxDepth = options.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
    if (nestsDeeperThan(bytes, maxDepth)) {
      yield rejected(
        'json_too_deep',
        `${origin}: JSON nested deeper than ${maxDepth} levels`,
        { source, origin },
        bytes,
      );
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(decoded.text);
    } catch (error) {
      yield rejected('malformed_json', `${origin}: ${(error as Error).message}`, { source, origin }, bytes);
      continue;
    }
    const doc = documentFromJson(value, options.fields, { source, origin, original: () => bytes });
    if (doc.kind === 'doc') doc.metadata.line = String(line.number);
    yield doc.kind === 'doc' ? doc : { ...doc, message: `${origin}: ${doc.message}` };
  }
}
