import { Pool } from 'undici';
import {
  TritonBadResponseError,
  TritonConnectionError,
  TritonDeadlineError,
  TritonError,
  type TritonErrorContext,
  TritonHttpError,
} from './errors.ts';
import {
  buildGenerateBody,
  buildInferBody,
  type DispatchPlan,
  type GenerationParams,
  type ModelConfig,
  parseGenerateResponse,
  parseInferResponse,
} from './protocol.ts';

export interface TritonHttpOptions {
  /** Deadline of one request, connect to last body byte, unless a call names its own. */
  timeoutMs?: number;
  /** Sockets kept to this endpoint; caps the requests it can serve at once. */
  connections?: number;
  /** How long an idle keep-alive socket stays open. */
  keepAliveTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface CallOptions {
  timeoutMs?: number;
  /** The caller's own cancellation; surfaces as its reason, not as a Triton error. */
  signal?: AbortSignal;
}

export interface InferOptions extends CallOptions {
  /** What the model declares (from its config); without it every input is sent. */
  plan?: DispatchPlan;
}

export interface ModelMetadata {
  name: string;
  versions?: string[];
  platform?: string;
  inputs: Array<{ name: string; datatype: string; shape: number[] }>;
  outputs: Array<{ name: string; datatype: string; shape: number[] }>;
}

const TRANSPORT_TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * A KServe v2 HTTP client for ONE Triton endpoint. Keeps a pool of keep-alive
 * sockets: connection setup would otherwise cost more than a small infer.
 */
export class TritonHttpClient {
  readonly endpoint: string;
  private readonly pool: Pool;
  private readonly timeoutMs: number;

  constructor(endpoint: string, opts: TritonHttpOptions = {}) {
    this.endpoint = endpoint.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.pool = new Pool(this.endpoint, {
      connections: opts.connections ?? 16,
      // No pipelining: one slow batch must not hold up the answers queued behind it on the socket.
      pipelining: 1,
      keepAliveTimeout: opts.keepAliveTimeoutMs ?? 30_000,
      keepAliveMaxTimeout: 600_000,
      connect: { timeout: opts.connectTimeoutMs ?? 5_000 },
    });
  }

  /** `/v2/health/ready`; false on any failure, because a health probe must not throw. */
  async ready(opts: CallOptions = {}): Promise<boolean> {
    return this.probe('ready', undefined, '/v2/health/ready', opts);
  }

  async live(opts: CallOptions = {}): Promise<boolean> {
    return this.probe('live', undefined, '/v2/health/live', opts);
  }

  async modelReady(model: string, opts: CallOptions = {}): Promise<boolean> {
    return this.probe('model_ready', model, `/v2/models/${encodeURIComponent(model)}/ready`, opts);
  }

  async metadata(model: string, opts: CallOptions = {}): Promise<ModelMetadata> {
    return (await this.json('metadata', model, 'GET', modelPath(model), undefined, opts)) as ModelMetadata;
  }

  async config(model: string, opts: CallOptions = {}): Promise<ModelConfig> {
    return (await this.json(
      'config',
      model,
      'GET',
      `${modelPath(model)}/config`,
      undefined,
      opts,
    )) as ModelConfig;
  }

  /** One ModelInfer carrying every prompt as a row of [n, 1] tensors; outputs in prompt order. */
  async infer(
    model: string,
    prompts: readonly string[],
    params: GenerationParams = {},
    opts: InferOptions = {},
  ): Promise<string[]> {
    const body = buildInferBody(prompts, params, opts.plan);
    const json = await this.json('infer', model, 'POST', `${modelPath(model)}/infer`, body, opts);
    return this.parsed('infer', model, () => parseInferResponse(json, prompts.length));
  }

  /** One prompt through the generate extension (`/generate`), which also serves decoupled models. */
  async generate(
    model: string,
    prompt: string,
    params: GenerationParams = {},
    opts: InferOptions = {},
  ): Promise<string> {
    const body = buildGenerateBody(prompt, params, opts.plan);
    let json: unknown;
    try {
      json = await this.json('generate', model, 'POST', `${modelPath(model)}/generate`, body, opts);
    } catch (err) {
      // The generate extension reports whatever the model failed with as a 400 (Triton's gRPC path
      // keeps the model's own status): a sick engine reads like a bad prompt until another one answers.
      if (err instanceof TritonHttpError && err.status === 400) {
        throw new TritonHttpError({ endpoint: this.endpoint, model, op: 'generate' }, 400, err.body, {
          modelSide: true,
        });
      }
      throw err;
    }
    return this.parsed('generate', model, () => parseGenerateResponse(json));
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Drop sockets without waiting for in-flight requests (they fail with a connection error). */
  async destroy(): Promise<void> {
    await this.pool.destroy();
  }

  private parsed<T>(op: string, model: string, parse: () => T): T {
    try {
      return parse();
    } catch (err) {
      throw new TritonBadResponseError({ endpoint: this.endpoint, model, op }, (err as Error).message, {
        cause: err,
      });
    }
  }

  private async probe(
    op: string,
    model: string | undefined,
    path: string,
    opts: CallOptions,
  ): Promise<boolean> {
    try {
      await this.request({ endpoint: this.endpoint, model, op }, 'GET', path, undefined, opts);
      return true;
    } catch (err) {
      if (err instanceof TritonError) return false;
      throw err;
    }
  }

  private async json(
    op: string,
    model: string | undefined,
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    opts: CallOptions,
  ): Promise<unknown> {
    const ctx = { endpoint: this.endpoint, model, op };
    const text = await this.request(ctx, method, path, body, opts);
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new TritonBadResponseError(ctx, `not JSON: ${text.slice(0, 200)}`, { cause: err });
    }
  }

  /** The single place where transport failures become TritonErrors. */
  private async request(
    ctx: TritonErrorContext,
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    opts: CallOptions,
  ): Promise<string> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const signal = opts.signal ? AbortSignal.any([deadline.signal, opts.signal]) : deadline.signal;
    try {
      const res = await this.pool.request({
        method,
        path,
        signal,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode >= 300) throw new TritonHttpError(ctx, res.statusCode, text);
      return text;
    } catch (err) {
      if (err instanceof TritonError) throw err;
      // Order matters: the caller's abort is theirs to handle, our deadline is a timeout.
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      if (deadline.signal.aborted) throw new TritonDeadlineError(ctx, timeoutMs, { cause: err });
      const code = errorCode(err);
      if (code !== undefined && TRANSPORT_TIMEOUT_CODES.has(code)) {
        throw new TritonDeadlineError(ctx, timeoutMs, { cause: err });
      }
      throw new TritonConnectionError(ctx, code, (err as Error)?.message ?? String(err), { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }
}

function modelPath(model: string): string {
  return `/v2/models/${encodeURIComponent(model)}`;
}
