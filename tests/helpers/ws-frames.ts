// Hand-written WebSocket bytes for the hostile-client tests and bench: frames no library would send
// (unmasked, reserved bits, unknown opcodes, bad UTF-8, lengths over the limit) and a reader of the
// close code a server answered with.

import { randomBytes } from 'node:crypto';
import { type RawClient, rawClient } from './raw-socket.ts';

/** The upgrade request of a WebSocket client of `path`, presenting `token`. */
export function upgradeRequest(token: string, path = '/stream'): string {
  return `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nAuthorization: Bearer ${token}\r\n\r\n`;
}

/** A raw socket that sent an upgrade request and got the response head (check it with statusOf). */
export async function rawUpgrade(url: string, token: string): Promise<RawClient> {
  const c = await rawClient(url);
  c.socket.write(upgradeRequest(token));
  for (let i = 0; i < 1_000 && !c.received().includes('\r\n\r\n'); i++)
    await new Promise((r) => setTimeout(r, 10));
  return c;
}

/**
 * A client frame: FIN + opcode, masked unless told otherwise. `declaredLength` claims a payload
 * length other than the bytes sent (a header announcing a frame over the limit).
 */
export function frame(
  opcode: number,
  payload: Buffer,
  options: { masked?: boolean; rsv?: number; declaredLength?: number } = {},
): Buffer {
  const masked = options.masked ?? true;
  const maskBit = masked ? 0x80 : 0;
  const length = options.declaredLength ?? payload.length;
  const head = Buffer.alloc(length < 126 ? 2 : length < 0x10000 ? 4 : 10);
  head[0] = 0x80 | (options.rsv ?? 0) | opcode;
  if (length < 126) head[1] = maskBit | length;
  else if (length < 0x10000) {
    head[1] = maskBit | 126;
    head.writeUInt16BE(length, 2);
  } else {
    head[1] = maskBit | 127;
    head.writeBigUInt64BE(BigInt(length), 2);
  }
  if (!masked) return Buffer.concat([head, payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)));
  return Buffer.concat([head, mask, body]);
}

/** The status code of the close frame a server sent after its 101 response (0 if none yet). */
export function closeCode(received: Buffer): number {
  const head = received.indexOf('\r\n\r\n');
  if (head < 0 || !received.subarray(0, 13).toString('latin1').startsWith('HTTP/1.1 101')) return 0;
  // Server frames are unmasked; skip the others (hello, replies, records) to the close frame (opcode 8).
  for (let i = head + 4; i + 1 < received.length; ) {
    const len = (received[i + 1] as number) & 0x7f;
    const header = len === 126 ? 4 : len === 127 ? 10 : 2;
    if (i + header > received.length) return 0;
    const size =
      len === 126
        ? received.readUInt16BE(i + 2)
        : len === 127
          ? Number(received.readBigUInt64BE(i + 2))
          : len;
    if (((received[i] as number) & 0x0f) === 8)
      return i + header + 2 <= received.length ? received.readUInt16BE(i + header) : 0;
    i += header + size;
  }
  return 0;
}

export interface MalformedFrame {
  what: string;
  bytes: Buffer;
  /** The close code ws answers it with. */
  code: number;
}

/** One frame of each kind a WebSocket server must refuse, for a server taking messages up to `maxMessageBytes`. */
export function malformedFrames(maxMessageBytes: number): MalformedFrame[] {
  return [
    { what: 'unmasked frame', bytes: frame(1, Buffer.from('{}'), { masked: false }), code: 1002 },
    { what: 'reserved bit set', bytes: frame(1, Buffer.from('{}'), { rsv: 0x40 }), code: 1002 },
    { what: 'unknown opcode 0x3', bytes: frame(0x3, Buffer.from('x')), code: 1002 },
    { what: 'invalid UTF-8 text', bytes: frame(1, Buffer.from([0xff, 0xfe, 0xfd])), code: 1007 },
    {
      what: `frame of ${maxMessageBytes + 1024} bytes`,
      bytes: frame(1, Buffer.alloc(maxMessageBytes + 1024, 0x20)),
      code: 1009,
    },
  ];
}

/** A subscribe message whose filters nest `depth` arrays deep, as one masked text frame. */
export const deepSubscribe = (depth: number): Buffer =>
  frame(1, Buffer.from(`{"type":"subscribe","filters":${'['.repeat(depth)}${']'.repeat(depth)}}`));
