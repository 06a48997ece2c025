// The limits every ipt HTTP server runs under (ingest's POST /documents, the tap, the ops servers),
// set in one place because Node's defaults suit a server behind a proxy, not one facing clients
// that may be hostile: Node waits 60 s for headers and 300 s for a request, checks both only every
// 30 s, accepts 2 000 headers, keeps a silent socket forever once a handler has answered, and takes
// any number of connections (past the file-descriptor limit, accept fails). ARCHITECTURE.md §4.

import { createServer, type RequestListener, type Server } from 'node:http';
import { type ConnectionCap, capConnections } from './connection-cap.ts';

export interface HttpLimits {
  /** A client has this long from connecting (or from starting a keep-alive request) to send its headers. */
  headersTimeoutMs: number;
  /** … and this long to send the whole request, body included. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
  /**
   * A socket with nothing moving for this long is closed, unless a handler is still working on its
   * request: catches the client that never reads its response.
   */
  idleTimeoutMs: number;
  /** Request line and headers together. */
  maxHeaderBytes: number;
  maxHeadersCount: number;
  /** Connections at once; past it the oldest one with no request in progress makes room (connection-cap.ts). */
  maxConnections: number;
}

export const HTTP_LIMIT_DEFAULTS: Readonly<HttpLimits> = Object.freeze({
  headersTimeoutMs: 10_000,
  // A 16 MiB body (ingest's largest) still fits at about 280 KB/s.
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  // Longer than a request's own bounds: a handler waiting on Kafka is never cut by it.
  idleTimeoutMs: 30_000,
  maxHeaderBytes: 16 * 1024,
  maxHeadersCount: 64,
  maxConnections: 1_024,
});

export interface LimitedServer {
  server: Server;
  connections: ConnectionCap;
}

/** An http.Server with `limits` (any not given: the defaults) enforced. */
export function limitedServer(handler: RequestListener, limits: Partial<HttpLimits> = {}): LimitedServer {
  const l = httpLimits(limits);
  const server = createServer(
    {
      maxHeaderSize: l.maxHeaderBytes,
      requestTimeout: l.requestTimeoutMs,
      headersTimeout: l.headersTimeoutMs,
      keepAliveTimeout: l.keepAliveTimeoutMs,
      // Node checks the two timeouts above only this often (30 s by default), so it bounds how late
      // a slow client is cut off.
      connectionsCheckingInterval: Math.max(
        50,
        Math.floor(Math.min(l.headersTimeoutMs, l.requestTimeoutMs) / 10),
      ),
    },
    handler,
  );
  server.maxHeadersCount = l.maxHeadersCount;
  const connections = capConnections(server, l.maxConnections, l.idleTimeoutMs);
  return { server, connections };
}

/** `limits` over the defaults, validated (a zero or negative limit would switch a guard off). */
export function httpLimits(limits: Partial<HttpLimits>): HttpLimits {
  const merged = { ...HTTP_LIMIT_DEFAULTS };
  for (const [key, value] of Object.entries(limits) as [keyof HttpLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1)
      throw new Error(`HTTP limit ${key} must be a positive integer`);
    merged[key] = value;
  }
  if (merged.headersTimeoutMs > merged.requestTimeoutMs)
    throw new Error('HTTP limit headersTimeoutMs must not exceed requestTimeoutMs');
  return merged;
}
