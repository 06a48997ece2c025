// The shared HTTP limits (lib/http/limits.ts) on a real server and real sockets: slow headers and
// slow bodies get 408, oversized headers 431, and past the connection cap idle sockets make room
// for a newcomer while a request in progress is never cut (all busy: 503).

import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type LimitedServer, limitedServer } from '../../lib/http/limits.ts';
import { nestsDeeperThan } from '../../lib/json-depth.ts';
import { type RawClient, rawClient, statusOf, trickle } from '../helpers/raw-socket.ts';

let running: LimitedServer | undefined;
const clients: RawClient[] = [];

async function start(limits: Parameters<typeof limitedServer>[1], hold?: Promise<void>): Promise<string> {
  running = limitedServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      if (hold && req.url === '/hold') await hold;
      res.end('ok');
    });
  }, limits);
  const server = running.server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
const open = async (url: string) => {
  const c = await rawClient(url);
  clients.push(c);
  return c;
};

afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.destroy();
  const server = running?.server;
  running = undefined;
  if (server) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

const SHORT = { headersTimeoutMs: 300, requestTimeoutMs: 600, idleTimeoutMs: 400, keepAliveTimeoutMs: 200 };

describe('HTTP limits', () => {
  it('answers slow headers and a slow body with 408 and closes; a prompt client is served', async () => {
    const url = await start(SHORT);
    const slowHeaders = await open(url);
    slowHeaders.socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    trickle(slowHeaders.socket, 'X-Slow: 1\r\n', 50);
    const slowBody = await open(url);
    slowBody.socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n');
    trickle(slowBody.socket, 'a', 50);
    expect((await fetch(url)).status).toBe(200);
    await Promise.all([slowHeaders.closed, slowBody.closed]);
    expect(statusOf(slowHeaders)).toBe(408);
    expect(statusOf(slowBody)).toBe(408);
  });

  it('answers headers over the size limit with 431', async () => {
    const url = await start(SHORT);
    const big = await open(url);
    big.socket.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    await big.closed;
    expect(statusOf(big)).toBe(431);
  });

  it('past the cap, idle sockets make room; a request in progress is kept; all busy refuses with 503', async () => {
    let release = () => {};
    const hold = new Promise<void>((r) => {
      release = r;
    });
    const url = await start({ maxConnections: 50 }, hold);
    const busy = fetch(`${url}/hold`);
    await until(() => (running?.connections.counts().open ?? 0) === 1);
    const idle: RawClient[] = [];
    for (let i = 0; i < 100; i++) idle.push(await open(url));
    // Each newcomer past 50 pushed out the oldest idle socket; the held request is still there.
    await until(() => running?.connections.counts().evicted === 51);
    expect((await fetch(url)).status).toBe(200);
    release();
    expect((await busy).status).toBe(200);
  });

  it('refuses a newcomer with 503 when every connection has a request in progress', async () => {
    let release = () => {};
    const hold = new Promise<void>((r) => {
      release = r;
    });
    const url = await start({ maxConnections: 2 }, hold);
    const busy = [fetch(`${url}/hold`), fetch(`${url}/hold`)];
    await until(() => (running?.connections.counts().open ?? 0) === 2);
    const late = await open(url);
    await late.closed;
    expect(statusOf(late)).toBe(503);
    release();
    for (const res of await Promise.all(busy)) expect(res.status).toBe(200);
  });
});

describe('JSON nesting', () => {
  it('counts objects and arrays, not brackets inside strings', () => {
    expect(nestsDeeperThan('{"a":[{"b":1}]}', 3)).toBe(false);
    expect(nestsDeeperThan('{"a":[{"b":[1]}]}', 3)).toBe(true);
    expect(nestsDeeperThan('{"a":"[[[[[[\\"[[[["}', 1)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(`${'['.repeat(65)}${']'.repeat(65)}`), 64)).toBe(true);
    expect(nestsDeeperThan(Buffer.from(`${'['.repeat(64)}${']'.repeat(64)}`), 64)).toBe(false);
  });
});

async function until(test: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !test(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(test()).toBe(true);
}
