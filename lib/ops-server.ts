import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { limitedServer } from './http/limits.ts';

export interface OpsServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port: number;
  registry: Registry;
  /** `true` when ready; otherwise a reason why not, shown by /readyz with status 503. */
  ready: () => true | string;
}

export interface OpsServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Answers /healthz, /readyz and /metrics; returns false for any other path (the caller's to answer),
 * so a service with its own HTTP server (the tap) serves the same probes on it.
 */
export function handleOpsRequest(
  options: Pick<OpsServerOptions, 'registry' | 'ready'>,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') return false;
  if (req.method !== 'GET') {
    res.writeHead(405, { allow: 'GET' }).end();
  } else if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  } else if (path === '/readyz') {
    const ready = options.ready();
    res
      .writeHead(ready === true ? 200 : 503, { 'content-type': 'text/plain' })
      .end(ready === true ? 'ready\n' : `not ready: ${ready}\n`);
  } else {
    options.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
      (error: Error) => res.writeHead(500).end(error.message),
    );
  }
  return true;
}

/**
 * /healthz (the process answers), /readyz (it is doing its job: assigned, restored, Triton reachable —
 * whatever the service says) and /metrics (Prometheus text). Loopback unless told otherwise.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  // Probes and scrapes are a handful of clients: the default limits (lib/http/limits.ts) bound the rest.
  const { server } = limitedServer((req, res) => {
    if (handleOpsRequest(options, req, res)) return;
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
