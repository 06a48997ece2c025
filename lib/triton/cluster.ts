import { EventEmitter } from 'node:events';
import { AffinityMemory } from './affinity.ts';
import { type BackoffOptions, backoffDelay } from './backoff.ts';
import { AdaptiveLimit, type AdaptiveLimitOptions } from './concurrency.ts';
import { defaultMetricsUrl, parseEngineLoad } from './engine-load.ts';
import {
  errorClass,
  TritonClosedError,
  TritonConnectionError,
  TritonDeadlineError,
  TritonError,
  TritonRequestFailedError,
} from './errors.ts';
import { grpcAddresses, TritonGrpcClient, type TritonGrpcSetting } from './grpc.ts';
import { type CallOptions, type InferOptions, TritonHttpClient, type TritonHttpOptions } from './http.ts';
import type { TritonMetrics } from './metrics.ts';
import {
  continuousBatching,
  type DispatchPlan,
  dispatchPlan,
  engineSlotsHint,
  type GenerationParams,
  type ModelConfig,
} from './protocol.ts';
import { chooseWithAffinity } from './routing.ts';

/** Whether any endpoint is healthy: requests wait (they do not fail) while none is. */
export type Availability = 'available' | 'unavailable';

export interface TritonClusterOptions {
  urls: readonly string[];
  /** Models an endpoint must report ready before it gets traffic. */
  models?: readonly string[];
  /**
   * Requests one endpoint may have outstanding; the rest wait in the cluster (or in the batcher).
   * For a batching model (max_batch_size > 0) this is the limit (default 4). For a
   * continuous-batching model (decoupled or max_batch_size 0) the limit adapts to what the engine
   * can run, and this is only its cap (default: four times the slots the model publishes as
   * `ipt_max_num_seqs`, or 1024).
   */
  maxInFlightPerEndpoint?: number;
  /**
   * Tuning of the adaptive limit (tests, benchmarks). Where it starts defaults to the slots the
   * model publishes; its cap is maxInFlightPerEndpoint.
   */
  adaptiveLimit?: Partial<Omit<AdaptiveLimitOptions, 'max'>>;
  /** Chains whose last endpoint is remembered for their next round. */
  affinityCapacity?: number;
  /**
   * Where an endpoint's Prometheus metrics are, for the engine's own running/waiting counts
   * (vLLM's gauges) that let several clients of one engine share it; default: Triton's layout,
   * the HTTP port + 2. False: never read them (the limit then follows this client's measurements).
   */
  engineMetricsUrl?: ((endpoint: string) => string | undefined) | false;
  /** How often the engine's counts are read while the limit adapts. */
  engineMetricsIntervalMs?: number;
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
  /**
   * Where an endpoint's gRPC frontend is, for one-prompt (generate) requests: a cancelled gRPC call
   * cancels its request in Triton, which the HTTP frontend does not do when a client goes away.
   * Their host:port in the order of `urls`, or true for Triton's layout (HTTP port + 1); false or
   * absent: HTTP only. Health checks and model configs always go over HTTP.
   */
  grpc?: TritonGrpcSetting;
  metrics?: TritonMetrics;
  random?: () => number;
}

export interface RequestOptions {
  /** Overrides the cluster's deadlineMs for this request. */
  deadlineMs?: number;
  signal?: AbortSignal;
  /**
   * Requests with the same key (a chain's rounds) go to the endpoint that last served one of them
   * while it is healthy and has room, so its prefix cache can skip the shared start of the prompt.
   */
  affinityKey?: string;
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
  /** Requests it may have in flight now. */
  limit: number;
  /** How one-prompt requests reach it. */
  transport: 'http' | 'grpc';
}

/** What answers one prompt: the HTTP generate extension, or a gRPC stream. */
export interface TritonGenerator {
  generate(model: string, prompt: string, params?: GenerationParams, opts?: InferOptions): Promise<string>;
}

/** An endpoint's clients, as a request attempt uses them. */
export interface EndpointClients {
  readonly client: TritonHttpClient;
  readonly generator: TritonGenerator;
}

interface Endpoint extends EndpointState, EndpointClients {
  grpc: TritonGrpcClient | undefined;
  /** Set once the model turns out to batch continuously. */
  limiter: AdaptiveLimit | undefined;
}

export interface AffinityStats {
  hits: number;
  misses: number;
}

/** Queued requests scanned for one whose chain's endpoint has a free slot. */
export const AFFINITY_LOOKAHEAD = 64;

/** Where the adaptive limit starts when the model publishes no slot count. */
export const ADAPTIVE_START = 32;
/** The adaptive limit's cap when none is given and the model publishes no slot count. */
export const ADAPTIVE_CEILING = 1024;

interface Waiter {
  avoid: ReadonlySet<string>;
  key: string | undefined;
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
 * Events: 'availability' (state) when no endpoint / some endpoint is healthy;
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
  /** The cap the caller gave; undefined: the defaults above. */
  private readonly cap: number | undefined;
  private readonly adaptiveTuning: Partial<Omit<AdaptiveLimitOptions, 'max'>>;
  private readonly affinity: AffinityMemory;
  private readonly affinityCounts: AffinityStats = { hits: 0, misses: 0 };
  private readonly engineMetricsUrl: ((endpoint: string) => string | undefined) | false;
  private readonly engineMetricsIntervalMs: number;
  private engineTimer: NodeJS.Timeout | undefined;
  private enginePoll: Promise<void> | undefined;
  private rotate = 0;
  // Nothing is available before the first health check passes.
  private state: Availability = 'unavailable';
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
    this.cap = options.maxInFlightPerEndpoint;
    this.adaptiveTuning = options.adaptiveLimit ?? {};
    this.affinity = new AffinityMemory(options.affinityCapacity);
    this.engineMetricsUrl = options.engineMetricsUrl ?? defaultMetricsUrl;
    this.engineMetricsIntervalMs = options.engineMetricsIntervalMs ?? 500;
    const limit = this.opts.maxInFlightPerEndpoint;
    // HTTP/1.1 carries one request per socket at a time, so the pool must reach the highest limit
    // (sockets open only as requests need them); health checks need sockets of their own beside.
    const sockets = Math.max(limit, this.cap ?? ADAPTIVE_CEILING) + 2;
    const addresses = grpcAddresses(options.urls, options.grpc);
    const grpcOf = new Map(options.urls.map((url, i) => [url, addresses[i]]));
    this.endpoints = [...new Set(options.urls)].map((url) => {
      const client = new TritonHttpClient(url, { connections: sockets, ...options.http });
      const address = grpcOf.get(url);
      const grpc = address === undefined ? undefined : new TritonGrpcClient(address);
      return this.endpoint(url, client, grpc, limit);
    });
    for (const ep of this.endpoints) {
      this.metrics?.endpointHealthy.set({ endpoint: ep.url }, 0);
      this.metrics?.concurrencyLimit.set({ endpoint: ep.url }, ep.limit);
    }
    this.firstHealth = this.checkHealth();
    this.healthTimer = setInterval(() => void this.checkHealth(), this.opts.healthIntervalMs);
    this.healthTimer.unref();
  }

  private endpoint(
    url: string,
    client: TritonHttpClient,
    grpc: TritonGrpcClient | undefined,
    limit: number,
  ): Endpoint {
    return {
      url,
      client,
      grpc,
      generator: grpc ?? client,
      transport: grpc === undefined ? 'http' : 'grpc',
      limiter: undefined,
      limit,
      // Nothing gets traffic before its first health check passes.
      healthy: false,
      outstanding: 0,
      succeeded: 0,
      failed: 0,
      consecutiveFailures: 0,
      lastError: undefined,
    };
  }

  /** Resolves after the first health check of every endpoint (none may be available yet). */
  async start(): Promise<this> {
    await this.firstHealth;
    return this;
  }

  get availability(): Availability {
    return this.state;
  }

  /** Resolves when some endpoint is healthy; rejects when the cluster closes or `signal` aborts. */
  whenCircuitClosed(signal?: AbortSignal): Promise<void> {
    if (this.state === 'available') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAvailability = (s: Availability) => {
        if (s === 'available') done(null);
      };
      const onAbort = () => done(signal?.reason ?? new Error('aborted'));
      const onClose = () => done(new TritonClosedError());
      const done = (err: unknown) => {
        this.off('availability', onAvailability);
        this.off('close', onClose);
        signal?.removeEventListener('abort', onAbort);
        if (err === null) resolve();
        else reject(err);
      };
      this.on('availability', onAvailability);
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
    return this.endpoints.map(({ client: _c, limiter: _l, grpc: _g, generator: _t, ...state }) => ({
      ...state,
    }));
  }

  /** Rounds routed by chain affinity so far: to their last endpoint (hits) or elsewhere (misses). */
  affinityStats(): AffinityStats {
    return { ...this.affinityCounts };
  }

  /**
   * False only when the key's remembered endpoint is healthy but has no free slot: a request sent
   * now would leave the endpoint whose prefix cache holds its chain. The batcher then sends another
   * prompt first.
   */
  affinityReady(key: string | undefined): boolean {
    if (key === undefined || this.endpoints.length < 2) return true;
    const url = this.affinity.get(key);
    const ep = url === undefined ? undefined : this.endpoints.find((e) => e.url === url);
    return ep === undefined || !ep.healthy || ep.outstanding < ep.limit;
  }

  /** The endpoint that served the key's last request, while it is remembered. */
  endpointFor(key: string): string | undefined {
    return this.affinity.get(key);
  }

  /**
   * Remembers `url` for the key as if it had served its last request — a chain restored elsewhere
   * brings its engine choice from its state. Ignored for a URL this cluster does not have.
   */
  preferEndpoint(key: string, url: string): void {
    if (this.endpoints.some((e) => e.url === url)) this.affinity.remember(key, url);
  }

  /** Whether an earlier request with this key succeeded (its endpoint is remembered). */
  remembers(key: string): boolean {
    return this.affinity.get(key) !== undefined;
  }

  /** Whether in-flight limits adapt (the model batches continuously). */
  get adaptive(): boolean {
    return this.endpoints.some((ep) => ep.limiter !== undefined);
  }

  /** The model's config, read once from a healthy endpoint (replicas serve the same model). */
  modelConfig(model: string, opts: RequestOptions = {}): Promise<ModelConfig> {
    let cfg = this.configs.get(model);
    if (cfg === undefined) {
      cfg = this.run(model, 'config', (ep, call) => ep.client.config(model, call), opts).then((config) => {
        this.adopt(config);
        return config;
      });
      // A failed read must not be cached: the next caller tries again.
      cfg.catch(() => this.configs.delete(model));
      this.configs.set(model, cfg);
    }
    return cfg;
  }

  /**
   * A continuous-batching model gets adaptive limits, starting from the slots its engine publishes;
   * a batching model keeps the fixed limit.
   */
  private adopt(config: ModelConfig): void {
    if (this.adaptive || !safeContinuous(config)) return;
    const model = config.name;
    if (this.engineMetricsUrl !== false && model !== undefined) {
      this.engineTimer = setInterval(() => void this.pollEngines(model), this.engineMetricsIntervalMs);
      this.engineTimer.unref();
    }
    const hint = engineSlotsHint(config);
    const max = Math.max(
      1,
      this.cap ?? Math.min(ADAPTIVE_CEILING, hint === undefined ? ADAPTIVE_CEILING : hint * 4),
    );
    for (const ep of this.endpoints) {
      ep.limiter = new AdaptiveLimit({
        initial: hint ?? ADAPTIVE_START,
        ...(hint === undefined ? {} : { slots: hint }),
        ...this.adaptiveTuning,
        max,
      });
      this.setLimit(ep, ep.limiter.limit);
    }
    this.pump();
  }

  /** Reads every healthy endpoint's engine counts once (never two rounds at a time). */
  private pollEngines(model: string): Promise<void> {
    const urlOf = this.engineMetricsUrl;
    if (this.enginePoll !== undefined || this.closed || urlOf === false) return Promise.resolve();
    this.enginePoll = Promise.all(
      this.endpoints.map(async (ep) => {
        const url = urlOf(ep.url);
        // A failing engine looks empty; its counts would only raise the limit it is failing at.
        if (url === undefined || ep.limiter === undefined || !ep.healthy || ep.consecutiveFailures > 0)
          return;
        let load: ReturnType<typeof parseEngineLoad>;
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(this.opts.healthTimeoutMs) });
          load = res.ok ? parseEngineLoad(await res.text(), model) : undefined;
        } catch {
          return; // no metrics there: the limit keeps following this client's own measurements
        }
        if (load === undefined || this.closed) return;
        const sample = { now: performance.now(), ...load, inFlight: ep.outstanding };
        if (ep.limiter.onEngineSample(sample)) {
          this.setLimit(ep, ep.limiter.limit);
          this.pump();
        }
      }),
    ).then(() => {
      this.enginePoll = undefined;
    });
    return this.enginePoll;
  }

  private setLimit(ep: Endpoint, limit: number): void {
    ep.limit = limit;
    this.metrics?.concurrencyLimit.set({ endpoint: ep.url }, limit);
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
      (ep, call) => ep.client.infer(model, prompts, params, { ...call, plan: opts.plan }),
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
      (ep, call) => ep.generator.generate(model, prompt, params, { ...call, plan: opts.plan }),
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
    fn: (endpoint: EndpointClients, call: CallOptions) => Promise<T>,
    opts: RequestOptions = {},
  ): Promise<T> {
    const request = new RequestAttempts(model, op, opts.deadlineMs ?? this.opts.deadlineMs, this.metrics);
    for (;;) {
      if (this.closed) throw new TritonClosedError();
      opts.signal?.throwIfAborted();
      const ep = await this.acquireWithin(request, opts);
      const outcome = await this.attempt(ep, request, fn, opts);
      if (outcome.ok) return outcome.value;
      const wait = Math.min(
        backoffDelay(request.attempts, this.backoff, this.random),
        Math.max(0, request.deadlineAt - Date.now()),
      );
      await sleep(wait, opts.signal);
    }
  }

  /** A slot for the request's next attempt, before its deadline. */
  private async acquireWithin(request: RequestAttempts, opts: RequestOptions): Promise<Endpoint> {
    const remaining = request.deadlineAt - Date.now();
    if (remaining <= 0) {
      request.fail(
        `deadline of ${request.deadlineMs} ms passed`,
        request.lastError ??
          new TritonDeadlineError(
            { endpoint: 'cluster', model: request.model, op: request.op },
            request.deadlineMs,
          ),
      );
    }
    try {
      return await this.acquire(request.tried, remaining, opts.signal, opts.affinityKey);
    } catch (err) {
      if (err instanceof TritonDeadlineError) {
        request.fail(
          `deadline of ${request.deadlineMs} ms passed waiting for a healthy endpoint`,
          request.lastError ?? err,
        );
      }
      throw err;
    }
  }

  /** One attempt on `ep`; a failure worth retrying comes back as not ok, any other is thrown. */
  private async attempt<T>(
    ep: Endpoint,
    request: RequestAttempts,
    fn: (endpoint: EndpointClients, call: CallOptions) => Promise<T>,
    opts: RequestOptions,
  ): Promise<{ ok: true; value: T } | { ok: false }> {
    const { model, op } = request;
    request.attempts++;
    if (request.attempts > 1) this.metrics?.retries.inc({ model });
    const timeoutMs = Math.max(1, Math.min(this.opts.attemptTimeoutMs, request.deadlineAt - Date.now()));
    const started = performance.now();
    this.metrics?.requests.inc({ endpoint: ep.url, model, op });
    try {
      const value = await fn(ep, { timeoutMs, signal: opts.signal });
      this.observe(ep, model, op, started, 'ok');
      this.sample(ep, op, started, true);
      this.succeeded(ep);
      if (opts.affinityKey !== undefined) this.affinity.remember(opts.affinityKey, ep.url);
      return { ok: true, value };
    } catch (err) {
      this.attemptFailed(ep, request, started, err, opts.signal);
      return { ok: false };
    } finally {
      this.release(ep);
    }
  }

  /** Books a failed attempt; throws when the request must not be retried. */
  private attemptFailed(
    ep: Endpoint,
    request: RequestAttempts,
    started: number,
    err: unknown,
    signal: AbortSignal | undefined,
  ): void {
    const { model, op } = request;
    this.observe(ep, model, op, started, 'error');
    if (signal?.aborted) throw signal.reason ?? err;
    // Only timeouts, lost connections and 5xx bring the endpoint's limit down: a failure the
    // model reports may be the prompt's, and a stream of bad prompts must not shrink it.
    const modelSide = err instanceof TritonError && err.kind === 'model';
    if (err instanceof TritonError && err.retryable && !modelSide) this.sample(ep, op, started, false);
    request.lastError = err;
    this.failed(ep, model, err);
    if (!(err instanceof TritonError) || !err.retryable) request.fail('not retryable', err);
    if (modelSide) {
      request.modelFailed.add(ep.url);
      // Failed alike on two endpoints (or on the only one): the prompt, not an endpoint.
      if (request.modelFailed.size >= Math.min(2, this.endpoints.length)) {
        request.fail(`the model failed it on ${request.modelFailed.size} endpoint(s)`, err);
      }
    }
    if (request.attempts >= this.opts.maxAttempts) request.fail('attempts exhausted', err);
    request.tried.add(ep.url);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.healthTimer) clearInterval(this.healthTimer);
    if (this.engineTimer) clearInterval(this.engineTimer);
    for (const w of this.waiters.splice(0)) w.reject(new TritonClosedError());
    this.emit('close');
    for (const ep of this.endpoints) ep.grpc?.close();
    await Promise.all(this.endpoints.map((ep) => ep.client.destroy()));
  }

  /** Feeds the endpoint's adaptive limit (a no-op for batching models and for non-inference calls). */
  private sample(ep: Endpoint, op: string, started: number, ok: boolean): void {
    if (ep.limiter === undefined || (op !== 'generate' && op !== 'infer')) return;
    const changed = ep.limiter.onSample({
      startedAt: started,
      now: performance.now(),
      ok,
      inFlight: ep.outstanding,
    });
    if (changed) this.setLimit(ep, ep.limiter.limit); // release() pumps right after
  }

  private observe(ep: Endpoint, model: string, op: string, started: number, outcome: string): void {
    this.metrics?.requestDuration.observe(
      { endpoint: ep.url, model, op, outcome },
      (performance.now() - started) / 1000,
    );
  }

  /** A slot on the best endpoint now, or the first one that frees up (FIFO) before the deadline. */
  private acquire(
    avoid: ReadonlySet<string>,
    timeoutMs: number,
    signal?: AbortSignal,
    key?: string,
  ): Promise<Endpoint> {
    // Only take the fast path when nobody queues ahead: retries waiting for a slot keep their turn.
    if (this.waiters.length === 0) {
      const ep = this.pick(avoid, key);
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
        key,
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

  private pick(avoid: ReadonlySet<string>, key: string | undefined): Endpoint | undefined {
    const preferred = key === undefined ? undefined : this.affinity.get(key);
    const { index, affinity } = chooseWithAffinity(this.endpoints, preferred, avoid, this.rotate++);
    const ep = index < 0 ? undefined : this.endpoints[index];
    if (ep !== undefined && affinity !== undefined) {
      if (affinity === 'hit') {
        this.affinityCounts.hits++;
        this.metrics?.affinityHits.inc({ endpoint: ep.url });
      } else {
        this.affinityCounts.misses++;
        this.metrics?.affinityMisses.inc({ reason: affinity });
      }
    }
    return ep;
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
      // In order, except that a slot goes first to a chain whose own endpoint it is on (among the
      // first few waiting): a chain whose endpoint is full lets it go rather than leave its cache.
      const n = Math.min(this.waiters.length, AFFINITY_LOOKAHEAD);
      let i = 0;
      while (i < n && !this.affinityReady((this.waiters[i] as Waiter).key)) i++;
      if (i === n) i = 0;
      const next = this.waiters[i] as Waiter;
      const ep = this.pick(next.avoid, next.key);
      if (ep === undefined) return;
      this.waiters.splice(i, 1);
      this.take(ep);
      next.resolve(ep);
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
    const next: Availability = this.endpoints.some((ep) => ep.healthy) ? 'available' : 'unavailable';
    if (next === this.state) return;
    this.state = next;
    this.emit('availability', next);
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

/** A config without the synthesizer's inputs is not ours to judge here; dispatchPlan reports it. */
function safeContinuous(config: ModelConfig): boolean {
  try {
    return continuousBatching(config);
  } catch {
    return false;
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

/** What one request's retry loop has learned so far. */
class RequestAttempts {
  readonly deadlineAt: number;
  /** Endpoints already tried (a retry prefers others). */
  readonly tried = new Set<string>();
  /** Endpoints where the model itself failed this request (see TritonHttpError 'model'). */
  readonly modelFailed = new Set<string>();
  attempts = 0;
  lastError: unknown;

  constructor(
    readonly model: string,
    readonly op: string,
    readonly deadlineMs: number,
    private readonly metrics: TritonMetrics | undefined,
  ) {
    this.deadlineAt = Date.now() + deadlineMs;
  }

  /** Gives the request up. */
  fail(reason: string, cause: unknown): never {
    this.metrics?.permanentFailures.inc({ model: this.model });
    throw new TritonRequestFailedError(this.model, this.attempts, cause, reason);
  }
}
