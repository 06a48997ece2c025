import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The Triton client's Prometheus metrics, registered on the registry the
 * service passes in (never the global default: two clients in one process,
 * or one per test, must not collide).
 */
export class TritonMetrics {
  readonly requestDuration: Histogram<'endpoint' | 'model' | 'op' | 'outcome'>;
  readonly requests: Counter<'endpoint' | 'model' | 'op'>;
  readonly errors: Counter<'endpoint' | 'model' | 'class'>;
  readonly retries: Counter<'model'>;
  readonly inFlight: Gauge<'endpoint'>;
  readonly endpointHealthy: Gauge<'endpoint'>;
  readonly batchSize: Histogram<'model'>;
  readonly permanentFailures: Counter<'model'>;
  readonly concurrencyLimit: Gauge<'endpoint'>;
  readonly affinityHits: Counter<'endpoint'>;
  readonly affinityMisses: Counter<'reason'>;

  constructor(registry: Registry, prefix = 'ipt_triton_client_') {
    const registers = [registry];
    this.requestDuration = new Histogram({
      name: `${prefix}request_duration_seconds`,
      help: 'Duration of one HTTP attempt to a Triton endpoint',
      labelNames: ['endpoint', 'model', 'op', 'outcome'],
      // Synthesis batches take from tens of milliseconds (sim) to tens of seconds (7B model, 400 tokens).
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80],
      registers,
    });
    this.requests = new Counter({
      name: `${prefix}requests_total`,
      help: 'HTTP attempts sent to each Triton endpoint',
      labelNames: ['endpoint', 'model', 'op'],
      registers,
    });
    this.errors = new Counter({
      name: `${prefix}errors_total`,
      help: 'Failed attempts by error class (timeout, connection, server, client, bad_response)',
      labelNames: ['endpoint', 'model', 'class'],
      registers,
    });
    this.retries = new Counter({
      name: `${prefix}retries_total`,
      help: 'Attempts that were retries of an earlier failed attempt',
      labelNames: ['model'],
      registers,
    });
    this.permanentFailures = new Counter({
      name: `${prefix}permanent_failures_total`,
      help: 'Requests given up after retries, a non-retryable error or their deadline',
      labelNames: ['model'],
      registers,
    });
    this.inFlight = new Gauge({
      name: `${prefix}in_flight_requests`,
      help: 'HTTP requests outstanding per Triton endpoint',
      labelNames: ['endpoint'],
      registers,
    });
    this.endpointHealthy = new Gauge({
      name: `${prefix}endpoint_healthy`,
      help: '1 when the endpoint is admitted for routing, 0 when ejected',
      labelNames: ['endpoint'],
      registers,
    });
    this.concurrencyLimit = new Gauge({
      name: `${prefix}concurrency_limit`,
      help: 'Requests an endpoint may have in flight (adaptive for continuous-batching models)',
      labelNames: ['endpoint'],
      registers,
    });
    this.affinityHits = new Counter({
      name: `${prefix}affinity_hits_total`,
      help: "Chain rounds sent to the endpoint that served the chain's previous round (its prefix cache)",
      labelNames: ['endpoint'],
      registers,
    });
    this.affinityMisses = new Counter({
      name: `${prefix}affinity_misses_total`,
      help: 'Chain rounds sent elsewhere: their endpoint was saturated, unhealthy, or had failed them (retry)',
      labelNames: ['reason'],
      registers,
    });
    this.batchSize = new Histogram({
      name: `${prefix}batch_size`,
      help: 'Prompts per request sent by the micro-batcher',
      labelNames: ['model'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
  }
}
