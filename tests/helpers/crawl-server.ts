import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CrawlServer {
  url: string;
  /** Requests seen, with their Range header, in order. */
  requests: { path: string; range: string | null }[];
  close(): Promise<void>;
}

/**
 * An http server of crawl files for tests: `files` served whole or by range (Accept-Ranges: bytes),
 * `slow` ones in `dripBytes` pieces `dripMs` apart (a long read to kill a worker in), any other path
 * 404, and paths under /fail/ 503.
 */
export async function startCrawlServer(
  files: Record<string, Buffer>,
  slow: { paths: string[]; dripBytes: number; dripMs: number } = { paths: [], dripBytes: 0, dripMs: 0 },
): Promise<CrawlServer> {
  const requests: CrawlServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({ path, range: req.headers.range ?? null });
    if (path.startsWith('/fail/')) return void res.writeHead(503).end('busy');
    const body = files[path];
    if (!body) return void res.writeHead(404).end('not found');
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const from = range ? Number(range[1]) : 0;
    const part = body.subarray(from);
    res.writeHead(range ? 206 : 200, {
      'accept-ranges': 'bytes',
      'content-length': String(part.length),
      ...(range ? { 'content-range': `bytes ${from}-${body.length - 1}/${body.length}` } : {}),
    });
    if (!slow.paths.includes(path)) return void res.end(part);
    let at = 0;
    const drip = () => {
      if (res.destroyed) return;
      if (at >= part.length) return void res.end();
      res.write(part.subarray(at, at + slow.dripBytes));
      at += slow.dripBytes;
      setTimeout(drip, slow.dripMs);
    };
    drip();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
