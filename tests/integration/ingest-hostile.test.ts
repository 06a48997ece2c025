// POST /documents under hostile clients, on the real stack: 50 slow-header and 50 slow-body
// connections (408), a flood of bad tokens (401, connection closed), a body over the limit (413),
// JSON nested too deep (400, dead-lettered), idle connections past the cap (evicted) — and during
// each, a legitimate client is still served and every document it was told was accepted is in Kafka.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEndpoints } from '../../lib/endpoints.ts';
import type { Topics } from '../../lib/topics.ts';
import { type IngestHttpServer, startIngestHttp } from '../../services/ingest/http.ts';
import { createIngestor, type Ingestor } from '../../services/ingest/ingestor.ts';
import { producedOn, prose } from '../helpers/ingest-fixtures.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';
import { type RawClient, rawClient, statusOf, trickle } from '../helpers/raw-socket.ts';

const endpoints = loadEndpoints();
const TOKEN = `tok-${Math.random().toString(36).slice(2)}`;
const MAX_BODY = 64 * 1024;
const ATTACKERS = 50;
let topics: Topics;
let ingestor: Ingestor;
let http: IngestHttpServer;
const attackers: RawClient[] = [];
/** doc_ids the endpoint answered `accepted` for. */
const accepted: string[] = [];
let nextDoc = 0;

beforeAll(async () => {
  topics = await freshTopics('ingest-hostile');
  ingestor = await createIngestor({
    brokers: endpoints.kafka.brokers,
    registryUrl: endpoints.registry.url,
    topics,
    dedupStage: false, // straight to the raw topic: dedup is not what this tests
  });
  http = await startIngestHttp({
    ingestor,
    port: 0,
    token: TOKEN,
    maxBodyBytes: MAX_BODY,
    maxJsonDepth: 16,
    limits: { headersTimeoutMs: 500, requestTimeoutMs: 1_000, maxConnections: 2 * ATTACKERS + 20 },
  });
}, 120_000);

afterAll(async () => {
  for (const a of attackers) a.socket.destroy();
  await http?.close();
  await ingestor?.close();
});

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${http.url}/documents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
    body,
  });

/** A legitimate client's request; remembers what was accepted. */
async function legitimate(): Promise<void> {
  const res = await post(JSON.stringify([{ text: prose(10_000 + nextDoc++) }]));
  expect(res.status).toBe(200);
  const body = (await res.json()) as { results: { status: string; doc_id: string }[] };
  expect(body.results[0]?.status).toBe('accepted');
  accepted.push(body.results[0]?.doc_id as string);
}

const attack = async (n: number, start: (a: RawClient) => void) => {
  const opened = await Promise.all(Array.from({ length: n }, () => rawClient(http.url)));
  attackers.push(...opened);
  for (const a of opened) start(a);
  return opened;
};

describe('POST /documents under attack', () => {
  it('cuts off slow headers and slow bodies with 408 while serving a legitimate client', async () => {
    const slowHeaders = await attack(ATTACKERS, (a) => {
      a.socket.write('POST /documents HTTP/1.1\r\nHost: x\r\n');
      trickle(a.socket, 'X-Slow: 1\r\n', 100);
    });
    const slowBodies = await attack(ATTACKERS, (a) => {
      a.socket.write(
        `POST /documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\ncontent-type: application/json\r\nContent-Length: 50000\r\n\r\n[`,
      );
      trickle(a.socket, ' ', 100);
    });
    await legitimate();
    await Promise.all([...slowHeaders, ...slowBodies].map((a) => a.closed));
    expect(new Set([...slowHeaders, ...slowBodies].map(statusOf))).toEqual(new Set([408]));
    await legitimate();
  });

  it('answers a flood of bad tokens with 401 and closes each connection', async () => {
    const flood = Array.from({ length: 200 }, (_, i) =>
      post('{"text":"x"}', { authorization: `Bearer guess-${i}` }).then((r) => [
        r.status,
        r.headers.get('connection'),
      ]),
    );
    await legitimate();
    for (const [status, connection] of await Promise.all(flood)) {
      expect(status).toBe(401);
      expect(connection).toBe('close');
    }
  });

  it('refuses a body over the limit (413) and JSON nested too deep (400, dead-lettered)', async () => {
    expect((await post(JSON.stringify({ text: prose(5, MAX_BODY + 10) }))).status).toBe(413);
    const deep = `{"text":"deep","x":${'['.repeat(5_000)}${']'.repeat(5_000)}}`;
    const res = await post(deep);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ reason: 'json_too_deep' });
    const ndjson = await post(`${JSON.stringify({ text: prose(6) })}\n${'['.repeat(100)}${']'.repeat(100)}`, {
      'content-type': 'application/x-ndjson',
    });
    const lines = (await ndjson.json()) as {
      results: { status: string; reason?: string; doc_id?: string }[];
    };
    expect(lines.results.map((r) => r.reason ?? r.status)).toEqual(['accepted', 'json_too_deep']);
    accepted.push(lines.results[0]?.doc_id as string);
    const { dlq } = await producedOn(topics);
    expect(dlq.filter((d) => d.context.reason === 'json_too_deep')).toHaveLength(2);
  });

  it('lets idle connections past the cap make room for a legitimate client', async () => {
    const before = http.connections().evicted;
    await attack(3 * ATTACKERS, () => {});
    // 150 idle sockets against a cap of 120: at least 30 were pushed out as the others came.
    for (let i = 0; i < 100 && http.connections().evicted - before < ATTACKERS - 20; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(http.connections().evicted - before).toBeGreaterThanOrEqual(ATTACKERS - 20);
    await legitimate();
    expect(http.connections().open).toBeLessThanOrEqual(2 * ATTACKERS + 20);
  });

  it('lost nothing it accepted', async () => {
    const { raw } = await producedOn(topics);
    const inKafka = new Set(raw.map((r) => r.doc_id));
    expect(accepted.length).toBeGreaterThanOrEqual(5);
    expect(accepted.filter((id) => !inKafka.has(id))).toEqual([]);
  });
});
