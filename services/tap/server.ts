// services/tap: watch the pipeline live. One HTTP server carries the page (GET /), the probes
// (/healthz, /readyz, /metrics) and the WebSocket stream (/stream).
//
// The parts, each in its own file: records.ts decodes a record once for every client; readers.ts
// holds the shared live reader and the paced per-client positional readers; gate.ts decides who
// may open a WebSocket; connection.ts is one client (subscription, queue, heartbeats, close);
// clients.ts is the set of them; page.ts serves the page. startTap wires them.

import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { limitedServer } from '../../lib/http/limits.ts';
import { registerConnectionMetrics } from '../../lib/http/metrics.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import type { Positions } from '../../lib/kafka/follow-topics.ts';
import { createLogger } from '../../lib/log.ts';
import { handleOpsRequest } from '../../lib/ops-server.ts';
import { requireTopics, TOPICS, type Topics } from '../../lib/topics.ts';
import { ClientHub } from './clients.ts';
import { Connection, type ConnectionContext } from './connection.ts';
import { type GateOptions, upgradeGate } from './gate.ts';
import { tapMetrics } from './metrics.ts';
import { type TapOptions, tapSettings } from './options.ts';
import { servePage } from './page.ts';
import { TAP_ROLES, type TapRole } from './protocol.ts';
import { type LiveReader, PositionalReaders, startLiveReader } from './readers.ts';
import { recordDecoder } from './records.ts';

export { CLOSE_TOO_SLOW } from './connection.ts';
export { TAP_DEFAULTS, type TapOptions } from './options.ts';

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

export async function startTap(options: TapOptions): Promise<TapServer> {
  if (!options.token) throw new Error('the tap needs a token (clients must present it)');
  const settings = tapSettings(options);
  const log = options.log ?? createLogger('tap');
  const topics = options.topics ?? { ...TOPICS };
  const kafka = kafkaClient('ipt-tap', options.brokers, log);
  await requireTapTopics(kafka, topics);
  const metrics = options.metricsRegistry ?? new Registry();
  const m = tapMetrics(metrics);
  const decoder = await recordDecoder(options.registryUrl, topics, settings.urlMemory, m);
  const readers = { kafka, topics, decoder, stallMs: settings.stallMs, log };

  const hub = new ClientHub(m);
  const live = await startLiveReader(readers, m, (role) => hub.liveAudience(role));
  hub.startTimers({ ...settings, read: () => live.read });
  const connection: ConnectionContext = {
    ...settings,
    topics,
    metrics: m,
    log,
    hub,
    positional: new PositionalReaders(readers, settings.maxPositional),
    livePositions: () => decoder.rolePositions(live.positions()),
  };

  let stopping = false;
  const ready = (): true | string => (stopping ? 'stopping' : true);
  const { server, connections } = limitedServer((req, res) => {
    if (!handleOpsRequest({ registry: metrics, ready }, req, res)) servePage(req, res);
  }, settings.http);
  registerConnectionMetrics(metrics, 'tap', connections);
  const port = await listen(server, settings.port, settings.host);
  const gate: GateOptions = {
    ...settings,
    token: options.token,
    allowedOrigins: options.allowedOrigins,
    port,
    metrics: m,
    clients: () => hub.size,
    stopping: () => stopping,
    upgrading: (socket) => connections.exempt(socket as Socket),
  };
  // Attached as listening resolves, before any connection can be accepted (the port was unknown).
  server.on(
    'upgrade',
    upgradeGate(gate, (ws) => hub.add(new Connection(ws, hub.nextId(), connection))),
  );
  const url = `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${port}`;
  log.info({ url, topics: TAP_ROLES.map((r) => topics[r]) }, 'tap listening');

  let stopped: Promise<void> | undefined;
  return {
    url,
    topics,
    metrics,
    ready,
    stats: () => ({ clients: hub.size, read: { ...live.read }, sent: hub.sent, dropped: hub.dropped }),
    positions: () => live.positions(),
    stop() {
      stopping = true;
      stopped ??= shutDown(server, hub, live);
      return stopped;
    },
  };
}

/** Closes every client, stops accepting, then stops the Kafka readers. */
async function shutDown(server: Server, hub: ClientHub, live: LiveReader): Promise<void> {
  hub.closeAll();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await live.stop();
  hub.unsubscribeAll();
  await closed;
}

/** The tap refuses to start on topics that do not exist (a typo'd namespace would stream nothing). */
async function requireTapTopics(kafka: Kafka, topics: Topics): Promise<void> {
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
}

/** Listens; resolves with the bound port (the one asked for, or the free one picked for 0). */
async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}
