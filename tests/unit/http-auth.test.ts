import { describe, expect, it } from 'vitest';
import { type AuthRequest, tokenCheck } from '../../lib/http-auth.ts';

const TOKEN = 'secret-token-0123456789';
const request = (authorization?: string, url = '/documents'): AuthRequest => ({
  headers: authorization === undefined ? {} : { authorization },
  url,
});

describe('tokenCheck', () => {
  const ingest = tokenCheck(TOKEN);
  const tap = tokenCheck(TOKEN, { allowQueryToken: true });

  it('lets the right Bearer token through, with surrounding spaces trimmed', () => {
    expect(ingest(request(`Bearer ${TOKEN}`))).toBe(true);
    expect(ingest(request(`Bearer  ${TOKEN} `))).toBe(true);
    expect(tap(request(`Bearer ${TOKEN}`, '/stream'))).toBe(true);
  });

  it('refuses a wrong token, including ones longer, shorter or empty', () => {
    expect(ingest(request('Bearer wrong'))).toBe(false);
    expect(ingest(request(`Bearer ${TOKEN}x`))).toBe(false);
    expect(ingest(request(`Bearer ${TOKEN.slice(0, -1)}`))).toBe(false);
    expect(ingest(request(`Bearer ${'x'.repeat(10_000)}`))).toBe(false);
    expect(ingest(request('Bearer '))).toBe(false);
  });

  it('refuses a missing header and other schemes', () => {
    expect(ingest(request())).toBe(false);
    expect(ingest(request(TOKEN))).toBe(false);
    expect(ingest(request(`Basic ${TOKEN}`))).toBe(false);
    expect(ingest(request(`bearer ${TOKEN}`))).toBe(false);
  });

  it('takes ?token= only where allowed (the tap), and a Bearer header wins over it', () => {
    expect(ingest(request(undefined, `/documents?token=${TOKEN}`))).toBe(false);
    expect(tap(request(undefined, `/stream?token=${TOKEN}`))).toBe(true);
    expect(tap(request(undefined, `/stream?token=${encodeURIComponent(TOKEN)}&x=1`))).toBe(true);
    expect(tap(request(undefined, '/stream?token=wrong'))).toBe(false);
    expect(tap(request(undefined, '/stream?token='))).toBe(false);
    expect(tap(request(undefined, '/stream'))).toBe(false);
    // A header of another scheme does not hide the query token; a Bearer header is the one read.
    expect(tap(request(`Basic abc`, `/stream?token=${TOKEN}`))).toBe(true);
    expect(tap(request('Bearer wrong', `/stream?token=${TOKEN}`))).toBe(false);
  });

  it('lets every request through when no token is configured', () => {
    for (const none of [undefined, '']) {
      const open = tokenCheck(none, { allowQueryToken: true });
      expect(open(request())).toBe(true);
      expect(open(request('Bearer anything'))).toBe(true);
    }
  });
});
