// The tap against the real stack: who may connect (token, origin, client limit, message size,
// heartbeats), what a subscription delivers (decoded JSON, filters, positions), and fan-out to 200
// clients while one never reads — the others get every record and the tap's Kafka reading goes on.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawDocument } from '../../core/types.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { avroCodec, registryClient } from '../../lib/registry.ts';
import type { Topics } from '../../lib/topics.ts';
import { CLOSE_TOO_SLOW, startTap, type TapServer } from '../../services/tap/server.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';
import { produceRawDocuments, rawDocument, sampleText } from '../helpers/raw-docs.ts';
import { runIpt, spawnIpt } from '../helpers/service-process.ts';
import { TapTestClient } from '../helpers/tap-client.ts';

const TOKEN = 'tap-test-token-0123456789';
const SLOW_CLIENT = fileURLToPath(new URL('../helpers/slow-ws-client.py', import.meta.url));
const endpoints = loadEndpoints();
const kafka = new Kafka({ clientId: 'tap-test', brokers: endpoints.kafka.brokers, logLevel: logLevel.ERROR });
let topics: Topics;
let tap: TapServer;
const open: TapTestClient[] = [];
const connect = async (options: Parameters<typeof TapTestClient.connect>[1] = { token: TOKEN }) => {
  const client = await TapTestClient.connect(tap.url, options);
  open.push(client);
  return client;
};
const refusal = (base: string, options: Parameters<typeof TapTestClient.connect>[1]) =>
  TapTestClient.connect(base, options).then(
    (c) => {
      c.close();
      return 200;
    },
    (error: { status?: number }) => error.status,
  );

let nextDoc = 0;
/** Documents with fresh ids, `size` characters of text each. */
function docs(n: number, size = 600): RawDocument[] {
  return Array.from({ length: n }, () => {
    const i = nextDoc++;
    let text = sampleText(i);
    while (text.length < size) text += ` ${sampleText(i + text.length)}`;
    return {
      ...rawDocument(i, text.slice(0, size)),
      url: `https://${i % 2 ? 'odd' : 'even'}.example.org/p/${i}`,
    };
  });
}
const produce = (batch: RawDocument[]) =>
  produceRawDocuments(kafka, endpoints.registry.url, topics.raw, batch);

beforeAll(async () => {
  topics = await freshTopics('tap');
  tap = await startTap({
    brokers: endpoints.kafka.brokers,
    registryUrl: endpoints.registry.url,
    topics,
    token: TOKEN,
    port: 0,
    maxClients: 240,
    heartbeatMs: 60_000,
    // Small queues, so the slow client overflows with a few hundred KB of records.
    queue: { maxQueueBytes: 128 * 1024, sendHighWaterBytes: 64 * 1024, maxDropped: 100 },
  });
});

afterAll(async () => {
  for (const client of open) client.close();
  await tap?.stop();
});

describe('ipt tap', () => {
  it('refuses a missing or wrong token (401), a foreign origin (403) and other paths (404)', async () => {
    expect(await refusal(tap.url, {})).toBe(401);
    expect(await refusal(tap.url, { token: 'wrong' })).toBe(401);
    expect(await refusal(tap.url, { token: `${TOKEN}x` })).toBe(401);
    expect(await refusal(tap.url, { token: 'wrong', tokenInQuery: true })).toBe(401);
    expect(await refusal(tap.url, { token: TOKEN, origin: 'http://evil.example' })).toBe(403);
    expect(
      await refusal(tap.url.replace('127.0.0.1', 'localhost'), {
        token: TOKEN,
        origin: 'http://evil.example',
      }),
    ).toBe(403);
    const own = await connect({ token: TOKEN, origin: tap.url, tokenInQuery: true });
    await own.until(() => own.messages.some((m) => m.type === 'hello'), 5_000);
    expect(own.messages[0]).toMatchObject({ type: 'hello', topics: { raw: topics.raw, dlq: topics.dlq } });
    const res = await fetch(`${tap.url}/stream?token=${TOKEN}`);
    expect(res.status).toBe(404);
    const metrics = await (await fetch(`${tap.url}/metrics`)).text();
    expect(metrics).toMatch(/ipt_tap_refused_total\{reason="token"\} 4/);
    expect(metrics).not.toContain(TOKEN);
    expect((await fetch(`${tap.url}/readyz`)).status).toBe(200);
    const page = await fetch(`${tap.url}/`);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('answers a bad subscription with an error and keeps the connection', async () => {
    const client = await connect({ token: TOKEN, keepMessages: true });
    await expect(client.subscribe({ topics: ['ipt.synth.state'] })).rejects.toThrow(/unknown topic/);
    client.send('{"type":');
    await client.until(() => client.messages.some((m) => m.type === 'error' && /JSON/.test(m.error)), 5_000);
    await client.subscribe({ topics: ['raw'] });
  });

  it('streams decoded records that pass the filters, from now or from a position', async () => {
    const all = await connect({ token: TOKEN, keepMessages: true });
    const odd = await connect({ token: TOKEN, keepMessages: true });
    const one = await connect({ token: TOKEN, keepMessages: true });
    const subscribed = await all.subscribe({ topics: ['raw'] });
    await odd.subscribe({ topics: ['ipt.docs.raw'], filters: { domain: 'odd.example.org' } });
    const batch = docs(6);
    await one.subscribe({ topics: [topics.raw], filters: { docId: batch[2]?.doc_id } });
    await produce(batch);
    await all.until(() => all.records === 6, 20_000);
    await odd.until(() => odd.records === 3, 20_000);
    await one.until(() => one.records === 1, 20_000);
    const first = all.messages.find((m) => m.type === 'record' && m.key === batch[0]?.doc_id);
    expect(first).toMatchObject({
      role: 'raw',
      topic: topics.raw,
      key: batch[0]?.doc_id,
      value: { doc_id: batch[0]?.doc_id, text: batch[0]?.text, url: batch[0]?.url },
      facets: { docIds: [batch[0]?.doc_id] },
    });
    expect(odd.messages.filter((m) => m.type === 'record').every((m) => m.value.url.includes('odd.'))).toBe(
      true,
    );
    expect(one.messages.find((m) => m.type === 'record')?.value.doc_id).toBe(batch[2]?.doc_id);

    // The positions given at subscription replay exactly those records, paced by this client's own reader.
    const replay = await connect({ token: TOKEN, keepMessages: true });
    await replay.subscribe({ topics: ['raw'], from: { offsets: { raw: subscribed.positions.raw } } });
    await replay.until(() => replay.records >= 6, 30_000);
    expect([...replay.keys].sort()).toEqual(batch.map((d) => d.doc_id).sort());
  });

  it('200 clients get every record while one client never reads; it is dropped and cut off, the tap reads on', async () => {
    // An unread connection soaks up 3–4 MB in the kernel (loopback socket buffers) before the tap
    // sees any backpressure, and how much varies: so records (~1.9 KB each) keep coming, 200 at a
    // time as a live crawl would send them, until the tap has cut the slow client off.
    const fast = await Promise.all(Array.from({ length: 200 }, () => connect()));
    for (const c of fast) c.send({ type: 'subscribe', topics: ['raw'] });
    await Promise.all(
      fast.map((c) => c.until(() => c.messages.some((m) => m.type === 'subscribed'), 20_000)),
    );
    const withoutSlow = tap.stats().clients;
    const slow = startSlowClient(tap.url, { type: 'subscribe', topics: ['raw'] });
    await slow.subscribed;

    const codec = await avroCodec<RawDocument>(registryClient(endpoints.registry.url), topics.raw);
    const producer = kafka.producer();
    await producer.connect();
    const batch: RawDocument[] = [];
    const started = Date.now();
    let cutOffAfter: number | undefined;
    let slowSummary: Promise<SlowSummary> | undefined;
    while (batch.length < 8_000) {
      const more = docs(200, 1_500);
      batch.push(...more);
      const messages = more.map((doc) => ({ key: doc.doc_id, value: codec.encode(doc) }));
      await producer.send({ topic: topics.raw, acks: -1, messages });
      await new Promise((resolve) => setTimeout(resolve, 200));
      // One more batch once the slow client is gone: the others go on as before.
      if (cutOffAfter !== undefined) break;
      if (tap.stats().clients === withoutSlow) {
        cutOffAfter = batch.length;
        // It reads again now, within the grace period its socket is kept for.
        slowSummary = slow.finish();
      }
    }
    const N = batch.length;
    const produced = Date.now();
    await producer.disconnect();
    expect(cutOffAfter).toBeDefined();
    await Promise.all(fast.map((c) => c.until(() => c.records >= N, 45_000)));
    const delivered = Date.now();
    // Every fast client has every record, exactly once.
    for (const c of fast) expect(c.records).toBe(N);
    for (const c of fast.slice(0, 5)) expect([...c.keys].sort()).toEqual(batch.map((d) => d.doc_id).sort());
    // The tap's reader got to the end of the topic while the slow client was stuck.
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topics.raw);
    await admin.disconnect();
    const position = tap.positions()[topics.raw] ?? {};
    for (const { partition, high } of ends) expect(position[partition]).toBe(high);
    expect(tap.stats().dropped).toBeGreaterThan(0);
    console.log(
      `tap fan-out: ${N} records (${Math.round(batch.reduce((n, d) => n + d.text.length, 0) / 1024)} KB of text) × 200 clients, ` +
        `one more never reading (cut off after ${cutOffAfter} records): produced in ${produced - started} ms, ` +
        `last delivered to all 200 ${delivered - produced} ms after the last send — ` +
        `${Math.round((N * 200) / ((delivered - started) / 1000))} deliveries/s`,
    );

    // Once the slow client reads again it sees what got through, the dropped notices, the close.
    const summary = (await slowSummary) as SlowSummary;
    expect(summary.records).toBeLessThan(N);
    expect(summary.notices.length).toBeGreaterThan(0);
    expect(summary.notices[0]).toMatchObject({ type: 'dropped' });
    expect(summary.close).toBe(CLOSE_TOO_SLOW);
    const metrics = await (await fetch(`${tap.url}/metrics`)).text();
    expect(metrics).toMatch(/ipt_tap_disconnects_total\{reason="too_slow"\} 1/);
    for (const c of fast) c.close();
  }, 90_000);
});

interface SlowSummary {
  records: number;
  notices: { type: string; count: number; total: number }[];
  close: number | null;
}

/** The deliberately slow client: a Python process with a tiny receive buffer that stops reading once subscribed. */
function startSlowClient(base: string, subscription: object) {
  const { hostname, port } = new URL(base);
  const child = spawn(
    existsSync('/usr/bin/python3.11') ? '/usr/bin/python3.11' : 'python3',
    [SLOW_CLIENT, hostname, port, TOKEN, JSON.stringify(subscription)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const next = () => new Promise<string>((resolve) => lines.once('line', resolve));
  const subscribed = next().then((line) => {
    if (line !== 'subscribed') throw new Error(`slow client: ${line}`);
  });
  return {
    subscribed,
    async finish(): Promise<SlowSummary> {
      const summary = next();
      child.stdin?.write('go\n');
      return JSON.parse(await summary) as SlowSummary;
    },
  };
}

describe('ipt tap limits', () => {
  let small: TapServer;
  beforeAll(async () => {
    small = await startTap({
      brokers: endpoints.kafka.brokers,
      registryUrl: endpoints.registry.url,
      topics,
      token: TOKEN,
      port: 0,
      maxClients: 2,
      maxMessageBytes: 1024,
      heartbeatMs: 300,
      allowedOrigins: ['https://dashboard.example'],
    });
  });
  afterAll(() => small?.stop());

  it('refuses clients past the limit (503), closes on an oversized message (1009), cuts off dead peers', async () => {
    const a = await TapTestClient.connect(small.url, { token: TOKEN, origin: 'https://dashboard.example' });
    const b = await TapTestClient.connect(small.url, { token: TOKEN });
    expect(await refusal(small.url, { token: TOKEN })).toBe(503);
    expect(await refusal(small.url, { token: TOKEN, origin: small.url })).toBe(403);

    a.send({ type: 'subscribe', filters: { url: 'x'.repeat(2_000) } });
    expect((await a.closed).code).toBe(1009);

    // A peer that stops reading stops answering pings: cut off within two heartbeats.
    b.ws.pause();
    await expect.poll(() => small.stats().clients, { timeout: 5_000 }).toBe(0);
    b.close();
    const metrics = await (await fetch(`${small.url}/metrics`)).text();
    expect(metrics).toMatch(/ipt_tap_refused_total\{reason="max_clients"\} 1/);
    expect(metrics).toMatch(/ipt_tap_disconnects_total\{reason="heartbeat"\} 1/);
  });
});

describe('ipt tap CLI', () => {
  it('refuses to start without a token, documents itself, and prints a generated token once', async () => {
    const none = await runIpt(['tap', '--topic-namespace', 'unused'], {
      env: { IPT_TAP_TOKEN: '' },
      timeoutMs: 30_000,
    });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('the tap needs a token: set IPT_TAP_TOKEN');
    const help = await runIpt(['tap', '--help'], { timeoutMs: 30_000 });
    for (const flag of [
      '--token',
      '--generate-token',
      '--allow-origin',
      '--max-clients',
      '--max-dropped',
      '--config',
    ])
      expect(help.stdout).toContain(flag);
    expect(help.stdout).toContain('"type":"subscribe"');

    const namespace = topics.raw.slice(0, -'.ipt.docs.raw'.length);
    const cli = spawnIpt(['tap', '--generate-token', '--port', '0', '--topic-namespace', namespace], 'tap');
    try {
      await expect
        .poll(() => /open: (http:\/\/\S+)\/#token=(\S+)/.test(cli.tail()), { timeout: 30_000 })
        .toBe(true);
      const [, url, token] = /open: (http:\/\/\S+)\/#token=(\S+)/.exec(cli.tail()) as RegExpExecArray;
      expect(cli.tail().split(token as string)).toHaveLength(3); // the token line and the page line, nothing else
      expect(await refusal(url as string, { token: 'nope' })).toBe(401);
      const client = await TapTestClient.connect(url as string, { token });
      await client.until(() => client.messages.some((m) => m.type === 'hello'), 5_000);
      client.close();
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    } finally {
      await cli.stop();
    }
  });
});
