// POST /documents: JSON (one object, an array of them, or {"documents": [...]}) or NDJSON, into
// the ingestor. The reply comes after Kafka has acknowledged every record of the body, and says
// per document whether it was accepted, a duplicate or rejected (and why).
//
// What is dead-lettered and what is only answered: a body that was read but is not valid JSON, and
// every rejected document in it, go to the DLQ like any other input. A request refused before its
// body is read — missing/wrong token (401), too large (413), unknown media type (415) — is answered
// only: the sender still holds the data, and unauthenticated bytes have no place in the DLQ.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DLQ_MAX_VALUE_BYTES } from '../../lib/dlq.ts';
import { tokenCheck } from '../../lib/http-auth.ts';
import type { Logger } from '../../lib/log.ts';
import type { SourceEvent } from './events.ts';
import type { Ingestor, Outcome } from './ingestor.ts';
import { DEFAULT_JSON_FIELDS, documentFromJson, type JsonFields } from './json-doc.ts';
import { decodeUtf8, type RejectReason } from './normalize.ts';
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
  log?: Logger;
}

export interface IngestHttpServer {
  readonly url: string;
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
): { ok: true; items: unknown[] } | { ok: false; reason: RejectReason; message: string } {
  const decoded = decodeUtf8(body);
  if (!decoded.ok) return decoded;
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

export async function startIngestHttp(options: IngestHttpOptions): Promise<IngestHttpServer> {
  const { ingestor } = options;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const fields = options.fields ?? DEFAULT_JSON_FIELDS;
  const maxLine = options.maxRecordBytes ?? maxBody;
  const authorized = tokenCheck(options.token);
  const source = 'http';
  let requests = 0;

  async function documents(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!authorized(req)) {
      send(res, 401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer' });
      req.resume();
      return;
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const ndjson = NDJSON_TYPES.has(type);
    if (!ndjson && !JSON_TYPES.has(type)) {
      send(res, 415, { error: 'unsupported media type: send application/json or application/x-ndjson' });
      req.resume();
      return;
    }
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (declared > maxBody) {
      // Refused before reading: the client learns it without uploading the body.
      send(res, 413, { error: `body over ${maxBody} bytes`, limit: maxBody }, { connection: 'close' });
      req.resume();
      res.on('finish', () => req.destroy());
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req, maxBody);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        send(res, 413, { error: `body over ${maxBody} bytes`, limit: maxBody }, { connection: 'close' });
        return;
      }
      throw error;
    }
    const n = ++requests;
    const events: SourceEvent[] = [];
    if (ndjson) {
      for await (const event of readJsonl(
        (async function* () {
          yield body;
        })(),
        { source, fields, maxLineBytes: maxLine },
      )) {
        events.push(event.kind === 'skip' ? event : { ...event, origin: `request ${n} ${event.origin}` });
      }
    } else {
      const parsed = parseJsonBody(body);
      if (!parsed.ok) {
        const outcome = await ingestor.handle({
          kind: 'reject',
          reason: parsed.reason,
          message: `request ${n}: ${parsed.message}`,
          source,
          origin: `request ${n}`,
          original: body.subarray(0, DLQ_MAX_VALUE_BYTES),
          originalLength: body.length,
        });
        if (outcome.status === 'rejected') await outcome.delivered;
        send(res, 400, { error: 'malformed body', reason: parsed.reason, message: parsed.message });
        return;
      }
      parsed.items.forEach((item, i) => {
        events.push(
          documentFromJson(item, fields, {
            source,
            origin: `request ${n} item ${i}`,
            original: () => Buffer.from(JSON.stringify(item) ?? 'null'),
          }),
        );
      });
    }
    const outcomes: Outcome[] = [];
    for (const event of events) outcomes.push(await ingestor.handle(event));
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

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/documents') {
      send(res, 404, { error: 'not found' });
      req.resume();
      return;
    }
    if (req.method !== 'POST') {
      send(res, 405, { error: 'use POST' }, { allow: 'POST' });
      req.resume();
      return;
    }
    const ready = ingestor.ready();
    if (ready !== true) {
      send(res, 503, { error: `not ready: ${ready}` }, { 'retry-after': '5' });
      req.resume();
      return;
    }
    documents(req, res).catch((error: Error) => {
      options.log?.error({ err: error.message }, 'POST /documents failed');
      if (!res.headersSent) send(res, 503, { error: error.message });
      else res.destroy();
    });
  });
  server.requestTimeout = 120_000;
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
