// The tap under hostile clients, on the real stack: malformed WebSocket frames (ws closes with
// 1002 / 1007 / 1009), JSON nested too deep (1008), a client that keeps sending but never reads
// (4008), slow upgrade headers (408) and bad tokens (401) — while a legitimate subscriber gets
// every record produced during the attacks.

import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadEndpoints } from '../../lib/endpoints.ts';
import type { Topics } from '../../lib/topics.ts';
import { CLOSE_TOO_SLOW, startTap, type TapServer } from '../../services/tap/server.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';
import { produceRawDocuments, rawDocument, sampleText } from '../helpers/raw-docs.ts';
import { type RawClient, rawClient, statusOf, trickle } from '../helpers/raw-socket.ts';
import { TapTestClient } from '../helpers/tap-client.ts';
import { closeCode, deepSubscribe, malformedFrames, rawUpgrade } from '../helpers/ws-frames.ts';

const TOKEN = 'tap-hostile-token-0123456789';
const endpoints = loadEndpoints();
const kafka = new Kafka({
  clientId: 'tap-hostile',
  brokers: endpoints.kafka.brokers,
  logLevel: logLevel.ERROR,
});
let topics: Topics;
let tap: TapServer;
let legit: TapTestClient;
let produced = 0;
const attackers: RawClient[] = [];

beforeAll(async () => {
  topics = await freshTopics('tap-hostile');
  tap = await startTap({
    brokers: endpoints.kafka.brokers,
    registryUrl: endpoints.registry.url,
    topics,
    token: TOKEN,
    port: 0,
    maxMessageBytes: 8 * 1024,
    maxJsonDepth: 16,
    http: { headersTimeoutMs: 500, requestTimeoutMs: 1_000 },
    queue: { sendHighWaterBytes: 64 * 1024 },
  });
  legit = await TapTestClient.connect(tap.url, { token: TOKEN });
  await legit.subscribe({ topics: ['raw'] });
});

afterAll(async () => {
  for (const a of attackers) a.socket.destroy();
  legit?.close();
  await tap?.stop();
});

async function produceSome(n: number): Promise<void> {
  const docs = Array.from({ length: n }, () => rawDocument(produced, sampleText(produced++)));
  await produceRawDocuments(kafka, endpoints.registry.url, topics.raw, docs);
}

/** A raw socket upgraded to a WebSocket, to write frames no library would. */
async function upgraded(): Promise<RawClient> {
  const c = await rawUpgrade(tap.url, TOKEN);
  attackers.push(c);
  expect(statusOf(c)).toBe(101);
  return c;
}

describe('the tap under attack', () => {
  it('closes malformed frames with the codes ws gives: 1002, 1007, 1009', async () => {
    const cases = malformedFrames(8 * 1024);
    const clients = await Promise.all(cases.map(() => upgraded()));
    for (const [i, { bytes }] of cases.entries()) clients[i]?.socket.write(bytes);
    await produceSome(20);
    await Promise.all(clients.map((c) => c.closed));
    expect(clients.map((c) => closeCode(c.received()))).toEqual(cases.map((c) => c.code));
  });

  it('closes a message nested too deep with 1008', async () => {
    const c = await upgraded();
    c.socket.write(deepSubscribe(40));
    // The raw client never answers the close; the tap would wait its grace period before dropping it.
    await expect.poll(() => closeCode(c.received()), { timeout: 5_000 }).toBe(1008);
  });

  it('cuts off a client that keeps sending but never reads (4008)', async () => {
    const ws = new WebSocket(`${tap.url.replace('http', 'ws')}/stream`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    await new Promise((r) => ws.once('open', r));
    ws.pause();
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    // Each message gets an error reply of about its own size, which the client never reads.
    const junk = JSON.stringify({ type: 'subscribe', [`x${'y'.repeat(7_000)}`]: 1 });
    const sending = setInterval(() => {
      for (let i = 0; i < 50 && ws.readyState === ws.OPEN; i++) ws.send(junk);
    }, 5);
    ws.once('close', () => clearInterval(sending));
    await produceSome(20);
    // The tap closed with 4008; the socket is closed for good once the client reads again.
    await expect.poll(() => tap.stats().clients, { timeout: 30_000 }).toBe(1);
    ws.resume();
    expect(await closed).toBe(CLOSE_TOO_SLOW);
  });

  it('answers slow upgrade headers with 408 and bad tokens with 401', async () => {
    const slow = await Promise.all(Array.from({ length: 50 }, () => rawClient(tap.url)));
    attackers.push(...slow);
    for (const s of slow) {
      s.socket.write('GET /stream HTTP/1.1\r\nHost: x\r\n');
      trickle(s.socket, 'X-Slow: 1\r\n', 100);
    }
    const guesses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        TapTestClient.connect(tap.url, { token: `guess-${i}` }).then(
          () => 101,
          (e: { status?: number }) => e.status,
        ),
      ),
    );
    await produceSome(20);
    await Promise.all(slow.map((s) => s.closed));
    expect(new Set(slow.map(statusOf))).toEqual(new Set([408]));
    expect(new Set(guesses)).toEqual(new Set([401]));
  });

  it('the legitimate subscriber got every record produced during the attacks', async () => {
    await legit.until(() => legit.records >= produced, 30_000);
    expect(legit.records).toBe(produced);
    expect(tap.stats().clients).toBe(1);
    const metrics = await (await fetch(`${tap.url}/metrics`)).text();
    expect(metrics).toMatch(/ipt_tap_disconnects_total\{reason="protocol_error"\} 3/);
    expect(metrics).toMatch(/ipt_tap_disconnects_total\{reason="json_too_deep"\} 1/);
    expect(metrics).toMatch(/ipt_tap_disconnects_total\{reason="not_reading"\} 1/);
  });
});
