/**
 * How many requests one endpoint of a continuous-batching model (vLLM and
 * the like: decoupled, max_batch_size 0) should have in flight. Such an
 * engine's throughput grows with the sequences it runs until its slots (or
 * its KV cache) are full; past that point more requests only wait in its
 * queue and add latency. The limit climbs while measured throughput
 * climbs, settles a little above the point where it stopped (a small waiting
 * queue keeps a slot from idling between a finish and the next request), and
 * comes down when latency rises without throughput or when the endpoint
 * fails requests.
 *
 * Pure: the caller reports completed requests with their own timestamps, so
 * tests drive it on a virtual clock.
 */

export interface AdaptiveLimitOptions {
  /** Where the limit starts, e.g. the engine's published max_num_seqs. */
  initial: number;
  /** Floor; never below 1. */
  min?: number;
  /** Cap (the --max-in-flight flag when given). */
  max: number;
  /**
   * The engine's sequence slots when it publishes them (vLLM's max_num_seqs): above them more in
   * flight can only fill the moments a slot waits for the client's next request, so the search
   * steps by the headroom there instead of by the growth factor.
   */
  slots?: number;
  /** Factor of one growth step (at least +1). */
  growth?: number;
  /** Waiting queue kept above the point where throughput stopped growing, as a fraction of it (at least 2). */
  headroom?: number;
  /** Relative throughput change that counts as a change rather than noise. */
  gainTolerance?: number;
  /** Relative latency rise, at unchanged throughput, that makes the limit come down. */
  latencyTolerance?: number;
  /** Factor of one step down on climbing latency (at least -1). */
  backoff?: number;
  /** Factor applied when the endpoint fails requests (timeouts, 5xx, lost connections). */
  errorBackoff?: number;
  /** Fewest completions that make a measurement window (the window is otherwise one limit's worth). */
  minWindow?: number;
  /** Steady windows between probes upward (half a growth step: the engine may have become faster). */
  probeEvery?: number;
}

/** One finished request, timestamps in milliseconds on one clock. */
export interface LimitSample {
  startedAt: number;
  now: number;
  /** False when the endpoint failed it in a way that says it is overloaded or sick. */
  ok: boolean;
  /** Requests outstanding at the endpoint when it finished, itself included. */
  inFlight: number;
}

export type LimitPhase = 'grow' | 'hold' | 'shrink';

/** The engine's own queue (all clients' requests) and this client's requests in flight there. */
export interface EngineSample {
  now: number;
  running: number;
  waiting: number;
  inFlight: number;
}

/** How long an engine sample governs the limit; without fresher ones the client's own measurements take over. */
const ENGINE_FRESH_MS = 5_000;

interface Reference {
  limit: number;
  /** Completions per millisecond. */
  throughput: number;
  latencyMs: number;
}

interface Window {
  count: number;
  latencySum: number;
  inFlightSum: number;
}

const DEFAULTS: Required<Omit<AdaptiveLimitOptions, 'initial' | 'max' | 'slots'>> = {
  min: 1,
  growth: 1.25,
  headroom: 1 / 32,
  gainTolerance: 0.05,
  latencyTolerance: 0.25,
  backoff: 0.9,
  errorBackoff: 0.7,
  minWindow: 8,
  probeEvery: 8,
};

export class AdaptiveLimit {
  private readonly o: Required<Omit<AdaptiveLimitOptions, 'slots'>> & { slots: number | undefined };
  private value: number;
  private phaseNow: LimitPhase = 'grow';
  /** Best throughput seen at the lowest limit that reached it (reset by failures). */
  private best: Reference | undefined;
  /** Requests sent before this time ran under an older limit and say nothing about this one. */
  private changedAt = Number.NEGATIVE_INFINITY;
  /** Failures of requests sent before this time were already answered by a cut. */
  private cutAt = Number.NEGATIVE_INFINITY;
  /** Set when the first request sent under the current limit finishes; later requests are measured. */
  private measureFrom: number | undefined = Number.NEGATIVE_INFINITY;
  private window: Window | undefined;
  private holdWindows = 0;
  /** Lowest limit seen not to add throughput during this search. */
  private ceiling = Number.POSITIVE_INFINITY;
  /** The search is a probe from a steady hold: one step that buys nothing ends it. */
  private fromHold = false;
  private holdLatencyMs: number | undefined;
  /** When the engine's own counts last arrived. */
  private engineAt: number | undefined;
  /** The last step of a walk down (shrink) that kept throughput. */
  private shrinkFrom: Reference | undefined;

  constructor(options: AdaptiveLimitOptions) {
    this.o = {
      ...DEFAULTS,
      ...options,
      slots: options.slots,
      min: Math.max(1, Math.floor(options.min ?? DEFAULTS.min)),
    };
    if (!(this.o.max >= this.o.min))
      throw new Error(`limit cap ${this.o.max} is below its floor ${this.o.min}`);
    this.value = this.clamp(Math.round(options.initial));
  }

  get limit(): number {
    return this.value;
  }

  get phase(): LimitPhase {
    return this.phaseNow;
  }

  /**
   * Feeds the engine's own running/waiting counts. While they arrive they set the limit: the engine's
   * waiting queue is held near its target (the headroom of its slots, at least 2) whoever fills it —
   * each client gives back, or takes, its share of the difference (its part of what the engine holds),
   * half at a time, so several clients of one engine converge instead of each filling it alone.
   * True when the limit changed.
   */
  onEngineSample(e: EngineSample): boolean {
    const before = this.value;
    this.engineAt = e.now;
    const slots = this.o.slots ?? e.running;
    const target = Math.max(2, Math.ceil(slots * this.o.headroom));
    const total = e.running + e.waiting;
    const share = total > 0 ? Math.min(1, e.inFlight / total) : 1;
    if (e.waiting > 2 * target) {
      this.set(this.value - Math.max(1, Math.round(((e.waiting - target) * share) / 2)), e.now);
    } else if (e.waiting < target && e.inFlight >= 0.9 * this.value) {
      // Free slots (running below them) and too short a queue: take this client's share of both.
      const missing = target - e.waiting + Math.max(0, slots - e.running);
      this.set(this.value + Math.max(1, Math.round((missing * share) / 2)), e.now);
    }
    this.phaseNow = 'hold';
    return this.value !== before;
  }

  /** Feeds one finished request; true when the limit changed. */
  onSample(s: LimitSample): boolean {
    const before = this.value;
    if (!s.ok) {
      // One cut per generation of requests: a burst of timeouts from one overload is one signal.
      if (s.startedAt < this.cutAt) return false;
      this.best = undefined;
      this.phaseNow = 'grow';
      this.fromHold = false;
      this.ceiling = Number.POSITIVE_INFINITY;
      this.set(Math.min(this.value - 1, Math.floor(this.value * this.o.errorBackoff)), s.now);
      this.cutAt = s.now;
      return this.value !== before;
    }
    // The engine's own counts govern while they are fresh (failures above still cut at once).
    if (this.engineAt !== undefined && s.now - this.engineAt < ENGINE_FRESH_MS) return false;
    if (s.startedAt < this.changedAt) return false;
    if (this.measureFrom === undefined) {
      // The first generation after a change met a queue still forming; measure the one after it.
      this.measureFrom = s.now;
      return false;
    }
    if (s.startedAt < this.measureFrom) return false;
    const w = this.window ?? { count: 0, latencySum: 0, inFlightSum: 0 };
    this.window = w;
    w.count++;
    w.latencySum += s.now - s.startedAt;
    w.inFlightSum += s.inFlight;
    if (w.count < Math.max(this.o.minWindow, this.value)) return false;
    this.window = undefined;
    const inFlight = w.inFlightSum / w.count;
    const latencyMs = Math.max(w.latencySum / w.count, 1e-6);
    // Little's law: throughput = requests in flight / their latency. Unlike completions per second
    // it does not depend on how completions bunch up within a short window.
    const current: Reference = { limit: this.value, throughput: inFlight / latencyMs, latencyMs };
    // Below the limit the caller had too little to send: that says nothing about the engine.
    if (inFlight < 0.9 * this.value) return false;
    this.decide(current, s.now);
    return this.value !== before;
  }

  private decide(current: Reference, now: number): void {
    const { gainTolerance, latencyTolerance, backoff, probeEvery, growth } = this.o;
    const best = this.best;
    if (best === undefined || current.throughput >= best.throughput * (1 + gainTolerance)) {
      // Below the knee: search on upward, by steps until a step buys nothing, then by halves.
      this.best = current;
      this.phaseNow = 'grow';
      this.fromHold = false;
      this.searchNext(now);
      return;
    }
    const kept = current.throughput >= best.throughput * (1 - gainTolerance);
    if (this.phaseNow === 'grow') {
      // More in flight bought nothing: the knee is below this limit.
      this.ceiling = Math.min(this.ceiling, current.limit);
      if (this.fromHold) this.hold(best, now, false);
      else this.searchNext(now);
      return;
    }
    if (this.phaseNow === 'shrink') {
      // Each step down is judged against the step before (the engine changed, so older figures are
      // stale): the same throughput with fewer in flight puts the knee lower still; lost throughput
      // puts it at the step before. Twice the usual tolerance: one noisy window must not end the
      // walk well above the knee.
      const previous = this.shrinkFrom;
      if (previous !== undefined && current.throughput < previous.throughput * (1 - 2 * gainTolerance)) {
        this.best = previous;
        this.hold(previous, now);
        return;
      }
      this.best = current;
      this.shrinkFrom = current;
      this.set(Math.min(this.value - 1, Math.floor(this.value * backoff)), now);
      return;
    }
    this.holdWindows++;
    const usual = this.holdLatencyMs ?? current.latencyMs;
    if (current.latencyMs > usual * (1 + latencyTolerance)) {
      // Waiting grew: the engine fits fewer sequences than before, or it slowed down as a whole.
      // Either way step down while throughput holds; re-measure from here if it fell already.
      if (!kept) this.best = current;
      this.phaseNow = 'shrink';
      this.shrinkFrom = undefined;
      this.set(Math.min(this.value - 1, Math.floor(this.value * backoff)), now);
      return;
    }
    // The latency this hold usually sees, smoothed so one lucky window does not become the bar.
    this.holdLatencyMs = usual + 0.25 * (current.latencyMs - usual);
    if (this.holdWindows >= probeEvery) {
      // The engine may have become faster (more cache, shorter outputs): try half a step up.
      this.phaseNow = 'grow';
      this.fromHold = true;
      this.ceiling = Number.POSITIVE_INFINITY;
      this.set(this.stepUp(this.value, (growth - 1) / 2), now);
    }
  }

  /** One step up from `from`: by `fraction`, or by the headroom once at or past the engine's slots. */
  private stepUp(from: number, fraction: number): number {
    const slots = this.o.slots;
    const by = slots !== undefined && from >= slots ? this.o.headroom : fraction;
    const next = Math.max(from + 1, Math.round(from * (1 + by)));
    // Below the slots, a big step stops at them: that is where the engine should be full.
    return slots !== undefined && from < slots ? Math.min(next, slots) : next;
  }

  /** Next probe above best.limit: a growth step while no ceiling is known, else halfway to it. */
  private searchNext(now: number): void {
    const best = this.best as Reference;
    const lo = best.limit;
    if (this.ceiling === Number.POSITIVE_INFINITY) {
      if (lo >= this.o.max) this.hold(best, now);
      else this.set(this.stepUp(lo, this.o.growth - 1), now);
      return;
    }
    if (this.ceiling - lo <= Math.max(2, lo * this.o.headroom)) this.hold(best, now);
    else this.set(Math.round((lo + this.ceiling) / 2), now);
  }

  /** Engine full at knee.limit: keep a small waiting queue above it. */
  private hold(knee: Reference, now: number, newKnee = true): void {
    this.phaseNow = 'hold';
    // Back from a probe that found nothing, the old bar still holds (the engine may have slowed
    // during the probe: that must not become the new normal).
    if (newKnee) this.holdLatencyMs = undefined;
    this.fromHold = false;
    this.holdWindows = 0;
    this.ceiling = Number.POSITIVE_INFINITY;
    this.set(Math.max(knee.limit + 2, Math.round(knee.limit * (1 + this.o.headroom))), now);
  }

  private set(next: number, now: number): void {
    const clamped = this.clamp(next);
    if (clamped === this.value) return;
    this.value = clamped;
    this.changedAt = now;
    this.measureFrom = undefined;
    this.window = undefined;
  }

  private clamp(v: number): number {
    return Math.max(this.o.min, Math.min(this.o.max, v));
  }
}
