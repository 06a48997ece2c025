// The http opener against a real local server: a body cut off mid-way is continued by a range
// request, a server without ranges fails the input, 404 is not retried, 503 is (then fails).

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpOpener, InputUnreadable } from '../../services/crawl/open.ts';

const body = Buffer.from(Array.from({ length: 5000 }, (_, i) => `line ${i}\n`).join(''));
const requests: { path: string; range: string | undefined }[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({ path, range: req.headers.range });
    if (path === '/busy') return void res.writeHead(503).end();
    if (path !== '/cut' && path !== '/cut-no-ranges') return void res.writeHead(404).end();
    const ranges = path === '/cut';
    const from = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
    res.writeHead(from > 0 && ranges ? 206 : 200, {
      'content-length': String(body.length - (ranges ? from : 0)),
      ...(ranges ? { 'accept-ranges': 'bytes' } : {}),
    });
    if (from > 0 && ranges) return void res.end(body.subarray(from));
    // The first answer breaks off a third of the way in.
    res.write(body.subarray(0, Math.floor(body.length / 3)), () => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const opener = httpOpener({ attempts: 3, backoffMs: 1 });

async function readAll(location: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of (await opener.open(location)).bytes) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('http inputs', () => {
  it('continues a body that broke off with a range request, byte for byte', async () => {
    requests.length = 0;
    expect((await readAll(`${base}/cut`)).equals(body)).toBe(true);
    expect(requests.map((r) => r.range)).toEqual([undefined, expect.stringMatching(/^bytes=\d+-$/)]);
  });

  it('fails an input whose server serves no ranges once it breaks off', async () => {
    await expect(readAll(`${base}/cut-no-ranges`)).rejects.toThrow(InputUnreadable);
  });

  it('does not retry a 404, retries a 503 and then fails', async () => {
    requests.length = 0;
    await expect(readAll(`${base}/missing`)).rejects.toThrow(/HTTP 404/);
    expect(requests).toHaveLength(1);
    requests.length = 0;
    await expect(readAll(`${base}/busy`)).rejects.toThrow(/HTTP 503 \(after up to 3 tries\)/);
    expect(requests).toHaveLength(3);
  });
});
