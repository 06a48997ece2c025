// POST /documents on the real stack: token auth, body size limits, JSON and NDJSON, per-document
// results, dead letters for rejected documents, durability before the reply, ops endpoints.

import { request } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { type OpsServer, startOpsServer } from '../../lib/ops-server.ts';
import type { Topics } from '../../lib/topics.ts';
import { type IngestHttpServer, startIngestHttp } from '../../services/ingest/http.ts';
import { createIngestor, type Ingestor } from '../../services/ingest/ingestor.ts';
import { producedOn, prose } from '../helpers/ingest-fixtures.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';

const endpoints = loadEndpoints();
const TOKEN = `tok-${Math.random().toString(36).slice(2)}-secret`;
const MAX_BODY = 64 * 1024;
const logged: string[] = [];
const log = pino(
  { level: 'debug' },
  new Writable({
    write(chunk, _enc, done) {
      logged.push(String(chunk));
      done();
    },
  }),
);
let topics: Topics;
let ingestor: Ingestor;
let http: IngestHttpServer;
let ops: OpsServer;

beforeAll(async () => {
  topics = await freshTopics('ingest');
  ingestor = await createIngestor({
    brokers: endpoints.kafka.brokers,
    registryUrl: endpoints.registry.url,
    topics,
    dedupStage: false, // straight to the raw topic, so a reply can be checked there at once
    log,
  });
  http = await startIngestHttp({ ingestor, port: 0, token: TOKEN, maxBodyBytes: MAX_BODY, log });
  ops = await startOpsServer({ port: 0, registry: ingestor.metrics.registry, ready: ingestor.ready });
}, 120_000);

afterAll(async () => {
  await http?.close();
  await ingestor?.close();
  await ops?.close();
});

const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
  fetch(`${http.url}/documents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
    body,
  });

describe('POST /documents', () => {
  it('binds to loopback by default', () => {
    expect(http.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses requests without the token, or with a wrong one, and produces nothing', async () => {
    const body = JSON.stringify({ text: prose(900) });
    const none = await fetch(`${http.url}/documents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await post(body, { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await post(body, { authorization: TOKEN })).status).toBe(401);
    const { raw, dlq } = await producedOn(topics);
    expect(raw.filter((r) => r.text === prose(900))).toHaveLength(0);
    expect(dlq).toHaveLength(0);
  });

  it('accepts a JSON array; the records are in Kafka when the reply comes', async () => {
    const res = await post(
      JSON.stringify([{ id: 'h-1', text: prose(1), url: 'http://example.com/h1' }, { text: prose(2) }]),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { accepted: number; results: { status: string; doc_id: string }[] };
    expect(body.accepted).toBe(2);
    expect(body.results.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    expect(body.results[0]?.doc_id).toBe('h-1');
    const { raw } = await producedOn(topics);
    expect(raw.map((r) => r.doc_id).sort()).toEqual(body.results.map((r) => r.doc_id).sort());
    expect(raw.every((r) => r.source === 'http')).toBe(true);
  });

  it('takes NDJSON, reports each line, dead-letters the bad ones; repeats are left to the dedup stage', async () => {
    const ndjson = [
      JSON.stringify({ text: prose(3) }),
      '{"text": oops}',
      JSON.stringify({ text: '   ' }),
      JSON.stringify({ text: prose(1) }), // sent before as h-1: only the dedup stage drops repeats
    ].join('\n');
    const res = await post(ndjson, { 'content-type': 'application/x-ndjson' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      results: { status: string; reason?: string }[];
      duplicates: number;
      rejected: number;
    };
    expect(body.results.map((r) => r.reason ?? r.status)).toEqual([
      'accepted',
      'malformed_json',
      'empty_text',
      'accepted',
    ]);
    expect(body).toMatchObject({ duplicates: 0, rejected: 2 });
    const { dlq } = await producedOn(topics);
    expect(dlq.map((d) => d.context.reason).sort()).toEqual(['empty_text', 'malformed_json']);
    expect(dlq.every((d) => d.source_topic === 'http' && d.stage === 'INGEST')).toBe(true);
    expect(dlq.find((d) => d.context.reason === 'malformed_json')?.value?.toString()).toBe('{"text": oops}');
  });

  it('answers a body that is not JSON with 400 and dead-letters it', async () => {
    const res = await post('{"text": "no end');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ reason: 'malformed_json' });
    const { dlq } = await producedOn(topics);
    expect(dlq.filter((d) => d.value?.toString() === '{"text": "no end')).toHaveLength(1);
  });

  it('refuses a body over the limit with 413, by Content-Length or while streaming', async () => {
    const big = JSON.stringify({ text: prose(4, MAX_BODY + 100) });
    expect((await post(big)).status).toBe(413);
    // No Content-Length (chunked): cut off once the limit is passed.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${http.url}/documents`,
        { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < big.length; i += 4096) req.write(big.slice(i, i + 4096));
      req.end();
    });
    expect(status).toBe(413);
    const { raw } = await producedOn(topics);
    expect(raw.filter((r) => r.text === prose(4, MAX_BODY + 100))).toHaveLength(0);
  });

  it('answers other media types with 415 and other paths/methods with 404/405', async () => {
    expect((await post('hello', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await fetch(`${http.url}/documents`)).status).toBe(405);
    expect((await fetch(`${http.url}/other`)).status).toBe(404);
  });

  it('never logs the token', () => {
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('')).not.toContain(TOKEN);
  });
});

describe('ops endpoints', () => {
  it('serves /healthz, /readyz and Prometheus /metrics with ingest counters', async () => {
    expect((await fetch(`${ops.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${ops.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${ops.url}/metrics`)).text();
    expect(metrics).toMatch(/ipt_ingest_inputs_total\{outcome="accepted"\} 4/);
    expect(metrics).toMatch(/ipt_ingest_rejected_total\{reason="malformed_json"\} 2/);
  });
});
