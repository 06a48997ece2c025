// One WebSocket client of the tap: what it subscribed to, its bounded outbound queue
// (client-queue.ts), heartbeats, and how it ends — closed by the client, cut off for missing a pong,
// for a message over the size limit (1009, by ws), or for being too slow (CLOSE_TOO_SLOW).

import type { RawData, WebSocket } from 'ws';
import type { Logger } from '../../lib/log.ts';
import type { Topics } from '../../lib/topics.ts';
import { ClientQueue, type QueueLimits } from './client-queue.ts';
import type { TapMetrics } from './metrics.ts';
import {
  type ClientMessage,
  ProtocolError,
  parseClientMessage,
  type Subscription,
  TAP_ROLES,
  type TapRole,
} from './protocol.ts';
import type { LiveClient, PositionalReader, PositionalReaders } from './readers.ts';
import { type TapRecord, wants } from './records.ts';

/** Close code for a client cut off for slowness (besides the standard 1001 going away, 1009 too big). */
export const CLOSE_TOO_SLOW = 4008;

/** What a connection needs from the set of connected clients. */
export interface ConnectionHub {
  /** Stops serving the client; false when it already was. */
  remove(connection: Connection): boolean;
  /** Offers a record to the client's queue and counts the outcome. */
  deliver(connection: Connection, record: TapRecord): void;
  /** A socket closed for slowness stays open a grace period, so the client reads why. */
  linger(ws: WebSocket): void;
}

export interface ConnectionContext {
  topics: Topics;
  queue: QueueLimits;
  maxMessageBytes: number;
  metrics: TapMetrics;
  log: Logger;
  hub: ConnectionHub;
  positional: PositionalReaders;
  /** The live reader's positions, keyed by role. */
  livePositions(): Record<string, Record<number, string>>;
}

export class Connection implements LiveClient {
  readonly queue: ClientQueue;
  private subscription: Subscription | undefined;
  private reader: PositionalReader | undefined;
  /** Bumped on every (un)subscribe, so a stale positional reader stops handing out records. */
  private generation = 0;
  private alive = true;

  constructor(
    readonly ws: WebSocket,
    readonly id: number,
    private readonly context: ConnectionContext,
  ) {
    this.queue = new ClientQueue(ws, context.queue, (dropped) => this.tooSlow(dropped));
  }

  /** Listens to the socket and greets the client with the topics and limits. */
  start(): void {
    const { ws, context } = this;
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('message', (data, isBinary) => this.received(data, isBinary));
    ws.on('error', (error) =>
      context.log.debug({ client: this.id, error: error.message }, 'client socket error'),
    );
    ws.on('close', (code) => {
      if (code === 1009) context.metrics.disconnects.inc({ reason: 'message_too_big' });
      this.forget();
    });
    this.reply({
      type: 'hello',
      topics: Object.fromEntries(TAP_ROLES.map((r) => [r, context.topics[r]])),
      limits: {
        maxMessageBytes: context.maxMessageBytes,
        maxQueueBytes: context.queue.maxQueueBytes,
        maxDropped: context.queue.maxDropped,
      },
    });
  }

  /** Whether the live reader should offer this client records of a role (checked once per batch). */
  watchesLive(role: TapRole): boolean {
    return this.subscription?.from === 'now' && this.subscription.topics.includes(role);
  }

  offerLive(record: TapRecord): void {
    const subscription = this.subscription;
    if (subscription?.from === 'now' && wants(subscription, record)) this.context.hub.deliver(this, record);
  }

  /** A ping per period; no pong since the previous one means the peer is gone. */
  heartbeat(): void {
    if (!this.alive) {
      this.context.log.info({ client: this.id }, 'no pong since the last ping; cutting the client off');
      this.context.metrics.disconnects.inc({ reason: 'heartbeat' });
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  /** Counters for a subscribed client, skipped when it is behind (they are worth nothing late). */
  sendStats(read: Record<TapRole, number>, clients: number): void {
    if (!this.subscription) return;
    const you = { sent: this.queue.sent, dropped: this.queue.dropped };
    this.queue.offerIfIdle(Buffer.from(JSON.stringify({ type: 'stats', read, clients, you })));
  }

  /** Stops serving the client: its queue and any reader of its own go. */
  forget(): void {
    if (!this.context.hub.remove(this)) return;
    this.queue.close();
    this.unsubscribe();
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  private tooSlow(dropped: number): void {
    this.context.log.warn({ client: this.id, dropped }, 'client too slow; disconnecting it');
    this.context.metrics.disconnects.inc({ reason: 'too_slow' });
    // No longer served from here on; what is already in its socket buffer (at most the send
    // high-water mark, then the dropped notices and the close frame) stays there for a grace
    // period, so a client that was only stalled learns what it lost and why it was closed.
    this.forget();
    this.ws.close(CLOSE_TOO_SLOW, `too slow: ${dropped} records dropped`);
    this.context.hub.linger(this.ws);
  }

  private received(data: RawData, isBinary: boolean): void {
    this.alive = true;
    if (isBinary) {
      this.reply({ type: 'error', error: 'send JSON text messages' });
      return;
    }
    let message: ClientMessage;
    try {
      message = parseClientMessage(String(data), this.context.topics);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.reply({ type: 'error', error: error.message });
      return;
    }
    if (message.type === 'subscribe') {
      void this.subscribe(message.subscription);
      return;
    }
    this.unsubscribe();
    this.reply({ type: 'unsubscribed' });
  }

  /** Ends the subscription: nothing queued is sent, and a reader of its own stops. */
  unsubscribe(): void {
    this.generation++;
    this.subscription = undefined;
    this.queue.clear();
    void this.reader?.stop();
    this.reader = undefined;
  }

  private async subscribe(subscription: Subscription): Promise<void> {
    this.unsubscribe();
    if (subscription.from === 'now') {
      this.subscription = subscription;
      this.reply({ type: 'subscribed', subscription, positions: this.context.livePositions() });
      return;
    }
    const generation = this.generation;
    let reader: PositionalReader;
    try {
      reader = await this.context.positional.start(subscription, {
        current: () => this.generation === generation,
        take: (record) => this.context.hub.deliver(this, record),
        room: () => this.queue.room(),
      });
    } catch (error) {
      this.reply({ type: 'error', error: (error as Error).message });
      return;
    }
    if (this.generation !== generation) {
      // Unsubscribed or gone while the reader started.
      void reader.stop();
      return;
    }
    this.reader = reader;
    this.subscription = subscription;
    this.reply({ type: 'subscribed', subscription, positions: reader.positions() });
  }

  /** Control messages go straight to the socket: they are small and rare. */
  private reply(message: object): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(message));
  }
}
