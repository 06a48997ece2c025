// POST /documents: JSON (one object, an array of them, or {"documents": [...]}), NDJSON, or one
// HTML page (text/html; `?url=` and `?id=` name it; its main content is extracted), into the
// ingestor. The reply comes after Kafka has acknowledged every record of the body, and says
// per document whether it was accepted, a duplicate or rejected (and why).
//
// What is dead-lettered and what is only answered: a body that was read but is not valid JSON (or
// nests deeper than the JSON depth limit), and every rejected document in it, go to the DLQ like
// any other input. A request refused before its
// body is read — missing/wrong token (401), too large (413), unknown media type (415) — is answered
// only: the sender still holds the data, and unauthenticated bytes have no place in the DLQ.
//
// Timeouts and connection limits are lib/http/limits.ts's: a client slow to send its headers or
// body gets 408, too many headers 431, and past the connection cap idle sockets make room.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DLQ_MAX_VALUE_BYTES } from '../../lib/dlq.ts';
import type { ConnectionCounts } from '../../lib/http/connection-cap.ts';
import { type HttpLimits, limitedServer } from '../../lib/http/limits.ts';
import { registerConnectionMetrics } from '../../lib/http/metrics.ts';
import { tokenCheck } from '../../lib/http-auth.ts';
import { DEFAULT_MAX_JSON_DEPTH, nestsDeeperThan } from '../../lib/json-depth.ts';
import type { Logger } from '../../lib/log.ts';
import { rejected, type SourceEvent } from './events.ts';
import { charsetOf, isHtml } from './html.ts';
import { givenId } from './ids.ts';
import type { Ingestor, Outcome } from './ingestor.ts';
import { DEFAULT_JSON_FIELDS, documentFromJson, type JsonFields } from './json-doc.ts';
import { decodeCharset, decodeUtf8, type RejectReason } from './normalize.ts';
import { readJsonl } from './sources/jsonl.ts';

export interface IngestHttpOptions {
  ingestor: Ingestor;
  /** Loopback unless told otherwise: exposing ingest is a deliberate act. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** When set, requests need `Authorization: Bearer <token>`. */
  token?: string;
  /** Largest request body in bytes. */
  maxBodyBytes?: number;
  fields?: JsonFields;
  /** Largest single NDJSON line. */
  maxRecordBytes?: number;
  /** Deepest JSON nesting taken (a body or an NDJSON line); deeper is refused unparsed. */
  maxJsonDepth?: number;
  /** Timeouts and connection limits; lib/http/limits.ts's defaults for any not given. */
  limits?: Partial<HttpLimits>;
  log?: Logger;
}

export interface IngestHttpServer {
  readonly url: string;
  connections(): ConnectionCounts;
  close(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

const NDJSON_TYPES = new Set([
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/x-jsonlines',
]);
const JSON_TYPES = new Set(['application/json', 'text/json']);

type BodyKind = 'json' | 'ndjson' | 'html';

function bodyKind(contentType: string | undefined): BodyKind | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (NDJSON_TYPES.has(type)) return 'ndjson';
  if (JSON_TYPES.has(type)) return 'json';
  return isHtml(type) ? 'html' : undefined;
}

class BodyTooLarge extends Error {}

/**
 * Reads a body up to `limit` bytes; past it rejects with BodyTooLarge and discards the rest as it
 * arrives (up to one more `limit`, then the connection is cut) so the client can read the 413
 * instead of seeing its upload reset mid-write.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (over) {
        if (size > 2 * limit) req.destroy();
        return;
      }
      if (size > limit) {
        over = true;
        parts.length = 0;
        reject(new BodyTooLarge());
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(parts, size));
    });
    req.on('error', (error) => {
      if (!over) reject(error);
    });
  });
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** A JSON body: one document, an array of them, or `{"documents": [...]}`. */
export function parseJsonBody(
  body: Buffer,
  maxDepth = DEFAULT_MAX_JSON_DEPTH,
): { ok: true; items: unknown[] } | { ok: false; reason: RejectReason; message: string } {
  const decoded = decodeUtf8(body);
  if (!decoded.ok) return decoded;
  if (nestsDeeperThan(body, maxDepth)) {
    return { ok: false, reason: 'json_too_deep', message: `JSON nested deeper than ${maxDepth} levels` };
  }
  let value: unknown;
  try {
    value = JSON.parse(decoded.text);
  } catch (error) {
    return { ok: false, reason: 'malformed_json', message: (error as Error).message };
  }
  if (Array.isArray(value)) return { ok: true, items: value };
  const documents = (value as { documents?: unknown } | null)?.documents;
  return { ok: true, items: Array.isArray(documents) ? documents : [value] };
}

type ItemResult =
  | { index: number; status: 'accepted'; doc_id: string; chunks: number }
  | { index: number; status: 'duplicate'; doc_id: string }
  | { index: number; status: 'rejected'; reason: string; message: string }
  | { index: number; status: 'skipped'; why: string };

function resultOf(index: number, outcome: Outcome): ItemResult {
  switch (outcome.status) {
    case 'accepted':
      return { index, status: 'accepted', doc_id: outcome.docId, chunks: outcome.chunks };
    case 'duplicate':
      return { index, status: 'duplicate', doc_id: outcome.docId };
    case 'rejected':
      return { index, status: 'rejected', reason: outcome.reason, message: outcome.message };
    case 'skipped':
      return { index, status: 'skipped', why: outcome.why };
  }
}

/** What every request of one endpoint shares. */
interface Endpoint {
  ingestor: Ingestor;
  maxBody: number;
  fields: JsonFields;
  maxLine: number;
  maxJsonDepth: number;
  authorized: (req: IncomingMessage) => boolean;
  /** Requests numbered so far (names each document's origin). */
  requests: number;
}

const SOURCE = 'http';

export async function startIngestHttp(options: IngestHttpOptions): Promise<IngestHttpServer> {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const endpoint: Endpoint = {
    ingestor: options.ingestor,
    maxBody,
    fields: options.fields ?? DEFAULT_JSON_FIELDS,
    maxLine: options.maxRecordBytes ?? maxBody,
    maxJsonDepth: options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH,
    authorized: tokenCheck(options.token),
    requests: 0,
  };
  const { server, connections } = limitedServer((req, res) => {
    if (refusedRoute(req, res, endpoint.ingestor)) return;
    documents(endpoint, req, res).catch((error: Error) => {
      if (req.destroyed && !req.complete) {
        // Cut off mid-body (a timeout answered 408, or the client went away): nothing was taken.
        options.log?.debug({ err: error.message }, 'POST /documents cut off before its body was read');
        return;
      }
      options.log?.error({ err: error.message }, 'POST /documents failed');
      if (!res.headersSent) send(res, 503, { error: error.message });
      else res.destroy();
    });
  }, options.limits);
  registerConnectionMetrics(options.ingestor.metrics.registry, 'ingest', connections);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  options.log?.info(
    { url, auth: Boolean(options.token), maxBodyBytes: maxBody },
    'ingest HTTP endpoint listening',
  );
  return {
    url,
    connections: connections.counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers a request that is not a POST /documents the ingestor can take now; true if it did. */
function refusedRoute(req: IncomingMessage, res: ServerResponse, ingestor: Ingestor): boolean {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/documents') send(res, 404, { error: 'not found' });
  else if (req.method !== 'POST') send(res, 405, { error: 'use POST' }, { allow: 'POST' });
  else {
    const ready = ingestor.ready();
    if (ready === true) return false;
    send(res, 503, { error: `not ready: ${ready}` }, { 'retry-after': '5' });
  }
  req.resume();
  return true;
}

async function documents(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const kind = admitted(endpoint, req, res);
  if (kind === undefined) return;
  const body = await readBodyOr413(req, res, endpoint.maxBody);
  if (!body) return;
  const n = ++endpoint.requests;
  const events =
    kind === 'html'
      ? [htmlEvent(req, body, n)]
      : kind === 'ndjson'
        ? await ndjsonEvents(endpoint, body, n)
        : await jsonEvents(endpoint, body, n, res);
  if (!events) return;
  const outcomes = await handleAll(endpoint.ingestor, events);
  // Durable before we answer: the caller may delete its copy once it sees 200.
  await Promise.all(
    outcomes.map((o) => (o.status === 'accepted' || o.status === 'rejected' ? o.delivered : undefined)),
  );
  const results = outcomes.map((o, i) => resultOf(i, o));
  const count = (status: ItemResult['status']) => results.filter((r) => r.status === status).length;
  send(res, 200, {
    accepted: count('accepted'),
    duplicates: count('duplicate'),
    rejected: count('rejected'),
    results,
  });
}

/**
 * A body's documents through the ingestor, as many at once as its worker threads can use (the
 * runner takes them up in body order, so duplicates within a body are found as before); the
 * outcomes in body order. A failure of one (the sink or the threads broken) fails the request.
 */
async function handleAll(ingestor: Ingestor, events: readonly SourceEvent[]): Promise<Outcome[]> {
  const outcomes: Promise<Outcome>[] = [];
  const inFlight = new Set<Promise<unknown>>();
  for (const event of events) {
    const outcome = ingestor.handle(event);
    outcomes.push(outcome);
    const settled: Promise<unknown> = outcome.catch(() => {}).finally(() => inFlight.delete(settled));
    inFlight.add(settled);
    if (inFlight.size >= ingestor.parallelism) await Promise.race(inFlight);
  }
  return Promise.all(outcomes);
}

/**
 * Checks what can be checked before the body is read (token, media type, declared size): whether
 * the body is, or undefined once the request has been answered.
 */
function admitted(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): BodyKind | undefined {
  if (!endpoint.authorized(req)) {
    // The connection goes with the answer: guessing tokens costs a new connection per guess.
    send(res, 401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer', connection: 'close' });
    req.resume();
    return undefined;
  }
  const kind = bodyKind(req.headers['content-type']);
  if (kind === undefined) {
    send(res, 415, {
      error: 'unsupported media type: send application/json, application/x-ndjson or text/html',
    });
    req.resume();
    return undefined;
  }
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > endpoint.maxBody) {
    // Refused before reading: the client learns it without uploading the body.
    sendTooLarge(res, endpoint.maxBody);
    req.resume();
    res.on('finish', () => req.destroy());
    return undefined;
  }
  return kind;
}

async function readBodyOr413(
  req: IncomingMessage,
  res: ServerResponse,
  maxBody: number,
): Promise<Buffer | undefined> {
  try {
    return await readBody(req, maxBody);
  } catch (error) {
    if (!(error instanceof BodyTooLarge)) throw error;
    sendTooLarge(res, maxBody);
    return undefined;
  }
}

function sendTooLarge(res: ServerResponse, maxBody: number): void {
  send(res, 413, { error: `body over ${maxBody} bytes`, limit: maxBody }, { connection: 'close' });
}

/**
 * An HTML body as one page, decoded in the charset of its Content-Type, else of its own meta tag,
 * else UTF-8; the extract step turns it into text.
 */
function htmlEvent(req: IncomingMessage, body: Buffer, n: number): SourceEvent {
  const where = { source: SOURCE, origin: `request ${n}` };
  const contentType = req.headers['content-type'];
  const query = new URL(req.url ?? '/', 'http://ingest').searchParams;
  const id = givenId(query.get('id') ?? undefined);
  if (!id.ok) return rejected(id.reason, id.message, where, body, { detail: { ...id.detail, field: 'id' } });
  const decoded = decodeCharset(body, charsetOf(body, contentType));
  if (!decoded.ok) {
    return rejected(decoded.reason, decoded.message, where, body, {
      id: id.id,
      ...(decoded.detail ? { detail: decoded.detail } : {}),
    });
  }
  return {
    kind: 'doc',
    text: decoded.text,
    html: true,
    id: id.id,
    url: query.get('url') || null,
    crawlDump: null,
    crawlSegment: null,
    crawlTime: null,
    metadata: contentType ? { content_type: contentType } : {},
    ...where,
    original: () => body,
  };
}

async function ndjsonEvents(endpoint: Endpoint, body: Buffer, n: number): Promise<SourceEvent[]> {
  const events: SourceEvent[] = [];
  const lines = readJsonl(
    (async function* () {
      yield body;
    })(),
    {
      source: SOURCE,
      fields: endpoint.fields,
      maxLineBytes: endpoint.maxLine,
      maxDepth: endpoint.maxJsonDepth,
    },
  );
  for await (const event of lines) {
    events.push(event.kind === 'skip' ? event : { ...event, origin: `request ${n} ${event.origin}` });
  }
  return events;
}

/** A JSON body's documents; a malformed body is dead-lettered and answered 400 (then undefined). */
async function jsonEvents(
  endpoint: Endpoint,
  body: Buffer,
  n: number,
  res: ServerResponse,
): Promise<SourceEvent[] | undefined> {
  const parsed = parseJsonBody(body, endpoint.maxJsonDepth);
  if (!parsed.ok) {
    const outcome = await endpoint.ingestor.handle({
      kind: 'reject',
      reason: parsed.reason,
      message: `request ${n}: ${parsed.message}`,
      source: SOURCE,
      origin: `request ${n}`,
      original: body.subarray(0, DLQ_MAX_VALUE_BYTES),
      originalLength: body.length,
    });
    if (outcome.status === 'rejected') await outcome.delivered;
    send(res, 400, { error: 'malformed body', reason: parsed.reason, message: parsed.message });
    return undefined;
  }
  return parsed.items.map((item, i) =>
    documentFromJson(item, endpoint.fields, {
      source: SOURCE,
      origin: `request ${n} item ${i}`,
      original: () => Buffer.from(JSON.stringify(item) ?? 'null'),
    }),
  );
}
