// The tap's wire protocol and the pure decisions behind it: what a client may ask for (validated
// subscription messages), which records it gets (filters over a record's facets, deterministic
// sampling). No I/O here, so all of it is unit-tested (tests/unit/tap-protocol.test.ts).

import type { AugmentedRecord, DeadLetter, RawDocument, SynthRound } from '../../core/types.ts';
import type { Topics } from '../../lib/topics.ts';

/** The topics a tap streams, by role. State changelogs are internal and never streamed. */
export const TAP_ROLES = ['raw', 'rounds', 'augmented', 'dlq'] as const;
export type TapRole = (typeof TAP_ROLES)[number];

export type TapValue = RawDocument | SynthRound | AugmentedRecord | DeadLetter;

/**
 * Where a subscription starts. `now`: records read from now on, from the tap's shared reader (live
 * subscriptions are never paced: a client that cannot keep up loses records, with `dropped` notices).
 * The others get a reader of their own, paced by the client: it fetches only as fast as the client
 * takes records, so nothing is dropped.
 */
export type TapStart =
  | 'now'
  | 'earliest'
  | { timestamp: number }
  /** role → partition → next offset (a record's `offset` + 1 resumes after it); unnamed partitions start at their end. */
  | { offsets: Partial<Record<TapRole, Record<string, string>>> };

/**
 * Filters; a record must pass every one given. A list means any of its values. A filter that the
 * record has no data for hides it, except `run` on raw documents: documents belong to no run (every
 * run reads the same ones), so a run filter leaves them through.
 */
export interface TapFilters {
  /** A document id, or a parent id (matching its chunks `<id>#<i>`). */
  docId?: string[];
  /** A chain id, or a prefix of it ending at a `/` boundary (`<run>/<topic>/<partition>`). */
  chainId?: string[];
  /** Substring of the document's URL, case-insensitive. */
  url?: string[];
  /** Host name of the document's URL, or a parent domain of it. */
  domain?: string[];
  /** Run id. */
  run?: string[];
}

export interface Subscription {
  topics: TapRole[];
  from: TapStart;
  filters: TapFilters;
  /** Fraction of documents kept, in (0, 1]; the same documents for every client and every time. */
  sample: number;
}

/** Client → tap. */
export type ClientMessage = { type: 'subscribe'; subscription: Subscription } | { type: 'unsubscribe' };

/** What matching looks at: the ids a record concerns, gathered once per record. */
export interface Facets {
  docIds: string[];
  chainIds: string[];
  urls: string[];
  runs: string[];
}

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

const MAX_FILTER_VALUES = 100;
const MAX_FILTER_LENGTH = 1_000;
const FILTER_KEYS = ['docId', 'chainId', 'url', 'domain', 'run'] as const;
const SUBSCRIBE_KEYS = new Set(['type', 'topics', 'from', 'filters', 'sample', 'run', 'id']);

/**
 * Parses and validates one client message. Accepts roles (`raw`, `rounds`, `augmented`, `dlq`), the
 * canonical topic names (`ipt.docs.raw` …) and the tap's actual (namespaced) topic names.
 * Throws ProtocolError with a message meant for the client.
 */
export function parseClientMessage(text: string, topics: Topics): ClientMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProtocolError('message is not JSON');
  }
  if (!isObject(raw)) throw new ProtocolError('message must be a JSON object');
  if (raw.type === 'unsubscribe') return { type: 'unsubscribe' };
  if (raw.type !== 'subscribe') throw new ProtocolError('"type" must be "subscribe" or "unsubscribe"');
  for (const key of Object.keys(raw)) {
    if (!SUBSCRIBE_KEYS.has(key)) throw new ProtocolError(`unknown field "${key}"`);
  }
  const roles =
    raw.topics === undefined
      ? [...TAP_ROLES]
      : stringList(raw.topics, 'topics').map((name) => roleOf(name, topics));
  if (roles.length === 0) throw new ProtocolError('"topics" must name at least one topic');
  const filters = parseFilters(raw.filters);
  if (raw.run !== undefined) filters.run = [...(filters.run ?? []), ...stringList(raw.run, 'run')];
  let sample = 1;
  if (raw.sample !== undefined) {
    if (typeof raw.sample !== 'number' || !(raw.sample > 0 && raw.sample <= 1))
      throw new ProtocolError('"sample" must be a number in (0, 1]');
    sample = raw.sample;
  }
  return {
    type: 'subscribe',
    subscription: {
      topics: [...new Set(roles)],
      from: parseStart(raw.from, topics),
      filters,
      sample,
    },
  };
}

function roleOf(name: string, topics: Topics): TapRole {
  for (const role of TAP_ROLES) {
    if (name === role || name === topics[role] || name === CANONICAL[role]) return role;
  }
  throw new ProtocolError(`unknown topic "${name}"; the tap streams ${TAP_ROLES.join(', ')}`);
}

const CANONICAL: Record<TapRole, string> = {
  raw: 'ipt.docs.raw',
  rounds: 'ipt.synth.rounds',
  augmented: 'ipt.corpus.augmented',
  dlq: 'ipt.dlq',
};

function parseFilters(value: unknown): TapFilters {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new ProtocolError('"filters" must be an object');
  const out: TapFilters = {};
  for (const [key, v] of Object.entries(value)) {
    if (!(FILTER_KEYS as readonly string[]).includes(key))
      throw new ProtocolError(`unknown filter "${key}"; filters are ${FILTER_KEYS.join(', ')}`);
    if (v === undefined || v === null || v === '') continue;
    const list = stringList(v, `filters.${key}`).filter((s) => s !== '');
    if (list.length > 0) out[key as keyof TapFilters] = key === 'domain' ? list.map(normalizeDomain) : list;
  }
  return out;
}

function parseStart(value: unknown, topics: Topics): TapStart {
  if (value === undefined || value === 'now' || value === 'latest') return 'now';
  if (value === 'earliest') return 'earliest';
  if (isObject(value)) {
    if ('timestamp' in value) return { timestamp: parseTimestamp(value.timestamp) };
    if ('offsets' in value && isObject(value.offsets))
      return { offsets: parseOffsets(value.offsets, topics) };
  }
  throw new ProtocolError(
    '"from" must be "now", "earliest", {"timestamp": ms} or {"offsets": {topic: {partition: offset}}}',
  );
}

function parseTimestamp(t: unknown): number {
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0)
    throw new ProtocolError('"from.timestamp" must be milliseconds since the epoch');
  return t;
}

/** `{topic: {partition: offset}}`, topics named by role or by (namespaced) name. */
function parseOffsets(
  value: Record<string, unknown>,
  topics: Topics,
): Partial<Record<TapRole, Record<string, string>>> {
  const offsets: Partial<Record<TapRole, Record<string, string>>> = {};
  for (const [name, partitions] of Object.entries(value)) {
    const role = roleOf(name, topics);
    if (!isObject(partitions)) throw new ProtocolError(`"from.offsets.${name}" must map partition → offset`);
    offsets[role] = parsePartitionOffsets(name, partitions);
  }
  return offsets;
}

function parsePartitionOffsets(name: string, partitions: Record<string, unknown>): Record<string, string> {
  const byPartition: Record<string, string> = {};
  for (const [p, o] of Object.entries(partitions)) {
    if (!/^\d{1,9}$/.test(p)) throw new ProtocolError(`"from.offsets.${name}": bad partition "${p}"`);
    const offset = typeof o === 'number' ? String(o) : o;
    if (typeof offset !== 'string' || !/^\d{1,19}$/.test(offset))
      throw new ProtocolError(`"from.offsets.${name}.${p}" must be a non-negative offset`);
    byPartition[String(Number(p))] = offset;
  }
  return byPartition;
}

function stringList(value: unknown, field: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string'))
    throw new ProtocolError(`"${field}" must be a string or a list of strings`);
  if (list.length > MAX_FILTER_VALUES)
    throw new ProtocolError(`"${field}" has over ${MAX_FILTER_VALUES} values`);
  if (list.some((s) => s.length > MAX_FILTER_LENGTH))
    throw new ProtocolError(`"${field}" has a value over ${MAX_FILTER_LENGTH} characters`);
  return list;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const normalizeDomain = (d: string) =>
  d
    .trim()
    .toLowerCase()
    .replace(/^\.+|\.+$/g, '');

/**
 * The ids a record concerns. `urlOf` looks up a document's URL: only raw documents carry one, so the
 * tap remembers the URLs of documents it has read and lets URL and domain filters reach their rounds
 * and augmented records too.
 */
export function facetsOf(
  role: TapRole,
  value: TapValue,
  urlOf: (docId: string) => string | undefined = () => undefined,
): Facets {
  const facets = ownFacets(role, value);
  if (role !== 'raw') {
    for (const id of facets.docIds) {
      const url = urlOf(id);
      if (url !== undefined && !facets.urls.includes(url)) facets.urls.push(url);
    }
  }
  return facets;
}

/** The ids the record itself names. */
function ownFacets(role: TapRole, value: TapValue): Facets {
  switch (role) {
    case 'raw': {
      const doc = value as RawDocument;
      return {
        docIds: doc.parent_doc_id ? [doc.doc_id, doc.parent_doc_id] : [doc.doc_id],
        chainIds: [],
        urls: doc.url ? [doc.url] : [],
        runs: [],
      };
    }
    case 'rounds': {
      const round = value as SynthRound;
      return {
        docIds: round.doc_id ? [round.doc_id] : [],
        chainIds: [round.chain_id],
        urls: [],
        runs: [round.run.run_id],
      };
    }
    case 'augmented': {
      const record = value as AugmentedRecord;
      return {
        docIds: [...record.doc_ids],
        chainIds: [record.chain_id],
        urls: [],
        runs: [record.run.run_id],
      };
    }
    case 'dlq':
      return deadLetterFacets(value as DeadLetter);
  }
}

function deadLetterFacets(letter: DeadLetter): Facets {
  const present = (...values: (string | null | undefined)[]) => values.filter((v): v is string => Boolean(v));
  return {
    docIds: present(letter.doc_id),
    chainIds: present(letter.chain_id),
    urls: present(letter.context?.url),
    runs: present(letter.run_id),
  };
}

/** Whether a record with these facets passes every filter. */
export function matches(filters: TapFilters, facets: Facets, role: TapRole): boolean {
  if (
    filters.docId &&
    !filters.docId.some((d) => facets.docIds.some((id) => id === d || id.startsWith(`${d}#`)))
  )
    return false;
  if (
    filters.chainId &&
    !filters.chainId.some((c) =>
      facets.chainIds.some((id) => id === c || id.startsWith(c.endsWith('/') ? c : `${c}/`)),
    )
  )
    return false;
  if (filters.url) {
    const wanted = filters.url.map((u) => u.toLowerCase());
    if (!facets.urls.some((url) => wanted.some((w) => url.toLowerCase().includes(w)))) return false;
  }
  if (filters.domain) {
    const hosts = facets.urls.map(hostOf).filter((h): h is string => h !== undefined);
    if (!hosts.some((h) => filters.domain?.some((d) => h === d || h.endsWith(`.${d}`)))) return false;
  }
  if (filters.run && role !== 'raw' && !filters.run.some((r) => facets.runs.includes(r))) return false;
  return true;
}

export function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase().replace(/\.$/, '') || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sampling keeps whole documents: a document, its rounds, and any augmented record with one of its
 * documents kept, are kept together — so a sampled page still shows document → pairs → text. The
 * choice hashes the document id (FNV-1a), so it is the same for every client and every reconnect.
 * Records about no document (a dead letter with no doc id) hash their chain id or position.
 */
export function sampled(rate: number, facets: Facets, fallbackKey: string): boolean {
  if (rate >= 1) return true;
  const keys =
    facets.docIds.length > 0 ? facets.docIds.map(sampleKeyOfDoc) : [facets.chainIds[0] ?? fallbackKey];
  return keys.some((key) => unitHash(key) < rate);
}

/** Chunks `<parent>#<i>` sample with their parent, so a chunked text is kept or left whole. */
const sampleKeyOfDoc = (docId: string) => {
  const hash = docId.lastIndexOf('#');
  return hash > 0 ? docId.slice(0, hash) : docId;
};

/** FNV-1a (32 bit) of the UTF-16 code units, mapped to [0, 1). */
export function unitHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 2 ** 32;
}

/** JSON for a decoded Avro value: bytes (dead letters' key and value) as base64 strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (isBufferJson(v)) return Buffer.from(v.data).toString('base64');
    if (typeof v === 'bigint') return v.toString();
    return v;
  });
}

/** JSON.stringify has already turned a Buffer into {type: 'Buffer', data} when the replacer sees it. */
const isBufferJson = (v: unknown): v is { type: 'Buffer'; data: number[] } =>
  isObject(v) && v.type === 'Buffer' && Array.isArray(v.data) && Object.keys(v).length === 2;
