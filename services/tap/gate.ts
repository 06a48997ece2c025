// The tap's upgrade gate: whether an HTTP request may become a WebSocket client. It must ask for
// /stream, come from an allowed browser origin (or from no browser), carry the token, and find the
// tap running and under its client limit; the WebSocket server it hands accepted sockets to enforces
// the message-size limit (a larger message closes the connection with 1009).

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { endSocket } from '../../lib/http/connection-cap.ts';
import { tokenCheck } from '../../lib/http-auth.ts';
import type { TapMetrics } from './metrics.ts';

export interface GateOptions {
  token: string;
  /** Allowed browser origins; undefined: the tap's own (see ownOrigins). */
  allowedOrigins: string[] | undefined;
  host: string;
  port: number;
  maxClients: number;
  maxMessageBytes: number;
  /** Clients connected now; the gate adds those still mid-upgrade. */
  clients(): number;
  stopping(): boolean;
  metrics: TapMetrics;
  /** Called with a socket about to become a WebSocket: from then on its limits are the tap's own. */
  upgrading(socket: Duplex): void;
}

interface Refusal {
  status: number;
  text: string;
  reason: 'path' | 'origin' | 'token' | 'stopping' | 'max_clients';
}

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** The server's 'upgrade' listener: refuses with an HTTP status, or hands the socket to `connected`. */
export function upgradeGate(options: GateOptions, connected: (ws: WebSocket) => void): UpgradeHandler {
  const authorized = tokenCheck(options.token, { allowQueryToken: true });
  const origins = allowedOrigins(options);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes,
    clientTracking: false,
  });
  let upgrading = 0;

  const refusal = (req: IncomingMessage): Refusal | undefined => {
    const path = new URL(req.url ?? '/', 'http://tap').pathname;
    if (path !== '/stream') return { status: 404, text: 'Not Found', reason: 'path' };
    const origin = req.headers.origin;
    if (origin !== undefined && origins !== '*' && !origins.has(origin))
      return { status: 403, text: 'Forbidden', reason: 'origin' };
    if (!authorized(req)) return { status: 401, text: 'Unauthorized', reason: 'token' };
    if (options.stopping()) return { status: 503, text: 'Service Unavailable', reason: 'stopping' };
    if (options.clients() + upgrading >= options.maxClients)
      return { status: 503, text: 'Service Unavailable', reason: 'max_clients' };
    return undefined;
  };

  return (req, socket, head) => {
    const refused = refusal(req);
    if (refused) {
      options.metrics.refused.inc({ reason: refused.reason });
      endSocket(socket, refusalResponse(refused));
      return;
    }
    options.upgrading(socket);
    upgrading++;
    wss.handleUpgrade(req, socket, head, (ws) => {
      upgrading--;
      connected(ws);
    });
  };
}

function refusalResponse({ status, text }: Refusal): string {
  const challenge = status === 401 ? 'www-authenticate: Bearer\r\n' : '';
  return `HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-type: text/plain\r\n${challenge}\r\n${text.toLowerCase()}\n`;
}

function allowedOrigins(options: GateOptions): Set<string> | '*' {
  if (options.allowedOrigins?.includes('*')) return '*';
  return new Set(options.allowedOrigins ?? ownOrigins(options.host, options.port));
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
