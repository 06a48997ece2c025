/**
 * Every failure of a Triton call is one of these classes, so callers (and the
 * retry loop) decide on the class, never on message text.
 */

export type TritonErrorKind = 'timeout' | 'connection' | 'server' | 'client' | 'model' | 'bad_response';

export interface TritonErrorContext {
  endpoint: string;
  model?: string | undefined;
  op: string;
}

export abstract class TritonError extends Error {
  abstract readonly kind: TritonErrorKind;
  readonly endpoint: string;
  readonly model: string | undefined;
  readonly op: string;

  constructor(message: string, ctx: TritonErrorContext, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.endpoint = ctx.endpoint;
    this.model = ctx.model;
    this.op = ctx.op;
  }

  /**
   * Whether trying again (elsewhere) can help. A 4xx means our request is
   * wrong and would be wrong on every replica; a bad response body means the
   * server speaks another protocol, which a retry will not change either. A
   * `model` failure may be the endpoint's or the prompt's: another endpoint
   * tells which (the cluster stops once two have failed it alike).
   */
  get retryable(): boolean {
    return (
      this.kind === 'timeout' || this.kind === 'connection' || this.kind === 'server' || this.kind === 'model'
    );
  }
}

function where(ctx: TritonErrorContext): string {
  return ctx.model === undefined
    ? `${ctx.op} at ${ctx.endpoint}`
    : `${ctx.op} ${ctx.model} at ${ctx.endpoint}`;
}

/** The request did not complete within its deadline (the server may still be working on it). */
export class TritonDeadlineError extends TritonError {
  readonly kind = 'timeout';
  readonly timeoutMs: number;

  constructor(ctx: TritonErrorContext, timeoutMs: number, options?: ErrorOptions) {
    super(`Triton ${where(ctx)} exceeded its deadline of ${timeoutMs} ms`, ctx, options);
    this.timeoutMs = timeoutMs;
  }
}

/** No usable connection: refused, reset, closed mid-response, DNS, TLS. */
export class TritonConnectionError extends TritonError {
  readonly kind = 'connection';
  readonly code: string | undefined;

  constructor(ctx: TritonErrorContext, code: string | undefined, detail: string, options?: ErrorOptions) {
    super(`Triton ${where(ctx)}: connection failed (${code ?? 'unknown'}): ${detail}`, ctx, options);
    this.code = code;
  }
}

/**
 * Triton answered with a non-2xx status. `model`: the HTTP generate extension
 * answers every error a decoupled model reports (a sick engine as much as a
 * bad prompt) with 400, so such a 400 says nothing certain about the request.
 */
export class TritonHttpError extends TritonError {
  readonly kind: 'server' | 'client' | 'model';
  readonly status: number;
  readonly body: string;

  constructor(ctx: TritonErrorContext, status: number, body: string, options?: { modelSide?: boolean }) {
    super(`Triton ${where(ctx)}: HTTP ${status}: ${body.slice(0, 500)}`, ctx);
    this.status = status;
    this.body = body;
    this.kind = status >= 500 ? 'server' : options?.modelSide ? 'model' : 'client';
  }
}

/**
 * A gRPC call failed with a status Triton chose, or the request's own error came back on the
 * stream (`model`: what the model reported, a sick engine as much as a bad prompt).
 */
export class TritonGrpcError extends TritonError {
  readonly kind: 'server' | 'client' | 'model';
  /** The call's gRPC status code; undefined for an error the model reported on the stream. */
  readonly grpcCode: number | undefined;

  constructor(
    ctx: TritonErrorContext,
    kind: 'server' | 'client' | 'model',
    detail: string,
    grpcCode?: number,
  ) {
    const status = grpcCode === undefined ? 'model error' : `gRPC status ${grpcCode}`;
    super(`Triton ${where(ctx)}: ${status}: ${detail.slice(0, 500)}`, ctx);
    this.kind = kind;
    this.grpcCode = grpcCode;
  }
}

/** A 2xx answer we cannot use: not JSON, missing output, wrong count. */
export class TritonBadResponseError extends TritonError {
  readonly kind = 'bad_response';

  constructor(ctx: TritonErrorContext, detail: string, options?: ErrorOptions) {
    super(`Triton ${where(ctx)}: bad response: ${detail}`, ctx, options);
  }
}

/** The cluster gave up on a request: attempts exhausted, a non-retryable error, or its overall deadline passed. */
export class TritonRequestFailedError extends Error {
  readonly attempts: number;
  override readonly cause: unknown;
  readonly model: string;

  constructor(model: string, attempts: number, cause: unknown, reason: string) {
    const causeMsg = cause instanceof Error ? cause.message : String(cause);
    super(
      `Triton request to ${model} failed permanently after ${attempts} attempt(s) (${reason}): ${causeMsg}`,
      {
        cause,
      },
    );
    this.name = 'TritonRequestFailedError';
    this.attempts = attempts;
    this.cause = cause;
    this.model = model;
  }
}

/** The cluster was closed while the request was waiting or running. */
export class TritonClosedError extends Error {
  constructor(what = 'Triton cluster') {
    super(`${what} is closed`);
    this.name = 'TritonClosedError';
  }
}

/** Error class name used as a metrics label; bounded set. */
export function errorClass(err: unknown): TritonErrorKind | 'other' {
  return err instanceof TritonError ? err.kind : 'other';
}
