// One WebSocket client of the tap: what it subscribed to, its bounded outbound queue
// (client-queue.ts), heartbeats, and how it ends — closed by the client, cut off for missing a pong,
// for a frame ws cannot take (over the size limit 1009, invalid UTF-8 1007, any other protocol
// violation 1002 — ws closes those itself), for JSON nested too deep (1008), or for being too slow
// or not reading at all (CLOSE_TOO_SLOW).

import type { RawData, WebSocket } from 'ws';
import { nestsDeeperThan } from '../../lib/json-depth.ts';
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
/** Standard close code for a message against the tap's policy (JSON nested too deep). */
export const CLOSE_POLICY = 1008;

/** Why ws closed a connection, by the code of the error it raised. */
const WS_ERROR_REASONS: Record<string, string> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 'message_too_big',
  WS_ERR_INVALID_UTF8: 'invalid_utf8',
};

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
  maxJsonDepth: number;
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
    ws.on('error', (error: Error & { code?: string }) => {
      context.log.debug({ client: this.id, error: error.message }, 'client socket error');
      // ws raises these for frames it refused, and closes the connection with their status code.
      if (error.code?.startsWith('WS_ERR_')) {
        context.metrics.disconnects.inc({ reason: WS_ERROR_REASONS[error.code] ?? 'protocol_error' });
      }
    });
    ws.on('close', () => this.forget());
    this.reply({
      type: 'hello',
      topics: Object.fromEntries(TAP_ROLES.map((r) => [r, context.topics[r]])),
      limits: {
        maxMessageBytes: context.maxMessageBytes,
        maxJsonDepth: context.maxJsonDepth,
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

  /**
   * No longer served from here on; what is already in its socket buffer (at most the send high-water
   * mark, then the dropped notices and the close frame) stays there for a grace period, so a client
   * that was only stalled learns what it lost and why it was closed.
   */
  private tooSlow(dropped: number): void {
    this.cutOff('too_slow', CLOSE_TOO_SLOW, `too slow: ${dropped} records dropped`, { dropped });
  }

  private received(data: RawData, isBinary: boolean): void {
    this.alive = true;
    if (isBinary) {
      this.reply({ type: 'error', error: 'send JSON text messages' });
      return;
    }
    const text = String(data);
    if (nestsDeeperThan(text, this.context.maxJsonDepth)) {
      this.cutOff(
        'json_too_deep',
        CLOSE_POLICY,
        `JSON nested deeper than ${this.context.maxJsonDepth} levels`,
      );
      return;
    }
    let message: ClientMessage;
    try {
      message = parseClientMessage(text, this.context.topics);
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

  /**
   * Control messages go straight to the socket: they are small, and a client gets one per message it
   * sends. One that keeps sending but never reads would still grow its send buffer without end, so
   * past the queue's high-water mark it is cut off instead.
   */
  private reply(message: object): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount >= this.context.queue.sendHighWaterBytes) {
      this.cutOff('not_reading', CLOSE_TOO_SLOW, 'not reading: send buffer full');
      return;
    }
    this.ws.send(JSON.stringify(message));
  }

  /** Ends a client that broke a rule: it is told why, and cut off if it does not close in time. */
  private cutOff(reason: string, code: number, text: string, detail: object = {}): void {
    this.context.log.warn({ client: this.id, reason, ...detail }, 'cutting a client off');
    this.context.metrics.disconnects.inc({ reason });
    this.forget();
    this.ws.close(code, text);
    this.context.hub.linger(this.ws);
  }
}
