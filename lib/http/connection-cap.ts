// How many connections an HTTP server holds, and which go when there are too many or they sit idle.
//
// Node's own `server.maxConnections` drops every new connection past the cap, so whoever opens the
// most connections first (5 000 idle sockets) locks everyone else out until Node's header timeout
// frees them. Here a new connection past the cap instead pushes out the oldest one that has no
// request in progress — a socket that never sent a full request, or an idle keep-alive one — so
// an attacker's idle sockets make room for newcomers, and a request being served is never cut.
// Only when every connection has a request in progress is the newcomer refused (503). Sockets
// handed to a WebSocket server are the caller's to bound (`exempt`).

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface ConnectionCounts {
  open: number;
  /** New connections answered 503 because every open one had a request in progress. */
  refused: number;
  /** Connections without a request in progress closed to make room for a new one. */
  evicted: number;
  /** Connections closed after `idleTimeoutMs` with nothing moving and no handler working. */
  idleClosed: number;
}

export interface ConnectionCap {
  counts(): ConnectionCounts;
  /** The socket now belongs to someone else (an upgraded WebSocket): never evicted or counted idle. */
  exempt(socket: Socket): void;
}

const REFUSAL =
  'HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\nretry-after: 1\r\ncontent-type: text/plain\r\ncontent-length: 21\r\n\r\ntoo many connections\n';

export function capConnections(server: Server, maxConnections: number, idleTimeoutMs: number): ConnectionCap {
  /** Open sockets, oldest first, with the responses still owed on each. */
  const open = new Map<Socket, Set<ServerResponse>>();
  const exempt = new WeakSet<Socket>();
  const counts = { refused: 0, evicted: 0, idleClosed: 0 };

  /** A handler is still working on a request of the socket (it has not ended its response). */
  const working = (socket: Socket): boolean => {
    for (const res of open.get(socket) ?? []) if (!res.writableEnded) return true;
    return false;
  };
  const evictable = (socket: Socket) => !exempt.has(socket) && !working(socket);

  server.on('connection', (socket: Socket) => {
    open.set(socket, new Set());
    socket.once('close', () => open.delete(socket));
    if (open.size <= maxConnections) return;
    for (const old of open.keys()) {
      if (old !== socket && evictable(old)) {
        counts.evicted++;
        open.delete(old);
        old.destroy();
        return;
      }
    }
    counts.refused++;
    open.delete(socket);
    endSocket(socket, REFUSAL);
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const owed = open.get(req.socket as Socket);
    if (!owed) return;
    owed.add(res);
    res.once('close', () => owed.delete(res));
  });
  // With a 'timeout' listener Node leaves the decision to us instead of destroying the socket.
  server.timeout = idleTimeoutMs;
  server.on('timeout', (socket: Socket) => {
    if (!evictable(socket)) return;
    counts.idleClosed++;
    socket.destroy();
  });

  return {
    counts: () => ({ open: open.size, ...counts }),
    exempt: (socket) => {
      exempt.add(socket);
    },
  };
}

/**
 * Writes a last response and closes the socket, without waiting for a peer that may never close its
 * side (a half-closed socket would otherwise stay open as long as the peer likes).
 */
export function endSocket(socket: Duplex, response: string): void {
  socket.end(response);
  socket.once('finish', () => socket.destroy());
  setTimeout(() => socket.destroy(), 1_000).unref();
}
