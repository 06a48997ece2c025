import WebSocket from 'ws';

export interface TapClientOptions {
  token?: string;
  /** Present the token as ?token= instead of the Authorization header. */
  tokenInQuery?: boolean;
  origin?: string;
  /** Keep every parsed message (small tests); otherwise only records are counted, cheaply. */
  keepMessages?: boolean;
  /** Called with each record's key as it arrives (a bench timing delivery). */
  onRecord?: (key: string) => void;
}

// biome-ignore lint/suspicious/noExplicitAny: messages are whatever JSON the tap sends
export type TapMessage = Record<string, any>;

/** A WebSocket client of the tap that counts records by key without parsing them (200 of these run at once). */
export class TapTestClient {
  readonly messages: TapMessage[] = [];
  readonly keys = new Set<string>();
  records = 0;
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { test: () => boolean; resolve: () => void }[] = [];

  private constructor(
    readonly ws: WebSocket,
    private readonly keepMessages: boolean,
    private readonly onRecord?: (key: string) => void,
  ) {
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
    ws.on('message', (data, isBinary) => {
      // The tap sends JSON in text frames only (a browser would get a Blob from a binary one).
      if (isBinary) throw new Error('the tap sent a binary frame');
      const text = String(data);
      if (text.startsWith('{"type":"record"')) {
        this.records++;
        // The key comes before the value in every record message (services/tap/server.ts).
        const key = /"key":"([^"]*)"/.exec(text.slice(0, 400))?.[1];
        if (key !== undefined) {
          this.keys.add(key);
          this.onRecord?.(key);
        }
        if (this.keepMessages) this.messages.push(JSON.parse(text));
      } else this.messages.push(JSON.parse(text));
      this.check();
    });
    ws.on('close', () => this.check());
  }

  /** Connects; rejects with the HTTP status when the tap refuses the upgrade. */
  static connect(baseUrl: string, options: TapClientOptions = {}): Promise<TapTestClient> {
    const url = new URL('/stream', baseUrl.replace(/^http/, 'ws'));
    const headers: Record<string, string> = {};
    if (options.token !== undefined) {
      if (options.tokenInQuery) url.searchParams.set('token', options.token);
      else headers.authorization = `Bearer ${options.token}`;
    }
    const ws = new WebSocket(url, { headers, ...(options.origin ? { origin: options.origin } : {}) });
    const client = new TapTestClient(ws, options.keepMessages ?? false, options.onRecord);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        reject(Object.assign(new Error(`refused: ${res.statusCode}`), { status: res.statusCode }));
        res.resume();
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  async subscribe(subscription: Record<string, unknown>): Promise<TapMessage> {
    const seen = this.messages.length;
    this.send({ type: 'subscribe', ...subscription });
    await this.until(
      () => this.messages.slice(seen).some((m) => m.type === 'subscribed' || m.type === 'error'),
      30_000,
    );
    const reply = this.messages
      .slice(seen)
      .find((m) => m.type === 'subscribed' || m.type === 'error') as TapMessage;
    if (reply.type === 'error') throw new Error(`subscription refused: ${reply.error}`);
    return reply;
  }

  /** Resolves once `test` holds (checked on every message and on close). */
  until(test: () => boolean, timeoutMs: number): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.test()) return true;
      w.resolve();
      return false;
    });
  }

  close(): void {
    this.ws.terminate();
  }
}
