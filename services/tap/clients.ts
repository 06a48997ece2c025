// The tap's connected clients: who is connected, the periodic work over all of them (pumping queues
// the socket could not take at once, stats, heartbeats), the tap-wide sent/dropped counts, and
// closing them all when the tap stops.

import type { WebSocket } from 'ws';
import type { Connection, ConnectionHub } from './connection.ts';
import type { TapMetrics } from './metrics.ts';
import type { TapRole } from './protocol.ts';
import type { TapRecord } from './records.ts';

/** How long a client closed for slowness keeps its socket, to read what is buffered and the close. */
const CLOSE_GRACE_MS = 10_000;
/** How long a client is given to answer the close when the tap stops. */
const STOP_GRACE_MS = 1_000;
/** ws has no 'drain' event, so queues the socket could not take at once are retried this often. */
const PUMP_MS = 20;

export interface HubTimers {
  heartbeatMs: number;
  statsIntervalMs: number;
  /** The live reader's counts, sent in every stats message. */
  read(): Record<TapRole, number>;
}

export class ClientHub implements ConnectionHub {
  private readonly clients = new Map<number, Connection>();
  /** Clients whose queue still holds records the socket had no room for. */
  private readonly blocked = new Set<Connection>();
  /** Sockets of clients cut off for slowness, in their grace period. */
  private readonly closing = new Set<WebSocket>();
  private readonly timers: NodeJS.Timeout[] = [];
  private lastId = 0;
  sent = 0;
  dropped = 0;

  constructor(private readonly metrics: TapMetrics) {}

  get size(): number {
    return this.clients.size;
  }

  nextId(): number {
    return ++this.lastId;
  }

  add(connection: Connection): void {
    this.clients.set(connection.id, connection);
    this.metrics.clients.set(this.clients.size);
    connection.start();
  }

  remove(connection: Connection): boolean {
    if (!this.clients.delete(connection.id)) return false;
    this.metrics.clients.set(this.clients.size);
    this.blocked.delete(connection);
    return true;
  }

  /** Clients the live reader offers records of a role to. */
  liveAudience(role: TapRole): Connection[] {
    return [...this.clients.values()].filter((c) => c.watchesLive(role));
  }

  deliver(connection: Connection, record: TapRecord): void {
    const result = connection.queue.offer(record.payload());
    if (result === 'dropped') {
      this.dropped++;
      this.metrics.dropped.inc();
    } else if (result !== 'closed') {
      this.sent++;
      this.metrics.sent.inc();
    }
    if (result === 'queued') this.blocked.add(connection);
  }

  linger(ws: WebSocket): void {
    this.closing.add(ws);
    ws.once('close', () => this.closing.delete(ws));
    setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  startTimers(timers: HubTimers): void {
    this.timers.push(
      setInterval(() => {
        for (const c of this.blocked) if (!c.queue.pump()) this.blocked.delete(c);
      }, PUMP_MS),
      setInterval(() => {
        for (const c of this.clients.values()) c.sendStats(timers.read(), this.clients.size);
      }, timers.statsIntervalMs),
      setInterval(() => {
        for (const c of this.clients.values()) c.heartbeat();
      }, timers.heartbeatMs),
    );
  }

  /** Stops the timers and closes every socket (1001), cutting off those that do not answer. */
  closeAll(): void {
    for (const timer of this.timers) clearInterval(timer);
    for (const ws of this.closing) ws.terminate();
    for (const c of this.clients.values()) {
      c.close(1001, 'tap stopping');
      setTimeout(() => c.ws.terminate(), STOP_GRACE_MS).unref();
    }
  }

  /** Stops the positional readers of clients still here (their sockets are closing). */
  unsubscribeAll(): void {
    for (const c of [...this.clients.values()]) c.unsubscribe();
  }
}
