/**
 * Retry delays: exponential growth so a struggling cluster gets room, capped
 * so a recovered one is used again soon, and jittered so the many requests
 * that failed together (a server died under them) do not return together.
 */

export interface BackoffOptions {
  /** Delay scale of the first retry. */
  baseMs?: number;
  /** Upper bound of any single delay. */
  maxMs?: number;
  factor?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { baseMs: 100, maxMs: 5_000, factor: 2 };

/** The un-jittered ceiling before retry number `retry` (1-based). */
export function backoffCeiling(retry: number, opts: BackoffOptions = {}): number {
  const { baseMs, maxMs, factor } = { ...DEFAULT_BACKOFF, ...opts };
  if (retry < 1) return 0;
  // Clamp the exponent: factor ** 1000 is Infinity, and min() of that is fine, but NaN from Infinity*0 is not.
  const exp = Math.min(retry - 1, 64);
  return Math.min(maxMs, baseMs * factor ** exp);
}

/**
 * "Equal jitter": half the ceiling fixed, half random. Unlike full jitter it
 * never retries immediately, which matters when the failure was a refused
 * connection that will be refused again a millisecond later.
 */
export function backoffDelay(
  retry: number,
  opts: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const ceiling = backoffCeiling(retry, opts);
  const half = ceiling / 2;
  return half + half * Math.min(Math.max(random(), 0), 1);
}
