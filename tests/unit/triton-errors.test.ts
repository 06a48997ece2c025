import { describe, expect, it } from 'vitest';
import {
  errorClass,
  TritonBadResponseError,
  TritonConnectionError,
  TritonDeadlineError,
  TritonHttpError,
  TritonRequestFailedError,
} from '../../lib/triton/errors.ts';

const ctx = { endpoint: 'http://h:8000', model: 'm', op: 'infer' };

describe('error classes', () => {
  it('retries timeouts, connection failures and 5xx, never 4xx or bad responses', () => {
    expect(new TritonDeadlineError(ctx, 10).retryable).toBe(true);
    expect(new TritonConnectionError(ctx, 'ECONNREFUSED', 'refused').retryable).toBe(true);
    expect(new TritonHttpError(ctx, 503, 'busy').retryable).toBe(true);
    expect(new TritonHttpError(ctx, 400, 'bad input').retryable).toBe(false);
    expect(new TritonBadResponseError(ctx, 'no outputs').retryable).toBe(false);
  });

  it('names endpoint, model and deadline in the message', () => {
    const e = new TritonDeadlineError(ctx, 250);
    expect(e.message).toBe('Triton infer m at http://h:8000 exceeded its deadline of 250 ms');
    expect(e.name).toBe('TritonDeadlineError');
    expect(errorClass(e)).toBe('timeout');
    expect(errorClass(new Error('x'))).toBe('other');
  });

  it('a permanent failure carries attempts and the last cause', () => {
    const cause = new TritonHttpError(ctx, 500, 'boom');
    const e = new TritonRequestFailedError('m', 3, cause, 'attempts exhausted');
    expect(e.attempts).toBe(3);
    expect(e.cause).toBe(cause);
    expect(e.message).toMatch(/after 3 attempt\(s\) \(attempts exhausted\).*HTTP 500/);
  });
});
