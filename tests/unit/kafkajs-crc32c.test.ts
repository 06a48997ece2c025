// patches/kafkajs+2.2.4.patch swaps kafkajs' byte-at-a-time CRC-32C for a slicing-by-8 one. Every
// record batch we produce carries this checksum, and the broker refuses a wrong one, so it must
// match CRC-32C exactly: the standard check value and a bit-by-bit reference on random buffers.

import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (b: Buffer) => number;

/** CRC-32C one bit at a time, straight from the definition (reflected polynomial 0x82F63B78). */
function bitwise(buffer: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buffer) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('kafkajs CRC-32C (patched)', () => {
  it('is the slicing-by-8 version from our patch', () => {
    expect(crc32C.toString()).toContain('T7[');
  });

  it('gives the standard check value for "123456789"', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32C(Buffer.alloc(0))).toBe(0);
  });

  it('matches the bit-by-bit definition on buffers of every length 0–300 and a few large ones', () => {
    for (let n = 0; n <= 300; n++) {
      const b = randomBytes(n);
      expect(crc32C(b), `length ${n}`).toBe(bitwise(b));
    }
    for (const n of [4095, 65_536, 100_003]) {
      const b = randomBytes(n);
      expect(crc32C(b), `length ${n}`).toBe(bitwise(b));
    }
  });
});
