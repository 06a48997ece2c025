// The tap under hostile clients, on the real stack: malformed WebSocket frames (ws closes with
// 1002 / 1007 / 1009), JSON nested too deep (1008), a client that keeps sending but never reads
// (4008), slow upgrade headers (408) and bad tokens (401) — while a legitimate subscriber gets
// every record produced during the attacks.

import { randomBytes } from 'node:crypto';
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
  const c = await rawClient(tap.url);
  attackers.push(c);
  c.socket.write(
    `GET /stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`,
  );
  for (let i = 0; i < 200 && !c.received().includes('\r\n\r\n'); i++)
    await new Promise((r) => setTimeout(r, 10));
  expect(statusOf(c)).toBe(101);
  return c;
}

/** A client frame: FIN + opcode, masked unless told otherwise. */
function frame(opcode: number, payload: Buffer, options: { masked?: boolean; rsv?: number } = {}): Buffer {
  const masked = options.masked ?? true;
  const mask = randomBytes(4);
  const head = [0x80 | (options.rsv ?? 0) | opcode];
  if (payload.length < 126) head.push((masked ? 0x80 : 0) | payload.length);
  else head.push((masked ? 0x80 : 0) | 126, payload.length >> 8, payload.length & 0xff);
  const body = masked ? Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number))) : payload;
  return Buffer.concat([Buffer.from(head), masked ? mask : Buffer.alloc(0), body]);
}

/** The status code of the close frame the tap sent (0 if none). */
function closeCode(c: RawClient): number {
  const all = c.received();
  const at = all.indexOf('\r\n\r\n') + 4;
  // Server frames are unmasked; skip text frames (the hello) to the close frame (opcode 8).
  for (let i = at; i + 1 < all.length; ) {
    const len = (all[i + 1] as number) & 0x7f;
    const header = len === 126 ? 4 : 2;
    const size = len === 126 ? all.readUInt16BE(i + 2) : len;
    if (((all[i] as number) & 0x0f) === 8) return all.readUInt16BE(i + header);
    i += header + size;
  }
  return 0;
}

describe('the tap under attack', () => {
  it('closes malformed frames with the codes ws gives: 1002, 1007, 1009', async () => {
    const cases: [Buffer, number][] = [
      [frame(1, Buffer.from('{}'), { masked: false }), 1002],
      [frame(1, Buffer.from('{}'), { rsv: 0x40 }), 1002],
      [frame(0x3, Buffer.from('x')), 1002],
      [frame(1, Buffer.from([0xff, 0xfe, 0xfd])), 1007],
      [frame(1, Buffer.alloc(9 * 1024, 0x20)), 1009],
    ];
    const clients = await Promise.all(cases.map(() => upgraded()));
    for (const [i, [bytes]] of cases.entries()) clients[i]?.socket.write(bytes);
    await produceSome(20);
    await Promise.all(clients.map((c) => c.closed));
    expect(clients.map(closeCode)).toEqual(cases.map(([, code]) => code));
  });

  it('closes a message nested too deep with 1008', async () => {
    const c = await upgraded();
    c.socket.write(
      frame(1, Buffer.from(`{"type":"subscribe","filters":${'['.repeat(40)}${']'.repeat(40)}}`)),
    );
    // The raw client never answers the close; the tap would wait its grace period before dropping it.
    await expect.poll(() => closeCode(c), { timeout: 5_000 }).toBe(1008);
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
