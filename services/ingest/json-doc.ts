// A JSON object (a JSONL line, an element of an HTTP body) → a candidate document. Pure.

import type { CandidateDoc, RejectedInput } from './events.ts';
import { givenId, typeOf } from './ids.ts';
import { reject } from './normalize.ts';

/** Which JSON fields hold what. The first present `text` field wins. */
export interface JsonFields {
  text: string[];
  url: string;
  id: string;
}

export const DEFAULT_JSON_FIELDS: Readonly<JsonFields> = { text: ['text', 'content'], url: 'url', id: 'id' };

/** RefinedWeb's own columns, honoured in JSON too so a RefinedWeb dump in JSONL keeps its crawl data. */
const CRAWL_FIELDS = { dump: 'dump', segment: 'segment', timestamp: 'timestamp' } as const;

/**
 * Epoch milliseconds from a crawl timestamp: a Date, an ISO string, or a number in seconds,
 * milliseconds, microseconds or nanoseconds (told apart by magnitude; crawls are after 2001).
 */
export function crawlTimeMs(value: unknown): number | null | undefined {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  const n = typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : Number.NaN;
  if (!Number.isFinite(n)) return undefined;
  const abs = Math.abs(n);
  if (abs < 1e11) return Math.round(n * 1000);
  if (abs < 1e14) return Math.round(n);
  if (abs < 1e17) return Math.round(n / 1e3);
  return Math.round(n / 1e6);
}

const optionalString = (value: unknown): string | null | undefined =>
  value === undefined || value === null ? null : typeof value === 'string' ? value : undefined;

/** Scalar values of a `metadata` object as strings; nested values are dropped. */
function metadataOf(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') out[k] = String(v);
  }
  return out;
}

export interface JsonWhere {
  source: string;
  origin: string;
  original: () => Buffer;
}

type Failure = Omit<RejectedInput, 'source' | 'origin' | 'original'>;
const fail = (r: ReturnType<typeof reject>): Failure => ({
  kind: 'reject',
  reason: r.reason,
  message: r.message,
  ...(r.detail ? { detail: r.detail } : {}),
});

/** Maps one parsed JSON value to a candidate, or says which field is wrong. */
export function documentFromJson(
  value: unknown,
  fields: JsonFields,
  where: JsonWhere,
): CandidateDoc | (Failure & { source: string; origin: string; original: Buffer }) {
  const failed = (f: Failure) => ({
    ...f,
    source: where.source,
    origin: where.origin,
    original: where.original(),
  });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return failed(fail(reject('wrong_field_type', `a document must be a JSON object, got ${typeOf(value)}`)));
  }
  const obj = value as Record<string, unknown>;
  const textField = fields.text.find((f) => obj[f] !== undefined);
  if (textField === undefined) {
    return failed(
      fail(
        reject('missing_field', `no text field (looked for ${fields.text.join(', ')})`, {
          field: fields.text.join(','),
        }),
      ),
    );
  }
  const text = obj[textField];
  if (typeof text !== 'string') {
    return failed(
      fail(
        reject('wrong_field_type', `field "${textField}" must be a string, got ${typeOf(text)}`, {
          field: textField,
        }),
      ),
    );
  }
  const url = optionalString(obj[fields.url]);
  if (url === undefined) {
    return failed(
      fail(
        reject('wrong_field_type', `field "${fields.url}" must be a string, got ${typeOf(obj[fields.url])}`, {
          field: fields.url,
        }),
      ),
    );
  }
  const id = givenId(obj[fields.id]);
  if (!id.ok) return failed(fail({ ...id, detail: { ...id.detail, field: fields.id } }));
  const dump = optionalString(obj[CRAWL_FIELDS.dump]);
  const segment = optionalString(obj[CRAWL_FIELDS.segment]);
  const time = crawlTimeMs(obj[CRAWL_FIELDS.timestamp]);
  for (const [field, v] of [
    [CRAWL_FIELDS.dump, dump],
    [CRAWL_FIELDS.segment, segment],
    [CRAWL_FIELDS.timestamp, time],
  ] as const) {
    if (v === undefined) {
      return failed(fail(reject('wrong_field_type', `field "${field}" has the wrong type`, { field })));
    }
  }
  return {
    kind: 'doc',
    text,
    id: id.id,
    url: url || null,
    crawlDump: dump ?? null,
    crawlSegment: segment ?? null,
    crawlTime: time ?? null,
    metadata: metadataOf(obj.metadata),
    source: where.source,
    origin: where.origin,
    original: where.original,
  };
}
