// services/tap: watch the pipeline live. One HTTP server carries the page (GET /), the probes
// (/healthz, /readyz, /metrics) and the WebSocket stream (/stream).
//
// Reads top-down: the live reader (one Kafka follower of the four topics from "now", decoding each
// record once into one shared payload) → fan-out to every live client's bounded queue
// (client-queue.ts: never waits for a client) → the upgrade gate (path, origin, token, client limit)
// → a connection's life (subscribe, heartbeats, too slow, close) → positional subscriptions (a
// follower of the client's own, paced by its queue) → stop.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { KafkaMessage } from 'kafkajs';
import { Counter, Gauge, Registry } from 'prom-client';
import { type WebSocket, WebSocketServer } from 'ws';
import { kafkaClient } from '../../lib/kafka/client.ts';
import {
  type Follower,
  type FollowStart,
  followTopics,
  type Positions,
} from '../../lib/kafka/follow-topics.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { handleOpsRequest } from '../../lib/ops-server.ts';
import { type AvroCodec, avroCodec, registryClient } from '../../lib/registry.ts';
import { requireTopics, TOPICS, type Topics } from '../../lib/topics.ts';
import { ClientQueue, DEFAULT_QUEUE_LIMITS, type QueueLimits } from './client-queue.ts';
import {
  type Facets,
  facetsOf,
  matches,
  ProtocolError,
  parseClientMessage,
  type Subscription,
  sampled,
  TAP_ROLES,
  type TapRole,
  type TapValue,
  toJson,
} from './protocol.ts';

export const DEFAULT_TAP_PORT = 8090;

/** Close codes a client may see besides the standard ones (1001 going away, 1009 message too big). */
export const CLOSE_TOO_SLOW = 4008;
/** How long a client closed for slowness keeps its socket, to read what is buffered and the close. */
const CLOSE_GRACE_MS = 10_000;

export interface TapOptions {
  brokers: string[];
  registryUrl: string;
  topics?: Topics;
  /** Required: clients present it as `Authorization: Bearer <token>` or `?token=<token>`. */
  token: string;
  /** Default 127.0.0.1: the stream carries the corpus, so exposing it is an explicit choice. */
  host?: string;
  /** Default 8090; 0 picks a free port. */
  port?: number;
  /**
   * Browser origins allowed to connect; `*` allows any. Default: the tap's own origin (its host, or
   * localhost / 127.0.0.1 / [::1] when bound to loopback). Clients that send no Origin (not
   * browsers) need only the token.
   */
  allowedOrigins?: string[];
  maxClients?: number;
  /** Largest message a client may send (subscriptions are small); larger closes with 1009. */
  maxMessageBytes?: number;
  queue?: Partial<QueueLimits>;
  /** Ping period; a client that has not answered the previous ping is cut off. */
  heartbeatMs?: number;
  /** Counter messages to each client, this often. */
  statsIntervalMs?: number;
  /** Positional subscriptions (each has its own Kafka reader) open at once. */
  maxPositional?: number;
  /** Document URLs remembered so URL and domain filters reach rounds and augmented records. */
  urlMemory?: number;
  stallMs?: number;
  metricsRegistry?: Registry;
  log?: Logger;
}

export interface TapStats {
  clients: number;
  /** Records read by the live reader, by role. */
  read: Record<TapRole, number>;
  sent: number;
  dropped: number;
}

export interface TapServer {
  /** http://host:port — the page; `${url}/stream` the WebSocket. */
  readonly url: string;
  readonly topics: Topics;
  readonly metrics: Registry;
  ready(): true | string;
  stats(): TapStats;
  /** Where the live reader is: the next offset per topic and partition. */
  positions(): Positions;
  stop(): Promise<void>;
}

const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));
const PAGE_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

interface Client {
  id: number;
  ws: WebSocket;
  queue: ClientQueue;
  subscription: Subscription | undefined;
  /** The client's own reader for a positional subscription. */
  follower: Follower | undefined;
  /** Bumped on every (un)subscribe, so a stale positional reader stops handing out records. */
  generation: number;
  alive: boolean;
}

export async function startTap(options: TapOptions): Promise<TapServer> {
  if (!options.token) throw new Error('the tap needs a token (clients must present it)');
  const log = options.log ?? createLogger('tap');
  const topics = options.topics ?? { ...TOPICS };
  const host = options.host ?? '127.0.0.1';
  const maxClients = options.maxClients ?? 256;
  const maxMessageBytes = options.maxMessageBytes ?? 64 * 1024;
  const limits: QueueLimits = { ...DEFAULT_QUEUE_LIMITS, ...options.queue };
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const statsIntervalMs = options.statsIntervalMs ?? 1_000;
  const maxPositional = options.maxPositional ?? 4;
  const urlMemory = options.urlMemory ?? 100_000;
  // Compared as digests so the comparison takes the same time whatever the length.
  const tokenDigest = sha(options.token);

  const roleOfTopic = new Map<string, TapRole>(TAP_ROLES.map((role) => [topics[role], role]));
  const kafka = kafkaClient('ipt-tap', options.brokers, log);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await requireTopics(
      admin,
      TAP_ROLES.map((role) => topics[role]),
    );
  } finally {
    await admin.disconnect();
  }
  const registry = registryClient(options.registryUrl);
  const codecs = new Map<TapRole, AvroCodec<TapValue>>();
  for (const role of TAP_ROLES) {
    try {
      codecs.set(role, await avroCodec<TapValue>(registry, topics[role]));
    } catch (error) {
      throw new Error(
        `no schema for ${topics[role]} in the registry (${(error as Error).message}); register them with \`npx ipt schemas register\``,
      );
    }
  }

  const metrics = options.metricsRegistry ?? new Registry();
  const m = tapMetrics(metrics);
  const read = Object.fromEntries(TAP_ROLES.map((r) => [r, 0])) as Record<TapRole, number>;
  const clients = new Map<number, Client>();
  /** Sockets of clients cut off for slowness, in their grace period. */
  const closing = new Set<WebSocket>();
  let nextClientId = 1;
  let upgrading = 0;
  let positionalOpen = 0;
  let totalSent = 0;
  let totalDropped = 0;

  // --- Document URLs: only raw documents carry one; remember recent ones (insertion-ordered Map as
  // a FIFO) so rounds and augmented records can be matched by URL and domain.
  const urls = new Map<string, string>();
  const rememberUrl = (docId: string, url: string | null) => {
    if (!url) return;
    urls.delete(docId);
    urls.set(docId, url);
    if (urls.size > urlMemory) urls.delete(urls.keys().next().value as string);
  };
  const urlOf = (docId: string) => urls.get(docId);

  /** One record, decoded once, as the JSON every interested client is sent (built on first need). */
  interface Decoded {
    role: TapRole;
    facets: Facets;
    fallbackKey: string;
    payload: () => Buffer;
  }

  async function decode(
    role: TapRole,
    topic: string,
    partition: number,
    message: KafkaMessage,
  ): Promise<Decoded> {
    const head = `{"type":"record","role":"${role}","topic":${JSON.stringify(topic)},"partition":${partition},"offset":"${message.offset}","timestamp":"${message.timestamp}","key":${message.key ? JSON.stringify(message.key.toString('utf8')) : 'null'}`;
    const fallbackKey = `${topic}/${partition}/${message.offset}`;
    let value: TapValue | undefined;
    let error: string | undefined;
    try {
      if (!message.value) throw new Error('record has no value');
      value = await (codecs.get(role) as AvroCodec<TapValue>).decode(message.value);
    } catch (e) {
      error = (e as Error).message;
      m.decodeErrors.inc({ topic: role });
    }
    if (value !== undefined && role === 'raw') {
      const doc = value as { doc_id: string; url: string | null };
      rememberUrl(doc.doc_id, doc.url);
    }
    const facets: Facets = value
      ? facetsOf(role, value, urlOf)
      : { docIds: [], chainIds: [], urls: [], runs: [] };
    let payload: Buffer | undefined;
    return {
      role,
      facets,
      fallbackKey,
      payload: () => {
        payload ??= Buffer.from(
          value !== undefined
            ? `${head},"facets":${JSON.stringify(facets)},"value":${toJson(value)}}`
            : `${head},"facets":${JSON.stringify(facets)},"value":null,"error":${JSON.stringify(error)}}`,
        );
        return payload;
      },
    };
  }

  const wants = (s: Subscription, d: Decoded) =>
    s.topics.includes(d.role) &&
    sampled(s.sample, d.facets, d.fallbackKey) &&
    matches(s.filters, d.facets, d.role);

  const offer = (client: Client, d: Decoded) => {
    const result = client.queue.offer(d.payload());
    if (result === 'dropped') {
      totalDropped++;
      m.dropped.inc();
    } else if (result !== 'closed') {
      totalSent++;
      m.sent.inc();
    }
    if (result === 'queued') blocked.add(client);
  };

  // --- The live reader: every record of the four topics from now on. Its delivery never awaits a
  // client, so no client can slow it (or the pipeline, which never waits for the tap anyway).
  const live = await followTopics(kafka, {
    topics: TAP_ROLES.map((role) => topics[role]),
    from: 'latest',
    ...(options.stallMs ? { stallMs: options.stallMs } : {}),
    log,
    async onMessages(topic, partition, messages) {
      const role = roleOfTopic.get(topic);
      if (!role) return;
      read[role] += messages.length;
      m.read.inc({ topic: role }, messages.length);
      const audience = [...clients.values()].filter(
        (c) => c.subscription?.from === 'now' && c.subscription.topics.includes(role),
      );
      // Raw documents are decoded even when nobody watches them: their URLs serve later filters.
      if (audience.length === 0 && role !== 'raw') return;
      for (const message of messages) {
        const d = await decode(role, topic, partition, message);
        for (const client of audience) {
          if (client.subscription && client.subscription.from === 'now' && wants(client.subscription, d))
            offer(client, d);
        }
      }
    },
  });

  // Queues the socket could not take at once are pumped on a short tick (ws has no 'drain' event).
  const blocked = new Set<Client>();
  const pumpTimer = setInterval(() => {
    for (const client of blocked) if (!client.queue.pump()) blocked.delete(client);
  }, 20);

  const statsTimer = setInterval(() => {
    for (const client of clients.values()) {
      if (!client.subscription) continue;
      client.queue.offerIfIdle(
        Buffer.from(
          JSON.stringify({
            type: 'stats',
            read,
            clients: clients.size,
            you: { sent: client.queue.sent, dropped: client.queue.dropped },
          }),
        ),
      );
    }
  }, statsIntervalMs);

  const heartbeatTimer = setInterval(() => {
    for (const client of clients.values()) {
      if (!client.alive) {
        log.info({ client: client.id }, 'no pong since the last ping; cutting the client off');
        m.disconnects.inc({ reason: 'heartbeat' });
        client.ws.terminate();
        continue;
      }
      client.alive = false;
      client.ws.ping();
    }
  }, heartbeatMs);

  // --- HTTP: page, probes, and the upgrade gate.
  let stopping = false;
  const ready = (): true | string => (stopping ? 'stopping' : true);
  const server: Server = createServer((req, res) => {
    if (handleOpsRequest({ registry: metrics, ready }, req, res)) return;
    servePage(req, res);
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes, clientTracking: false });
  let allowed: Set<string> | '*' = '*';

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://tap');
    const refuse = (status: number, text: string, reason: string) => {
      m.refused.inc({ reason });
      socket.end(
        `HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-type: text/plain\r\n${
          status === 401 ? 'www-authenticate: Bearer\r\n' : ''
        }\r\n${text.toLowerCase()}\n`,
      );
    };
    if (url.pathname !== '/stream') return refuse(404, 'Not Found', 'path');
    const origin = req.headers.origin;
    if (origin !== undefined && allowed !== '*' && !allowed.has(origin))
      return refuse(403, 'Forbidden', 'origin');
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Bearer ')
      ? header.slice(7).trim()
      : (url.searchParams.get('token') ?? '');
    if (!given || !timingSafeEqual(sha(given), tokenDigest)) return refuse(401, 'Unauthorized', 'token');
    if (stopping) return refuse(503, 'Service Unavailable', 'stopping');
    if (clients.size + upgrading >= maxClients) return refuse(503, 'Service Unavailable', 'max_clients');
    upgrading++;
    wss.handleUpgrade(req, socket, head, (ws) => {
      upgrading--;
      connected(ws);
    });
  });

  function connected(ws: WebSocket): void {
    const client: Client = {
      id: nextClientId++,
      ws,
      queue: undefined as unknown as ClientQueue,
      subscription: undefined,
      follower: undefined,
      generation: 0,
      alive: true,
    };
    client.queue = new ClientQueue(ws, limits, (dropped) => {
      log.warn({ client: client.id, dropped }, 'client too slow; disconnecting it');
      m.disconnects.inc({ reason: 'too_slow' });
      // No longer served from here on; what is already in its socket buffer (at most the send
      // high-water mark, then the dropped notices and the close frame) stays there for a grace
      // period, so a client that was only stalled learns what it lost and why it was closed.
      forget(client);
      ws.close(CLOSE_TOO_SLOW, `too slow: ${dropped} records dropped`);
      closing.add(ws);
      ws.once('close', () => closing.delete(ws));
      setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
    });
    clients.set(client.id, client);
    m.clients.set(clients.size);
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('message', (data, isBinary) => {
      client.alive = true;
      if (isBinary) return reply(client, { type: 'error', error: 'send JSON text messages' });
      try {
        const message = parseClientMessage(String(data), topics);
        if (message.type === 'unsubscribe') {
          unsubscribe(client);
          reply(client, { type: 'unsubscribed' });
        } else void subscribe(client, message.subscription);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        reply(client, { type: 'error', error: error.message });
      }
    });
    ws.on('error', (error) => log.debug({ client: client.id, error: error.message }, 'client socket error'));
    ws.on('close', (code) => {
      if (code === 1009) m.disconnects.inc({ reason: 'message_too_big' });
      forget(client);
    });
    reply(client, {
      type: 'hello',
      topics: Object.fromEntries(TAP_ROLES.map((r) => [r, topics[r]])),
      limits: { maxMessageBytes, maxQueueBytes: limits.maxQueueBytes, maxDropped: limits.maxDropped },
    });
  }

  function forget(client: Client): void {
    if (!clients.delete(client.id)) return;
    m.clients.set(clients.size);
    blocked.delete(client);
    client.queue.close();
    unsubscribe(client);
  }

  /** Control messages go straight to the socket: they are small and rare. */
  const reply = (client: Client, message: object) => {
    if (client.ws.readyState === client.ws.OPEN) client.ws.send(JSON.stringify(message));
  };

  function unsubscribe(client: Client): void {
    client.generation++;
    client.subscription = undefined;
    client.queue.clear();
    const follower = client.follower;
    client.follower = undefined;
    if (follower) {
      void follower
        .stop()
        .catch((error: Error) => log.warn({ error: error.message }, 'stopping a positional reader failed'))
        .finally(() => positionalOpen--);
    }
  }

  async function subscribe(client: Client, subscription: Subscription): Promise<void> {
    unsubscribe(client);
    const generation = client.generation;
    if (subscription.from === 'now') {
      client.subscription = subscription;
      reply(client, { type: 'subscribed', subscription, positions: rolePositions(live.positions()) });
      return;
    }
    if (positionalOpen >= maxPositional) {
      reply(client, {
        type: 'error',
        error: `too many subscriptions from a position (${maxPositional} at once); subscribe from "now" or retry later`,
      });
      return;
    }
    positionalOpen++;
    let follower: Follower;
    try {
      follower = await followTopics(kafka, {
        topics: subscription.topics.map((role) => topics[role]),
        from: followStart(subscription, topics),
        ...(options.stallMs ? { stallMs: options.stallMs } : {}),
        log,
        async onMessages(topic, partition, messages) {
          const role = roleOfTopic.get(topic);
          if (!role) return;
          for (const message of messages) {
            if (client.generation !== generation) return;
            const d = await decode(role, topic, partition, message);
            if (wants(subscription, d)) offer(client, d);
            // Paced by the client: the next record waits until its queue has room again.
            await client.queue.room();
          }
        },
      });
    } catch (error) {
      positionalOpen--;
      reply(client, { type: 'error', error: `could not start reading: ${(error as Error).message}` });
      return;
    }
    if (client.generation !== generation) {
      // Unsubscribed or gone while the reader started.
      void follower.stop().finally(() => positionalOpen--);
      return;
    }
    client.follower = follower;
    client.subscription = subscription;
    reply(client, { type: 'subscribed', subscription, positions: rolePositions(follower.positions()) });
  }

  const rolePositions = (positions: Positions) => {
    const out: Record<string, Record<number, string>> = {};
    for (const [topic, byPartition] of Object.entries(positions)) {
      const role = roleOfTopic.get(topic);
      if (role) out[role] = byPartition;
    }
    return out;
  };

  function servePage(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const page = PAGE_FILES[path];
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (!page) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    res
      .writeHead(200, {
        'content-type': page.type,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        // Record text is shown with textContent only; the policy backs that up.
        'content-security-policy':
          "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      })
      .end(req.method === 'HEAD' ? undefined : readFileSync(`${PAGE_DIR}${page.file}`));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_TAP_PORT, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  allowed = options.allowedOrigins?.includes('*')
    ? '*'
    : new Set(options.allowedOrigins ?? ownOrigins(host, port));
  log.info({ url: `http://${hostPart}:${port}`, topics: TAP_ROLES.map((r) => topics[r]) }, 'tap listening');

  let stopped: Promise<void> | undefined;
  return {
    url: `http://${hostPart}:${port}`,
    topics,
    metrics,
    ready,
    stats: () => ({ clients: clients.size, read: { ...read }, sent: totalSent, dropped: totalDropped }),
    positions: () => live.positions(),
    stop() {
      stopped ??= (async () => {
        stopping = true;
        clearInterval(pumpTimer);
        clearInterval(statsTimer);
        clearInterval(heartbeatTimer);
        for (const ws of closing) ws.terminate();
        for (const client of clients.values()) {
          client.ws.close(1001, 'tap stopping');
          setTimeout(() => client.ws.terminate(), 1_000).unref();
        }
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await live.stop();
        for (const client of [...clients.values()]) unsubscribe(client);
        await closed;
      })();
      return stopped;
    },
  };
}

function followStart(subscription: Subscription, topics: Topics): FollowStart {
  const from = subscription.from;
  if (from === 'now') return 'latest';
  if (from === 'earliest') return 'earliest';
  if ('timestamp' in from) return { timestamp: from.timestamp };
  const positions: Positions = {};
  for (const [role, byPartition] of Object.entries(from.offsets) as [TapRole, Record<string, string>][]) {
    positions[topics[role]] = Object.fromEntries(Object.entries(byPartition).map(([p, o]) => [Number(p), o]));
  }
  return positions;
}

/** Where a browser that loaded the page from this tap says it comes from. */
function ownOrigins(host: string, port: number): string[] {
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  const wildcard = host === '0.0.0.0' || host === '::';
  const names =
    loopback || wildcard ? ['127.0.0.1', 'localhost', '[::1]'] : [host.includes(':') ? `[${host}]` : host];
  // Bound to every interface, the tap cannot know the names it is reached by: --allow-origin says.
  return names.map((name) => `http://${name}:${port}`);
}

const sha = (text: string) => createHash('sha256').update(text).digest();

function tapMetrics(registry: Registry) {
  return {
    clients: new Gauge({
      name: 'ipt_tap_clients',
      help: 'connected WebSocket clients',
      registers: [registry],
    }),
    read: new Counter({
      name: 'ipt_tap_records_read_total',
      help: 'records read by the live reader, by topic role',
      labelNames: ['topic'],
      registers: [registry],
    }),
    sent: new Counter({
      name: 'ipt_tap_records_queued_total',
      help: 'records queued or sent to clients',
      registers: [registry],
    }),
    dropped: new Counter({
      name: 'ipt_tap_records_dropped_total',
      help: 'records dropped because a client queue was full',
      registers: [registry],
    }),
    decodeErrors: new Counter({
      name: 'ipt_tap_decode_errors_total',
      help: 'records that could not be decoded (sent with an error instead of a value)',
      labelNames: ['topic'],
      registers: [registry],
    }),
    disconnects: new Counter({
      name: 'ipt_tap_disconnects_total',
      help: 'clients cut off by the tap, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    refused: new Counter({
      name: 'ipt_tap_refused_total',
      help: 'WebSocket upgrades refused, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}
