import { EventEmitter } from 'node:events';
import { effectiveBatchCap, nextDispatch } from './batching.ts';
import { AFFINITY_LOOKAHEAD, type RequestOptions, type TritonCluster } from './cluster.ts';
import { TritonClosedError } from './errors.ts';
import type { TritonMetrics } from './metrics.ts';
import type { DispatchPlan, GenerationParams } from './protocol.ts';

export interface MicroBatcherOptions {
  model: string;
  params?: GenerationParams;
  /** Prompts per request to a batching model; capped at the model's max_batch_size. */
  maxBatch?: number;
  /** How long a partial batch waits for more prompts. */
  lingerMs?: number;
  /** Queued (unsent) prompts at which `full` turns true and the caller should pause its input. */
  maxPending?: number;
  /**
   * 'auto' follows the model config (ARCHITECTURE.md §5). 'single' sends one generate
   * request per prompt even to a batching model, leaving all batching to
   * Triton's dynamic batcher — for comparing both paths on one server.
   */
  dispatch?: 'auto' | 'single';
  request?: RequestOptions;
  metrics?: TritonMetrics;
}

export interface SubmitOptions {
  /** Prompts sharing a key (a chain's rounds) prefer the endpoint that served the last one. */
  affinityKey?: string;
  /** Called once the prompt leaves the queue for the server (it may then cost GPU time). */
  onSent?: () => void;
}

interface Item {
  prompt: string;
  key: string | undefined;
  onSent: (() => void) | undefined;
  enqueuedAt: number;
  resolve: (output: string) => void;
  reject: (err: unknown) => void;
}

/**
 * Turns single-prompt submits into micro-batches for the cluster. Sends only
 * while the cluster has a free in-flight slot, so prompts beyond that wait
 * here (counted in `pending`) where they can join fuller batches, and the
 * caller sees `full` and pauses instead of the queue growing without bound.
 *
 * Events: 'full' when pending reaches maxPending, 'room' when it drops below.
 */
export class MicroBatcher extends EventEmitter {
  readonly model: string;
  private readonly params: GenerationParams;
  private readonly requestedBatch: number;
  private readonly lingerMs: number;
  private readonly maxPending: number;
  private readonly request: RequestOptions;
  private readonly dispatch: 'auto' | 'single';
  private readonly metrics: TritonMetrics | undefined;
  private readonly queue: Item[] = [];
  /**
   * Later rounds of chains whose earlier round an engine has just served (continuous-batching
   * models only): they go before new chains' first rounds, while that engine's prefix cache still
   * holds the start of their prompts.
   */
  private readonly continuations: Item[] = [];
  private plan: DispatchPlan | undefined;
  private planLoading = false;
  private timer: NodeJS.Timeout | undefined;
  private sentPrompts = 0;
  /** Prompts in multi-prompt requests now at the server. */
  private batchedInFlight = 0;
  /** Prompts of failed batches, waiting to be retried alone. */
  private readonly suspects: Item[] = [];
  private isolating = false;
  private wasFull = false;
  private closed = false;
  private readonly onSlot = () => this.pump();

  constructor(
    private readonly cluster: TritonCluster,
    opts: MicroBatcherOptions,
  ) {
    super();
    this.model = opts.model;
    this.params = opts.params ?? {};
    this.requestedBatch = opts.maxBatch ?? 32;
    effectiveBatchCap(this.requestedBatch, Number.MAX_SAFE_INTEGER); // validate early
    this.lingerMs = opts.lingerMs ?? 5;
    this.maxPending = opts.maxPending ?? this.requestedBatch * 8;
    this.request = opts.request ?? {};
    this.dispatch = opts.dispatch ?? 'auto';
    this.metrics = opts.metrics;
    cluster.on('slot', this.onSlot);
    cluster.on('availability', this.onSlot);
  }

  /** Prompts queued here, not yet sent. */
  get pending(): number {
    return this.queue.length + this.continuations.length;
  }

  /** Prompts sent and not yet answered. */
  get inFlight(): number {
    return this.sentPrompts;
  }

  /** True while the caller should stop submitting; submits still succeed, the bound is the caller's to keep. */
  get full(): boolean {
    return this.pending >= this.maxPending;
  }

  /** Resolves when `full` is false. */
  whenRoom(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.once('room', resolve));
  }

  /** The batch size in use once the model's config is known. */
  get batchCap(): number | undefined {
    return this.plan === undefined ? undefined : effectiveBatchCap(this.requestedBatch, this.plan.maxBatch);
  }

  submit(prompt: string, opts: SubmitOptions = {}): Promise<string> {
    if (this.closed) return Promise.reject(new TritonClosedError('MicroBatcher'));
    // Kept even before the model's config is read (a restarted client's first rounds are the ones
    // whose engine matters most); whether it routes is decided when the prompt is sent.
    const key = opts.affinityKey;
    // Only a continuous-batching model's queue takes continuations first (a batching one drains `queue`).
    const later = key !== undefined && this.cluster.adaptive && this.cluster.remembers(key);
    return new Promise<string>((resolve, reject) => {
      (later ? this.continuations : this.queue).push({
        prompt,
        key,
        onSent: opts.onSent,
        enqueuedAt: performance.now(),
        resolve,
        reject,
      });
      this.checkFull();
      this.pump();
    });
  }

  /** Stops taking prompts; rejects those still queued (sent ones finish). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.cluster.off('slot', this.onSlot);
    this.cluster.off('availability', this.onSlot);
    for (const item of this.takeAll()) item.reject(new TritonClosedError('MicroBatcher'));
    this.checkFull();
  }

  private takeAll(): Item[] {
    return [...this.continuations.splice(0), ...this.queue.splice(0)];
  }

  private pump(): void {
    if (this.closed || this.pending === 0) return;
    // While suspects are retried alone nothing else is sent: Triton's dynamic batcher would merge a
    // concurrent request with a poison prompt again and fail an innocent one.
    if (this.suspects.length > 0 || this.isolating) return;
    if (this.plan === undefined) {
      this.loadPlan();
      return;
    }
    const cap = effectiveBatchCap(this.requestedBatch, this.plan.maxBatch);
    if (cap === 1) {
      // One prompt per request: nothing to linger for.
      while (this.pending > 0 && this.cluster.freeSlots() > 0) this.send([this.nextSingle()], this.plan);
      return;
    }
    while (this.queue.length > 0 && this.cluster.freeSlots() > 0) {
      const oldest = this.queue[0] as Item;
      const decision = nextDispatch(
        this.queue.length,
        cap,
        performance.now() - oldest.enqueuedAt,
        this.lingerMs,
      );
      if (decision.kind === 'wait') {
        this.arm(decision.ms);
        return;
      }
      if (decision.kind === 'idle') return;
      this.send(this.queue.splice(0, decision.size), this.plan);
    }
    // No slot: the cluster's 'slot' event calls pump again; a linger timer would only spin.
    if (this.timer && this.pending === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /**
   * The prompt that goes alone next: the oldest continuation whose chain's endpoint can take it now;
   * else the oldest first round (a continuation whose endpoint is full waits for it while other work
   * fills the free slot); else the oldest continuation, wherever there is room.
   */
  private nextSingle(): Item {
    const c = this.readyIndex(this.continuations);
    if (c >= 0) return this.continuations.splice(c, 1)[0] as Item;
    if (this.queue.length > 0)
      return this.queue.splice(Math.max(0, this.readyIndex(this.queue)), 1)[0] as Item;
    return this.continuations.shift() as Item;
  }

  /** Among the first few of `items`, the first whose chain's endpoint has a free slot; -1 if none. */
  private readyIndex(items: readonly Item[]): number {
    const n = Math.min(items.length, AFFINITY_LOOKAHEAD);
    for (let i = 0; i < n; i++) if (this.cluster.affinityReady((items[i] as Item).key)) return i;
    return -1;
  }

  private arm(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(0, Math.ceil(ms)),
    );
  }

  private loadPlan(): void {
    if (this.planLoading) return;
    this.planLoading = true;
    this.cluster.dispatchPlan(this.model, this.request).then(
      (plan) => {
        this.planLoading = false;
        this.plan = this.dispatch === 'single' ? { ...plan, mode: 'single', maxBatch: 1 } : plan;
        this.pump();
      },
      (err) => {
        // Without the config we cannot know how to send; fail what waits, and let the next submit try again.
        this.planLoading = false;
        for (const item of this.takeAll()) item.reject(err);
        this.checkFull();
      },
    );
  }

  private send(batch: Item[], plan: DispatchPlan): void {
    this.checkFull();
    this.sentPrompts += batch.length;
    this.metrics?.batchSize.observe({ model: this.model }, batch.length);
    for (const item of batch) item.onSent?.();
    const opts = { ...this.request, plan };
    if (plan.mode === 'batch') {
      const prompts = batch.map((i) => i.prompt);
      this.batchedInFlight += batch.length;
      this.cluster.infer(this.model, prompts, this.params, opts).then(
        (outputs) => {
          this.sentPrompts -= batch.length;
          this.batchedInFlight -= batch.length;
          for (const [k, item] of batch.entries()) item.resolve(outputs[k] as string);
          this.isolateSuspects(opts);
        },
        (err) => {
          this.batchedInFlight -= batch.length;
          if (this.closed) {
            this.sentPrompts -= batch.length;
            for (const item of batch) item.reject(err);
          } else {
            // One poison prompt fails its whole batch — and Triton's dynamic batcher may have merged
            // this request with others, so even a one-prompt request may have failed for another's
            // prompt. Every prompt of it is retried alone (still counted in flight).
            this.suspects.push(...batch);
          }
          this.isolateSuspects(opts);
        },
      );
      return;
    }
    for (const item of batch) {
      // Affinity is for engines that keep a prefix cache; batching models keep their routing as it was.
      const one =
        item.key === undefined || !this.cluster.adaptive ? opts : { ...opts, affinityKey: item.key };
      this.cluster.generate(this.model, item.prompt, this.params, one).then(
        (output) => {
          this.sentPrompts--;
          item.resolve(output);
        },
        (err) => {
          this.sentPrompts--;
          item.reject(err);
        },
      );
    }
  }

  /**
   * Once no batch is in flight, sends each suspect prompt in a request of its own, one after
   * another, so the server runs it alone: only a prompt that fails by itself fails for good.
   */
  private isolateSuspects(opts: RequestOptions & { plan: DispatchPlan }): void {
    if (this.isolating || this.suspects.length === 0 || this.batchedInFlight > 0) return;
    this.isolating = true;
    void (async () => {
      for (let item = this.suspects.shift(); item; item = this.suspects.shift()) {
        try {
          const [output] = await this.cluster.infer(this.model, [item.prompt], this.params, opts);
          item.resolve(output as string);
        } catch (alone) {
          item.reject(alone);
        } finally {
          this.sentPrompts--;
        }
      }
      this.isolating = false;
      this.pump();
    })();
  }

  private checkFull(): void {
    const full = this.full;
    if (full === this.wasFull) return;
    this.wasFull = full;
    this.emit(full ? 'full' : 'room');
  }
}
