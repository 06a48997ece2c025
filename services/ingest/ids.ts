// Stable document ids and content hashes: pure functions (hashing is computation, not I/O).

import { createHash } from 'node:crypto';
import { type Rejection, reject } from './normalize.ts';

/** Hex SHA-256 of the normalized text's UTF-8 bytes: RawDocument.content_hash and the dedup key. */
export function contentHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Longest id a source may give; longer ones are rejected rather than cut (a cut id could collide). */
export const MAX_ID_LENGTH = 256;
// Control characters would make ids unprintable in logs and awkward as Kafka keys.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const ID_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The id a source gave, as a string: strings are trimmed, integers printed; anything else is not an
 * id. `null` when the source gave none (absent, null or empty).
 */
export function givenId(value: unknown): { ok: true; id: string | null } | Rejection {
  if (value === undefined || value === null) return { ok: true, id: null };
  let id: string;
  if (typeof value === 'string') id = value.trim();
  else if (typeof value === 'number' && Number.isSafeInteger(value)) id = String(value);
  else if (typeof value === 'bigint') id = value.toString();
  else return reject('wrong_field_type', `id must be a string or an integer, got ${typeOf(value)}`);
  if (id === '') return { ok: true, id: null };
  if (id.length > MAX_ID_LENGTH) {
    return reject('invalid_id', `id is ${id.length} characters (limit ${MAX_ID_LENGTH})`);
  }
  if (ID_CONTROL.test(id)) return reject('invalid_id', 'id contains control characters');
  return { ok: true, id };
}

/**
 * A document's stable id: the id its source gave, else a hash of url + text, so the same page
 * ingested twice gets the same key (and the same partition) while the same text under two urls
 * does not collide. 128 bits of SHA-256, hex.
 */
export function docIdFor(given: string | null, url: string | null, text: string): string {
  if (given !== null) return given;
  // NUL cannot occur in a url or in normalized text, so (url, text) pairs never run together.
  return createHash('sha256')
    .update(url ?? '', 'utf8')
    .update('\u0000')
    .update(text, 'utf8')
    .digest('hex')
    .slice(0, 32);
}

/** Chunk i of a document split for the token budget: `<parent>#<i>`. */
export const chunkDocId = (parent: string, index: number): string => `${parent}#${index}`;

/** A JSON-ish type name for messages ("array", "null", not just "object"). */
export function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
