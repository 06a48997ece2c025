// One tap client's outbound queue. The tap reads Kafka once and offers every record to every
// client's queue without ever waiting for one: a client that cannot keep up fills its own queue and
// loses records (told with `dropped` notices), and past a limit it is disconnected. Nothing a client
// does reaches the Kafka reader or the other clients.
//
// Two buffers bound a client: this queue (records not yet handed to the socket, at most
// `maxQueueBytes`) and the socket's own send buffer (`bufferedAmount`), which grows without bound in
// ws if written to blindly — so the queue hands records to the socket only while that buffer is
// under `sendHighWaterBytes`. Queued payloads are the one Buffer per record shared by all clients,
// so a hundred slow clients do not hold a hundred copies of a record.

/** The part of a ws WebSocket the queue uses (a fake in unit tests). */
export interface QueueSocket {
  readonly bufferedAmount: number;
  /** `binary: false`: payloads are JSON held as Buffers (encoded once), sent as text frames. */
  send(data: Buffer | string, options: { binary: false }): void;
}

export interface QueueLimits {
  /** Bytes of records waiting for the socket; a record that does not fit is dropped. */
  maxQueueBytes: number;
  /** The queue stops handing records to the socket while its send buffer holds this much. */
  sendHighWaterBytes: number;
  /** Records dropped since the queue was last empty before the client counts as too slow. */
  maxDropped: number;
  /** At most one `dropped` notice per this many ms while dropping. */
  noticeIntervalMs: number;
}

export const DEFAULT_QUEUE_LIMITS: QueueLimits = {
  maxQueueBytes: 4 * 1024 * 1024,
  sendHighWaterBytes: 1024 * 1024,
  maxDropped: 10_000,
  noticeIntervalMs: 1_000,
};

export type OfferResult = 'sent' | 'queued' | 'dropped' | 'closed';

export class ClientQueue {
  private items: Buffer[] = [];
  private head = 0;
  private bytes = 0;
  private closed = false;
  /** Dropped since the last notice, since the queue was last empty, and ever. */
  private droppedUnreported = 0;
  private droppedStreak = 0;
  private lastNoticeAt = Number.NEGATIVE_INFINITY;
  private roomWaiters: (() => void)[] = [];
  sent = 0;
  dropped = 0;

  constructor(
    private readonly socket: QueueSocket,
    private readonly limits: QueueLimits,
    /** Called once when the client has dropped more than `maxDropped` records in a row. */
    private readonly onTooSlow: (dropped: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records waiting for the socket. */
  get length(): number {
    return this.items.length - this.head;
  }

  get queuedBytes(): number {
    return this.bytes;
  }

  /** Queues a record (or drops it if the queue is full) and hands what the socket can take. */
  offer(payload: Buffer): OfferResult {
    if (this.closed) return 'closed';
    if (this.length > 0 && this.bytes + payload.length > this.limits.maxQueueBytes) {
      this.drop();
      return 'dropped';
    }
    this.items.push(payload);
    this.bytes += payload.length;
    this.pump();
    return this.length === 0 ? 'sent' : 'queued';
  }

  /**
   * Sends a small message only if the client is keeping up (nothing queued); for periodic stats,
   * which are worth nothing late.
   */
  offerIfIdle(payload: Buffer): boolean {
    if (this.closed || this.length > 0 || this.socket.bufferedAmount >= this.limits.sendHighWaterBytes)
      return false;
    this.socket.send(payload, TEXT);
    return true;
  }

  /** Hands queued records to the socket while its send buffer has room; true while some remain. */
  pump(): boolean {
    if (this.closed) return false;
    while (this.length > 0 && this.socket.bufferedAmount < this.limits.sendHighWaterBytes) {
      const payload = this.items[this.head] as Buffer;
      this.items[this.head++] = EMPTY;
      this.bytes -= payload.length;
      this.socket.send(payload, TEXT);
      this.sent++;
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (this.length === 0) {
      // Caught up: what was lost is reported in order, and the slowness streak ends.
      if (this.droppedUnreported > 0) this.notice();
      this.droppedStreak = 0;
    }
    if (this.bytes * 2 <= this.limits.maxQueueBytes) this.wakeWaiters();
    return this.length > 0;
  }

  /**
   * Resolves once the queue is at most half full (or closed): a reader of the client's own
   * (positional) subscription awaits it, so that reader goes at the client's pace and drops nothing.
   */
  room(): Promise<void> {
    if (this.closed || this.bytes * 2 <= this.limits.maxQueueBytes) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Forgets what is queued (the client unsubscribed, or is gone). */
  clear(): void {
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    this.wakeWaiters();
  }

  close(): void {
    this.closed = true;
    this.clear();
  }

  private drop(): void {
    this.dropped++;
    this.droppedUnreported++;
    this.droppedStreak++;
    if (this.now() - this.lastNoticeAt >= this.limits.noticeIntervalMs) this.notice();
    if (this.droppedStreak > this.limits.maxDropped) {
      this.closed = true;
      this.onTooSlow(this.droppedStreak);
      this.clear();
    }
  }

  /**
   * Notices go straight to the socket, past the queue: a stuck client should learn it is losing
   * records as soon as it reads again. They are tiny and at most one per interval, so they cannot
   * grow the send buffer meaningfully before the client is cut off.
   */
  private notice(): void {
    this.lastNoticeAt = this.now();
    this.socket.send(
      JSON.stringify({ type: 'dropped', count: this.droppedUnreported, total: this.dropped }),
      TEXT,
    );
    this.droppedUnreported = 0;
  }

  private wakeWaiters(): void {
    if (this.roomWaiters.length === 0) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }
}

const EMPTY = Buffer.alloc(0);
const TEXT = { binary: false } as const;
