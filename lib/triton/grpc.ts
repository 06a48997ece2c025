import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  TritonBadResponseError,
  TritonConnectionError,
  TritonDeadlineError,
  type TritonErrorContext,
  TritonGrpcError,
} from './errors.ts';
import { buildStreamRequest, type GrpcStreamResponse, parseStreamResponse } from './grpc-protocol.ts';
import type { InferOptions } from './http.ts';
import type { GenerationParams } from './protocol.ts';

const PROTO = fileURLToPath(new URL('./inference.proto', import.meta.url));

let serviceCtor: grpc.ServiceClientConstructor | undefined;

function inferenceService(): grpc.ServiceClientConstructor {
  if (serviceCtor === undefined) {
    const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: Number, oneofs: true });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      inference: { GRPCInferenceService: grpc.ServiceClientConstructor };
    };
    serviceCtor = pkg.inference.GRPCInferenceService;
  }
  return serviceCtor;
}

/** Statuses that say our request is wrong (every replica would refuse it alike). */
const CLIENT_CODES = new Set<number>([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.ALREADY_EXISTS,
  grpc.status.PERMISSION_DENIED,
  grpc.status.FAILED_PRECONDITION,
  grpc.status.OUT_OF_RANGE,
  grpc.status.UNIMPLEMENTED,
  grpc.status.UNAUTHENTICATED,
]);

/** The connection errno grpc-js reports inside an UNAVAILABLE status (a refused port ejects at once). */
function connectionCode(details: string): string {
  return /\b(E[A-Z]{3,}|UND_ERR_[A-Z_]+)\b/.exec(details)?.[1] ?? 'UNAVAILABLE';
}

export interface TritonGrpcOptions {
  /** Deadline of one request unless a call names its own. */
  timeoutMs?: number;
}

/**
 * One-prompt requests to ONE Triton endpoint over gRPC, each on its own ModelStreamInfer call (one
 * HTTP/2 connection carries them all). Cancelling a call — the caller's abort, a deadline, or the
 * connection closing when this process dies — makes Triton cancel the request, and an engine that
 * honours cancellation (vLLM's backend, the engine sim) stops generating it.
 */
export class TritonGrpcClient {
  /** host:port of the gRPC frontend. */
  readonly endpoint: string;
  private readonly client: grpc.Client;
  private readonly timeoutMs: number;
  /** Fails each call in flight (close() gives them up). */
  private readonly inFlight = new Set<(err: unknown) => void>();

  constructor(address: string, opts: TritonGrpcOptions = {}) {
    this.endpoint = address;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    const Service = inferenceService();
    this.client = new Service(address, grpc.credentials.createInsecure(), {
      // Answers of a long prompt are large; Triton's own limit is what should refuse them.
      'grpc.max_receive_message_length': -1,
      // A dead peer is noticed while requests wait for a long generation.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_permit_without_calls': 0,
    });
  }

  /** One prompt's generated text; the call is cancelled when `opts.signal` aborts or the deadline passes. */
  generate(
    model: string,
    prompt: string,
    params: GenerationParams = {},
    opts: InferOptions = {},
  ): Promise<string> {
    const ctx: TritonErrorContext = { endpoint: this.endpoint, model, op: 'generate' };
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<string>((resolve, reject) => {
      const call = (
        this.client as unknown as { ModelStreamInfer(): grpc.ClientDuplexStream<unknown, unknown> }
      ).ModelStreamInfer();
      let settled = false;
      const finish = (err: unknown, text?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.inFlight.delete(finish);
        if (err === null) {
          call.end(); // the request is answered: Triton closes the stream
          resolve(text as string);
        } else {
          call.cancel(); // Triton cancels whatever the request still had to do
          reject(err);
        }
      };
      const onAbort = () => finish(signal?.reason ?? new Error('aborted'));
      const timer = setTimeout(() => finish(new TritonDeadlineError(ctx, timeoutMs)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.inFlight.add(finish);
      call.on('data', (msg: GrpcStreamResponse) => {
        if (msg.error_message) return finish(new TritonGrpcError(ctx, 'model', msg.error_message));
        try {
          finish(null, parseStreamResponse(msg));
        } catch (err) {
          finish(new TritonBadResponseError(ctx, (err as Error).message, { cause: err }));
        }
      });
      call.on('error', (err: grpc.ServiceError) => finish(statusError(ctx, err, timeoutMs)));
      call.on('end', () => finish(new TritonBadResponseError(ctx, 'stream ended without an answer')));
      call.write(buildStreamRequest(model, randomUUID(), prompt, params, opts.plan));
    });
  }

  /** Cancels the calls in flight (their requests are for nobody now) and closes the connection. */
  close(): void {
    for (const fail of [...this.inFlight]) {
      fail(new TritonConnectionError({ endpoint: this.endpoint, op: 'generate' }, 'CLOSED', 'client closed'));
    }
    this.client.close();
  }
}

function statusError(ctx: TritonErrorContext, err: grpc.ServiceError, timeoutMs: number): Error {
  const details = err.details || err.message;
  switch (err.code) {
    case grpc.status.UNAVAILABLE:
    case grpc.status.CANCELLED: // not ours (ours settle first): the server or the connection gave up
      return new TritonConnectionError(ctx, connectionCode(details), details, { cause: err });
    case grpc.status.DEADLINE_EXCEEDED:
      return new TritonDeadlineError(ctx, timeoutMs, { cause: err });
    default:
      return new TritonGrpcError(ctx, CLIENT_CODES.has(err.code) ? 'client' : 'server', details, err.code);
  }
}

/**
 * Where endpoints' gRPC frontends are: their host:port in the order of the HTTP URLs, true for
 * Triton's default layout (defaultGrpcAddress), false for none (HTTP only).
 */
export type TritonGrpcSetting = readonly string[] | boolean;

/** The gRPC address of each endpoint a setting names (undefined: that endpoint stays on HTTP). */
export function grpcAddresses(
  urls: readonly string[],
  setting: TritonGrpcSetting | undefined,
): (string | undefined)[] {
  if (setting === undefined || setting === false) return urls.map(() => undefined);
  if (setting === true) return urls.map(defaultGrpcAddress);
  if (setting.length !== urls.length) {
    throw new Error(
      `${setting.length} gRPC address(es) for ${urls.length} Triton endpoint(s): give one per endpoint, in the same order`,
    );
  }
  return [...setting];
}

/** Triton's default layout: the gRPC frontend listens on the HTTP port + 1 (8000 → 8001). */
export function defaultGrpcAddress(httpEndpoint: string): string | undefined {
  try {
    const url = new URL(httpEndpoint);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    return `${url.hostname}:${port + 1}`;
  } catch {
    return undefined;
  }
}
