// The shared-secret check of ipt's HTTP endpoints (ingest's POST /documents, the tap's /stream).
// A client presents the token as `Authorization: Bearer <token>`; where a client cannot set headers
// (a browser's WebSocket), the endpoint may also take `?token=<token>`. The token itself is never
// logged or echoed: callers get only yes or no.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The parts of a request the check reads (so tests can pass a plain object). */
export type AuthRequest = Pick<IncomingMessage, 'headers' | 'url'>;

export interface TokenCheckOptions {
  /** Also take `?token=` from the URL when there is no Bearer header (WebSocket clients in browsers). */
  allowQueryToken?: boolean;
}

/**
 * Whether a request carries the configured token. With no token configured every request passes:
 * an endpoint that requires one refuses to start without it instead.
 */
export function tokenCheck(
  token: string | undefined,
  options: TokenCheckOptions = {},
): (req: AuthRequest) => boolean {
  if (!token) return () => true;
  // Compared as SHA-256 digests: both sides have the same length, so timingSafeEqual applies and
  // the time taken says nothing about the token's length or its first differing character.
  const expected = sha256(token);
  return (req) => {
    const given = presentedToken(req, options.allowQueryToken === true);
    return given !== '' && timingSafeEqual(sha256(given), expected);
  };
}

/** The token a request presents: the Bearer header wins over the query; '' when none. */
function presentedToken(req: AuthRequest, allowQuery: boolean): string {
  const header = req.headers.authorization ?? '';
  if (header.startsWith('Bearer ')) return header.slice('Bearer '.length).trim();
  if (!allowQuery) return '';
  return new URL(req.url ?? '/', 'http://localhost').searchParams.get('token') ?? '';
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();
