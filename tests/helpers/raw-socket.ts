// Raw TCP clients for the hostile-client tests: they send exactly the bytes a test names (a request
// cut short, a frame no WebSocket library would write) and report what came back and when it closed.

import { connect, type Socket } from 'node:net';

export interface RawClient {
  socket: Socket;
  /** Everything the server sent. */
  received(): Buffer;
  /** Resolves when the server closes the connection. */
  closed: Promise<void>;
}

export function rawClient(url: string): Promise<RawClient> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const parts: Buffer[] = [];
    socket.on('data', (d) => parts.push(d));
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, received: () => Buffer.concat(parts), closed }));
    socket.once('error', reject);
  });
}

/** The HTTP status of the first response a raw client got (0 when none). */
export const statusOf = (client: RawClient): number =>
  Number(/^HTTP\/1\.1 (\d{3})/.exec(client.received().toString('latin1'))?.[1] ?? 0);

/** Writes `chunks` one every `everyMs` until the socket closes. */
export function trickle(socket: Socket, chunk: string, everyMs: number): void {
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable) clearInterval(timer);
    else socket.write(chunk);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

/** Slowloris: writes the start of a request (`head`), then a header line a second, never ending it. */
export function slowHeaders(socket: Socket, head: string): void {
  socket.write(head);
  trickle(socket, 'X-Slow: 1\r\n', 1_000);
}
