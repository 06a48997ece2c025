// Hostile clients against `ipt tap` (a child process on fresh topics, default limits). A feed
// produces raw documents to Kafka, 20 a second, for the whole run; one legitimate subscriber
// follows the raw topic. Per attack: that subscriber's delivery latency (produce call → record
// message in hand) p50/p99 during it against a baseline measured in the same run (the stated limit:
// ×1 = unharmed), the tap's RSS before/peak/after, how the attackers were cut off (HTTP status or
// WebSocket close code, after how long), and at the end how many produced records the subscriber
// never got (must be 0).

import type { Kafka } from 'kafkajs';
import { mistralTokenizer } from '../core/mistral.ts';
import type { RawDocument } from '../core/types.ts';
import { loadEndpoints } from '../lib/endpoints.ts';
import { avroCodec, registryClient } from '../lib/registry.ts';
import { TAP_DEFAULTS } from '../services/tap/server.ts';
import { freshTopics } from '../tests/helpers/pipeline-topics.ts';
import { rawDocument } from '../tests/helpers/raw-docs.ts';
import { type RawClient, rawClient, slowHeaders, statusOf } from '../tests/helpers/raw-socket.ts';
import { spawnIpt } from '../tests/helpers/service-process.ts';
import { TapTestClient } from '../tests/helpers/tap-client.ts';
import {
  closeCode,
  deepSubscribe,
  frame,
  malformedFrames,
  upgradeRequest,
} from '../tests/helpers/ws-frames.ts';
import { type Attack, attackTable, baseline, type Cut, many, measureAttacks } from './hostile-measure.ts';
import { metric, sleep } from './proc.ts';
import { fmt, ranLine } from './results.ts';
import { benchKafka, freePort, namespaceOf, waitReady } from './services.ts';

const TOKEN = 'bench-hostile-tap-token';
const FEED_EVERY_MS = 50;

export async function tapUnderAttack(): Promise<{ section: string; lost: number }> {
  const endpoints = loadEndpoints();
  const topics = await freshTopics('bench-hostile-tap');
  const port = await freePort();
  const proc = spawnIpt(
    ['tap', '--port', String(port), '--token', TOKEN, '--topic-namespace', namespaceOf(topics)],
    'tap',
  );
  const url = `http://127.0.0.1:${port}`;
  await waitReady([{ name: 'tap', proc, opsPort: port }]);

  const sentAt = new Map<string, number>();
  const legit = await subscriber(url, sentAt);
  const feed = await startFeed(benchKafka, endpoints.registry.url, topics.raw, sentAt);
  const rows = await measureAttacks('tap', proc.pid, tapAttacks(url, port), legit.latenciesUntil);

  await feed.stop();
  const produced = feed.produced();
  const { client } = legit;
  await client.until(() => client.keys.size >= produced, 30_000).catch(() => {});
  let missed = 0;
  for (const key of sentAt.keys()) if (!client.keys.has(key)) missed++;
  const closed = legit.closed();
  client.close();
  await proc.stop();
  console.log(
    `tap: produced ${produced}, received ${client.keys.size}, missed ${missed}; subscriber closed: ${closed ?? 'no'}`,
  );

  const d = TAP_DEFAULTS;
  const section = `### The tap under attack

${ranLine('bench/hostile.ts')} \`ipt tap\` as a child process on the default limits (${d.maxClients} clients, ${d.maxMessageBytes / 1024} KiB messages, JSON depth ${d.maxJsonDepth}, send high-water ${d.queue.sendHighWaterBytes / 1024 / 1024} MiB, close grace 10 s, upgrade headers 10 s, ${d.http.maxConnections} connections); the bench produces a raw document to Kafka every ${FEED_EVERY_MS} ms for the whole run, and one legitimate subscriber follows the raw topic; attackers in the bench process. Latency = produce call → record message received by the subscriber; ratio = p50 during the attack ÷ p50 of the baseline measured first in the same run. Malformed-frame and deep-JSON attackers send their frame with the upgrade request and never answer the close; the never-reading sockets' cut-off times come from the tap's \`not_reading\` counter. **${produced} records produced, ${missed} missed by the subscriber**${closed ? ` (the subscriber was closed: ${closed})` : ', which stayed connected throughout'}.

${attackTable(rows, 'records received', (r) => String(r.n))}`;
  return { section, lost: missed + (closed ? 1 : 0) };
}

/** The legitimate subscriber of the raw topic, timing each record from its produce call. */
async function subscriber(url: string, sentAt: Map<string, number>) {
  const latencies: number[] = [];
  const client = await TapTestClient.connect(url, {
    token: TOKEN,
    onRecord: (key) => latencies.push(performance.now() - (sentAt.get(key) ?? Number.NaN)),
  });
  await client.subscribe({ topics: ['raw'] });
  let closed: string | undefined;
  void client.closed.then(({ code, reason }) => {
    closed = `${code} ${reason}`;
  });
  return {
    client,
    closed: () => closed,
    /** The latencies of the records that arrive until `stop()`. */
    async latenciesUntil(stop: () => boolean): Promise<number[]> {
      const from = latencies.length;
      while (!stop()) await sleep(50);
      return latencies.slice(from);
    },
  };
}

/** Raw documents produced one at a time until stopped, each one's produce time noted by doc id. */
async function startFeed(kafka: Kafka, registryUrl: string, topic: string, sentAt: Map<string, number>) {
  const codec = await avroCodec<RawDocument>(registryClient(registryUrl), topic);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const tokens = mistralTokenizer();
  let produced = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const doc = rawDocument(
        produced,
        `Feed document ${produced}. ${'The tap streams it. '.repeat(20)}`,
        tokens,
      );
      sentAt.set(doc.doc_id, performance.now());
      await producer.send({ topic, acks: -1, messages: [{ key: doc.doc_id, value: codec.encode(doc) }] });
      produced++;
      await sleep(FEED_EVERY_MS);
    }
  })();
  return {
    produced: () => produced,
    async stop() {
      running = false;
      await loop;
      await producer.disconnect();
    },
  };
}

/** How a raw attacker ended: the close code of the tap's close frame, else the HTTP status, else closed. */
function outcome(c: RawClient): string {
  const code = closeCode(c.received());
  if (code) return `close ${code}`;
  const status = statusOf(c);
  return status && status !== 101 ? String(status) : 'closed';
}

/** A raw connection: `onOpen` writes; it ends at the tap's close frame or the socket's close. */
function attacker(url: string, onOpen: (c: RawClient) => void): Promise<Cut> {
  const t = performance.now();
  return rawClient(url).then(
    (c) =>
      new Promise<Cut>((resolve) => {
        const done = () => {
          resolve({ status: outcome(c), afterMs: performance.now() - t });
          c.socket.destroy();
        };
        c.socket.on('data', () => {
          if (closeCode(c.received())) done();
        });
        void c.closed.then(done);
        onOpen(c);
      }),
    (e: Error) => ({ status: `connect failed (${e.message})`, afterMs: performance.now() - t }),
  );
}

function tapAttacks(url: string, port: number): Attack[] {
  const attack = (onOpen: (c: RawClient) => void) => attacker(url, onOpen);
  /** Upgrades and sends `bytes` at once, as a client that does not wait for the 101. */
  const upgradeThen = (bytes: Buffer) => () =>
    attack((c) => c.socket.write(Buffer.concat([Buffer.from(upgradeRequest(TOKEN)), bytes])));
  const deep = deepSubscribe(30_000);
  return [
    baseline(5_000),
    {
      name: '500 slow upgrades (a header line a second)',
      launch: () =>
        many(500, () =>
          attack((c) => slowHeaders(c.socket, 'GET /stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n')),
        ),
    },
    {
      name: '2 000 upgrades with bad tokens (100 at a time)',
      launch: () =>
        many(100, async () => {
          let last: Cut = { status: 'none', afterMs: 0 };
          for (let i = 0; i < 20; i++)
            last = await attack((c) => c.socket.write(upgradeRequest(`guess-${i}`)));
          return last;
        }),
    },
    ...malformedFrames(TAP_DEFAULTS.maxMessageBytes).map((bad) => ({
      name: `100 × ${bad.what}`,
      launch: () => many(100, upgradeThen(bad.bytes)),
    })),
    {
      name: `100 subscribes nested 30 000 deep (${fmt(deep.length / 1024, 0)} KiB, under the message limit)`,
      launch: () => many(100, upgradeThen(deep)),
    },
    { name: '10 WebSockets that send but never read', launch: () => neverReading(url, port, 10) },
    {
      name: `300 idle WebSockets (--max-clients ${TAP_DEFAULTS.maxClients}), held 10 s`,
      launch: () => many(300, () => idleWebSocket(url, 10_000)),
    },
    { name: '5 000 idle connections', launch: () => many(5_000, () => attack(() => {})) },
  ];
}

/** `n` upgraded sockets that never read but keep asking (each message earns a reply as large). */
function neverReading(url: string, port: number, n: number): Promise<Cut>[] {
  const junk = frame(1, Buffer.from(JSON.stringify({ type: 'subscribe', [`x${'y'.repeat(7_000)}`]: 1 })));
  const t = performance.now();
  const cutAt: number[] = [];
  const notReading = () => metric(port, 'ipt_tap_disconnects_total', 'reason="not_reading"');
  // Timed by the tap's counter: a socket that does not read cannot see its close frame.
  const counted = (async () => {
    const before = await notReading();
    while (cutAt.length < n && performance.now() - t < 25_000) {
      const now = await notReading();
      while (cutAt.length < now - before) cutAt.push(performance.now() - t);
      await sleep(100);
    }
  })();
  return many(n, async () => {
    const c = await rawClient(url);
    c.socket.write(upgradeRequest(TOKEN));
    c.socket.pause();
    const sending = setInterval(() => {
      for (let i = 0; i < 20 && c.socket.writableLength < 1 << 20 && !c.socket.destroyed; i++)
        c.socket.write(junk);
    }, 10);
    await counted;
    clearInterval(sending);
    // Read what the tap sent, down to its close frame (it keeps the socket its grace period).
    c.socket.resume();
    for (let i = 0; i < 50 && !closeCode(c.received()) && !c.socket.destroyed; i++) await sleep(100);
    const status = outcome(c);
    c.socket.destroy();
    return { status, afterMs: cutAt.shift() ?? Number.NaN };
  });
}

/** A WebSocket client that connects and does nothing (it answers pings, as ws does) for `holdMs`. */
function idleWebSocket(url: string, holdMs: number): Promise<Cut> {
  const t = performance.now();
  return TapTestClient.connect(url, { token: TOKEN }).then(
    async (c) => {
      await sleep(holdMs);
      c.close();
      return { status: 'served until the bench closed it', afterMs: performance.now() - t };
    },
    (e: { status?: number; message?: string }) => ({
      status: String(e.status ?? e.message),
      afterMs: performance.now() - t,
    }),
  );
}
