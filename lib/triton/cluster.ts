import { EventEmitter } from 'node:events';
import { type BackoffOptions, backoffDelay } from './backoff.ts';
import {
  errorClass,
  TritonClosedError,
  TritonConnectionError,
  TritonDeadlineError,
  TritonError,
  TritonRequestFailedError,
} from './errors.ts';
import { type CallOptions, TritonHttpClient, type TritonHttpOptions } from './http.ts';
import type { TritonMetrics } from './metrics.ts';
import { type DispatchPlan, dispatchPlan, type GenerationParams, type ModelConfig } from './protocol.ts';
import { chooseEndpoint } from './routing.ts';

export type CircuitState = 'closed' | 'open';

export interface TritonClusterOptions {
  urls: readonly string[];
  /** Models an endpoint must report ready before it gets traffic. */
  models?: readonly string[];
  /** Requests one endpoint may have outstanding; the rest wait in the cluster (or in the batcher). */
  maxInFlightPerEndpoint?: number;
  /** Deadline of one attempt. */
  attemptTimeoutMs?: number;
  /** Deadline of a request across all its attempts, backoffs and waits for a healthy endpoint. */
  deadlineMs?: number;
  /** Attempts before a retryable failure becomes permanent. */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  healthIntervalMs?: number;
  healthTimeoutMs?: number;
  /** Consecutive retryable failures that eject an endpoint (a refused connection ejects at once). */
  ejectAfterFailures?: number;
  http?: TritonHttpOptions;
  metrics?: TritonMetrics;
  random?: () => number;
}

export interface RequestOptions {
  /** Overrides the cluster's deadlineMs for this request. */
  deadlineMs?: number;
  signal?: AbortSignal;
}

export interface EndpointState {
  url: string;
  healthy: boolean;
  outstanding: number;
  /** Attempts this endpoint completed successfully, for tests and status pages. */
  succeeded: number;
  failed: number;
  consecutiveFailures: number;
  lastError: string | undefined;
}

interface Endpoint extends EndpointState {
  client: TritonHttpClient;
  limit: number;
}

interface Waiter {
  avoid: ReadonlySet<string>;
  resolve: (ep: Endpoint) => void;
  reject: (err: unknown) => void;
}

// Refused or unresolvable means nothing listens there: no point sending it more before a health check says so.
const DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Several Triton endpoints behind one call: routes to the least-loaded
 * healthy endpoint, ejects failing ones and re-admits them when their health
 * check passes, retries retryable failures elsewhere with backoff.
 *
 * Events: 'circuit' (state) when no endpoint / some endpoint is healthy;
 * 'eject' (url, reason) and 'admit' (url); 'slot' when an in-flight slot
 * frees up (the batcher waits for it).
 */
export class TritonCluster extends EventEmitter {
  private readonly endpoints: Endpoint[];
  private readonly opts: Required<
    Pick<
      TritonClusterOptions,
      | 'maxInFlightPerEndpoint'
      | 'attemptTimeoutMs'
      | 'deadlineMs'
      | 'maxAttempts'
      | 'healthIntervalMs'
      | 'healthTimeoutMs'
      | 'ejectAfterFailures'
    >
  >;
  private readonly models: readonly string[];
  private readonly backoff: BackoffOptions;
  private readonly metrics: TritonMetrics | undefined;
  private readonly random: () => number;
  private readonly waiters: Waiter[] = [];
  private readonly configs = new Map<string, Promise<ModelConfig>>();
  private rotate = 0;
  private state: CircuitState = 'open';
  private closed = false;
  private healthTimer: NodeJS.Timeout | undefined;
  private healthRound: Promise<void> | undefined;
  private readonly firstHealth: Promise<void>;

  constructor(options: TritonClusterOptions) {
    super();
    if (options.urls.length === 0) throw new Error('TritonCluster needs at least one endpoint URL');
    this.opts = {
      maxInFlightPerEndpoint: options.maxInFlightPerEndpoint ?? 4,
      attemptTimeoutMs: options.attemptTimeoutMs ?? 60_000,
      deadlineMs: options.deadlineMs ?? 300_000,
      maxAttempts: options.maxAttempts ?? 4,
      healthIntervalMs: options.healthIntervalMs ?? 2_000,
      healthTimeoutMs: options.healthTimeoutMs ?? 2_000,
      ejectAfterFailures: options.ejectAfterFailures ?? 2,
    };
    this.models = options.models ?? [];
    this.backoff = options.backoff ?? {};
    this.metrics = options.metrics;
    this.random = options.random ?? Math.random;
    const limit = this.opts.maxInFlightPerEndpoint;
    this.endpoints = [...new Set(options.urls)].map((url) => ({
      url,
      // Health checks need sockets of their own beside the limit's worth of requests.
      client: new TritonHttpClient(url, { connections: limit + 2, ...options.http }),
      limit,
      // Nothing gets traffic before its first health check passes.
      healthy: false,
      outstanding: 0,
      succeeded: 0,
      failed: 0,
      consecutiveFailures: 0,
      lastError: undefined,
    }));
    for (const ep of this.endpoints) this.metrics?.endpointHealthy.set({ endpoint: ep.url }, 0);
    this.firstHealth = this.checkHealth();
    this.healthTimer = setInterval(() => void this.checkHealth(), this.opts.healthIntervalMs);
    this.healthTimer.unref();
  }

  /** Resolves after the first health check of every endpoint (the circuit may still be open). */
  async start(): Promise<this> {
    await this.firstHealth;
    return this;
  }

  get circuit(): CircuitState {
    return this.state;
  }

  /** Resolves when some endpoint is healthy; rejects when the cluster closes or `signal` aborts. */
  whenCircuitClosed(signal?: AbortSignal): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onCircuit = (s: CircuitState) => {
        if (s === 'closed') done(null);
      };
      const onAbort = () => done(signal?.reason ?? new Error('aborted'));
      const onClose = () => done(new TritonClosedError());
      const done = (err: unknown) => {
        this.off('circuit', onCircuit);
        this.off('close', onClose);
        signal?.removeEventListener('abort', onAbort);
        if (err === null) resolve();
        else reject(err);
      };
      this.on('circuit', onCircuit);
      this.on('close', onClose);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Requests that could start right now without waiting for a slot. */
  freeSlots(): number {
    let free = 0;
    for (const ep of this.endpoints) if (ep.healthy) free += Math.max(0, ep.limit - ep.outstanding);
    return Math.max(0, free - this.waiters.length);
  }

  get inFlight(): number {
    return this.endpoints.reduce((n, ep) => n + ep.outstanding, 0);
  }

  endpointStates(): EndpointState[] {
    return this.endpoints.map(({ client: _c, limit: _l, ...state }) => ({ ...state }));
  }

  /** The model's config, read once from a healthy endpoint (replicas serve the same model). */
  modelConfig(model: string, opts: RequestOptions = {}): Promise<ModelConfig> {
    let cfg = this.configs.get(model);
    if (cfg === undefined) {
      cfg = this.run(model, 'config', (c, call) => c.config(model, call), opts);
      // A failed read must not be cached: the next caller tries again.
      cfg.catch(() => this.configs.delete(model));
      this.configs.set(model, cfg);
    }
    return cfg;
  }

  async dispatchPlan(model: string, opts: RequestOptions = {}): Promise<DispatchPlan> {
    return dispatchPlan(await this.modelConfig(model, opts));
  }

  infer(
    model: string,
    prompts: readonly string[],
    params: GenerationParams = {},
    opts: RequestOptions & { plan?: DispatchPlan } = {},
  ): Promise<string[]> {
    return this.run(
      model,
      'infer',
      (c, call) => c.infer(model, prompts, params, { ...call, plan: opts.plan }),
      opts,
    );
  }

  generate(
    model: string,
    prompt: string,
    params: GenerationParams = {},
    opts: RequestOptions & { plan?: DispatchPlan } = {},
  ): Promise<string> {
    return this.run(
      model,
      'generate',
      (c, call) => c.generate(model, prompt, params, { ...call, plan: opts.plan }),
      opts,
    );
  }

  /**
   * The retry loop every call goes through. Rejects only with
   * TritonRequestFailedError (attempts and last cause), TritonClosedError, or
   * the caller's abort reason.
   */
  async run<T>(
    model: string,
    op: string,
    fn: (client: TritonHttpClient, call: CallOptions) => Promise<T>,
    opts: RequestOptions = {},
  ): Promise<T> {
    const deadlineMs = opts.deadlineMs ?? this.opts.deadlineMs;
    const deadlineAt = Date.now() + deadlineMs;
    const tried = new Set<string>();
    let attempts = 0;
    let lastError: unknown;
    const fail = (reason: string, cause: unknown): never => {
      this.metrics?.permanentFailures.inc({ model });
      throw new TritonRequestFailedError(model, attempts, cause, reason);
    };
    for (;;) {
      if (this.closed) throw new TritonClosedError();
      opts.signal?.throwIfAborted();
      const remaining = deadlineAt - Date.now();
      if (remaining <= 0) {
        fail(
          `deadline of ${deadlineMs} ms passed`,
          lastError ?? new TritonDeadlineError({ endpoint: 'cluster', model, op }, deadlineMs),
        );
      }
      let ep: Endpoint;
      try {
        ep = await this.acquire(tried, remaining, opts.signal);
      } catch (err) {
        if (err instanceof TritonDeadlineError) {
          fail(`deadline of ${deadlineMs} ms passed waiting for a healthy endpoint`, lastError ?? err);
        }
        throw err;
      }
      attempts++;
      if (attempts > 1) this.metrics?.retries.inc({ model });
      const timeoutMs = Math.max(1, Math.min(this.opts.attemptTimeoutMs, deadlineAt - Date.now()));
      const started = performance.now();
      this.metrics?.requests.inc({ endpoint: ep.url, model, op });
      try {
        const result = await fn(ep.client, { timeoutMs, signal: opts.signal });
        this.observe(ep, model, op, started, 'ok');
        this.succeeded(ep);
        return result;
      } catch (err) {
        this.observe(ep, model, op, started, 'error');
        if (opts.signal?.aborted) throw opts.signal.reason ?? err;
        lastError = err;
        this.failed(ep, model, err);
        if (!(err instanceof TritonError) || !err.retryable) fail('not retryable', err);
        if (attempts >= this.opts.maxAttempts) fail('attempts exhausted', err);
        tried.add(ep.url);
      } finally {
        this.release(ep);
      }
      const wait = Math.min(
        backoffDelay(attempts, this.backoff, this.random),
        Math.max(0, deadlineAt - Date.now()),
      );
      await sleep(wait, opts.signal);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.healthTimer) clearInterval(this.healthTimer);
    for (const w of this.waiters.splice(0)) w.reject(new TritonClosedError());
    this.emit('close');
    await Promise.all(this.endpoints.map((ep) => ep.client.destroy()));
  }

  private observe(ep: Endpoint, model: string, op: string, started: number, outcome: string): void {
    this.metrics?.requestDuration.observe(
      { endpoint: ep.url, model, op, outcome },
      (performance.now() - started) / 1000,
    );
  }

  /** A slot on the best endpoint now, or the first one that frees up (FIFO) before the deadline. */
  private acquire(avoid: ReadonlySet<string>, timeoutMs: number, signal?: AbortSignal): Promise<Endpoint> {
    // Only take the fast path when nobody queues ahead: retries waiting for a slot keep their turn.
    if (this.waiters.length === 0) {
      const ep = this.pick(avoid);
      if (ep !== undefined) {
        this.take(ep);
        return Promise.resolve(ep);
      }
    }
    return new Promise<Endpoint>((resolve, reject) => {
      const timer = setTimeout(() => {
        remove();
        reject(new TritonDeadlineError({ endpoint: 'cluster', op: 'acquire' }, timeoutMs));
      }, timeoutMs);
      const onAbort = () => {
        remove();
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        avoid,
        resolve: (ep) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(ep);
        },
        reject: (err) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      const remove = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private pick(avoid: ReadonlySet<string>): Endpoint | undefined {
    const i = chooseEndpoint(this.endpoints, avoid, this.rotate++);
    return i < 0 ? undefined : this.endpoints[i];
  }

  private take(ep: Endpoint): void {
    ep.outstanding++;
    this.metrics?.inFlight.set({ endpoint: ep.url }, ep.outstanding);
  }

  private release(ep: Endpoint): void {
    ep.outstanding--;
    this.metrics?.inFlight.set({ endpoint: ep.url }, ep.outstanding);
    this.pump();
  }

  /** Hand free slots to queued requests in order; tell the batcher if any remain. */
  private pump(): void {
    while (this.waiters.length > 0) {
      const head = this.waiters[0] as Waiter;
      const ep = this.pick(head.avoid);
      if (ep === undefined) return;
      this.waiters.shift();
      this.take(ep);
      head.resolve(ep);
    }
    if (this.freeSlots() > 0) this.emit('slot');
  }

  private succeeded(ep: Endpoint): void {
    ep.succeeded++;
    ep.consecutiveFailures = 0;
  }

  private failed(ep: Endpoint, model: string, err: unknown): void {
    ep.failed++;
    ep.lastError = err instanceof Error ? err.message : String(err);
    this.metrics?.errors.inc({ endpoint: ep.url, model, class: errorClass(err) });
    if (!(err instanceof TritonError) || !err.retryable) return;
    ep.consecutiveFailures++;
    const down = err instanceof TritonConnectionError && err.code !== undefined && DOWN_CODES.has(err.code);
    if (down || ep.consecutiveFailures >= this.opts.ejectAfterFailures) this.eject(ep, ep.lastError);
  }

  private eject(ep: Endpoint, reason: string): void {
    if (!ep.healthy) return;
    ep.healthy = false;
    this.metrics?.endpointHealthy.set({ endpoint: ep.url }, 0);
    this.emit('eject', ep.url, reason);
    this.updateCircuit();
  }

  private admit(ep: Endpoint): void {
    if (ep.healthy) return;
    ep.healthy = true;
    ep.consecutiveFailures = 0;
    this.metrics?.endpointHealthy.set({ endpoint: ep.url }, 1);
    this.emit('admit', ep.url);
    this.updateCircuit();
    this.pump();
  }

  private updateCircuit(): void {
    const next: CircuitState = this.endpoints.some((ep) => ep.healthy) ? 'closed' : 'open';
    if (next === this.state) return;
    this.state = next;
    this.emit('circuit', next);
  }

  /** One round of probes; rounds never overlap, so a hung endpoint cannot pile them up. */
  private checkHealth(): Promise<void> {
    if (this.healthRound !== undefined || this.closed) return this.healthRound ?? Promise.resolve();
    const call = { timeoutMs: this.opts.healthTimeoutMs };
    this.healthRound = Promise.all(
      this.endpoints.map(async (ep) => {
        const ready =
          (await ep.client.ready(call)) &&
          (await Promise.all(this.models.map((m) => ep.client.modelReady(m, call)))).every(Boolean);
        if (this.closed) return;
        if (ready) this.admit(ep);
        else this.eject(ep, 'health check failed');
      }),
    ).then(() => {
      this.healthRound = undefined;
    });
    return this.healthRound;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
