// The tap's web page: three static files from ./page, served with headers that keep a page which
// shows untrusted corpus text from running anything but its own script.

import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));
const PAGE_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Record text is shown with textContent only; the policy backs that up.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/** Answers any request that is not a probe: a page file, or 204 / 404 / 405. */
export function servePage(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const page = PAGE_FILES[path];
  if (path === '/favicon.ico') {
    res.writeHead(204).end();
    return;
  }
  if (!page) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  res
    .writeHead(200, { 'content-type': page.type, ...HEADERS })
    .end(req.method === 'HEAD' ? undefined : readFileSync(`${PAGE_DIR}${page.file}`));
}
