// The app builder of a consume–process–produce service: one place for what every such service
// does around its processor — topic checks, schema policy, codecs, the runtime, consumer-lag
// reporting, the ops server (/healthz, /readyz, /metrics) and ordered shutdown.

import type { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { kafkaClient } from '../kafka/client.ts';
import type { Logger } from '../log.ts';
import { type OpsServer, startOpsServer } from '../ops-server.ts';
import { checkSchemas, registerSchemas, registryClient } from '../registry.ts';
import { requireTopics, type TopicRole, type Topics } from '../topics.ts';
import { type Codecs, fetchCodecs } from './codecs.ts';
import { StreamMetrics } from './metrics.ts';
import { reportLag } from './offsets.ts';
import { type RuntimeOptions, StreamRuntime } from './runtime.ts';
import { Shutdown } from './shutdown.ts';
import type { ProcessorFactory, Topology } from './topology.ts';

export interface StreamAppOptions<I extends TopicRole, O extends TopicRole, S extends TopicRole> {
  topology: Topology<I, O, S>;
  brokers: string[];
  registryUrl: string;
  topics: Topics;
  clientId: string;
  log: Logger;
  metricsRegistry?: Registry;
  /**
   * `register` (default): register the repository's schemas (idempotent), so the codecs write its
   * version. `require`: refuse to start unless the registry already holds them.
   */
  schemas?: 'register' | 'require';
  /** Port of /healthz, /readyz, /metrics (0: any free port); undefined: no ops server. */
  opsPort?: number;
  opsHost?: string;
}

export type RunSettings = Pick<
  RuntimeOptions<TopicRole, TopicRole, TopicRole>,
  'commitIntervalMs' | 'sessionTimeoutMs' | 'transactionTimeoutMs' | 'maxQueuedRecords' | 'globalPause'
> & {
  /** Readiness beyond the runtime's own (e.g. an inference endpoint is healthy). */
  ready?: () => true | string;
};

const LAG_INTERVAL_MS = 5_000;

export class StreamApp<I extends TopicRole, O extends TopicRole, S extends TopicRole> {
  readonly metrics: StreamMetrics;
  readonly registry: Registry;
  private readonly shutdown: Shutdown;
  private runtime: StreamRuntime<I, O, S> | undefined;
  private extraReady: (() => true | string) | undefined;
  private opsServer: OpsServer | undefined;

  private constructor(
    private readonly options: StreamAppOptions<I, O, S>,
    readonly kafka: Kafka,
    private readonly codecs: Codecs,
  ) {
    this.registry = options.metricsRegistry ?? new Registry();
    this.metrics = new StreamMetrics(this.registry, options.topology.name);
    this.shutdown = new Shutdown(options.log);
  }

  /** Checks the topics and schemas and fetches the codecs; nothing runs yet. */
  static async open<I extends TopicRole, O extends TopicRole, S extends TopicRole>(
    options: StreamAppOptions<I, O, S>,
  ): Promise<StreamApp<I, O, S>> {
    const { topology, topics } = options;
    const roles: TopicRole[] = [topology.input, ...topology.outputs, topology.state.role, 'dlq'];
    const kafka = kafkaClient(options.clientId, options.brokers, options.log);
    const admin = kafka.admin();
    await admin.connect();
    try {
      // Auto-creation would get their settings wrong: refuse to run against missing topics.
      await requireTopics(
        admin,
        roles.map((r) => topics[r]),
      );
    } finally {
      await admin.disconnect();
    }
    const client = registryClient(options.registryUrl);
    if (options.schemas === 'require') await requireSchemas(client, topics, roles);
    else await registerSchemas(client, topics);
    return new StreamApp(options, kafka, await fetchCodecs(client, topics, roles));
  }

  /** Registers something the processors use (an inference client…); it stops after the runtime. */
  defer(name: string, stop: () => Promise<void> | void): void {
    this.shutdown.add(name, stop);
  }

  /** Starts the ops server, the runtime and lag reporting; on failure stops what was started. */
  async run(createProcessor: ProcessorFactory<I, O, S>, settings: RunSettings = {}): Promise<void> {
    const { topology, topics, log } = this.options;
    const { ready, ...tuning } = settings;
    const runtime = new StreamRuntime({
      ...tuning,
      kafka: this.kafka,
      topics,
      topology,
      createProcessor,
      codecs: this.codecs,
      metrics: this.metrics,
      log,
    });
    this.runtime = runtime;
    this.extraReady = ready;
    try {
      await this.startOps();
      // Added before it starts, so a start that fails halfway still leaves the group cleanly.
      this.shutdown.add('runtime', () => runtime.stop());
      await runtime.start();
      const lag = setInterval(
        () => void reportLag(this.kafka, topology.groupId, topics[topology.input], this.metrics, log),
        LAG_INTERVAL_MS,
      );
      lag.unref();
      this.shutdown.add('lag', () => clearInterval(lag));
    } catch (error) {
      await this.stop().catch(() => {});
      throw error;
    }
  }

  private async startOps(): Promise<void> {
    const { opsPort, opsHost } = this.options;
    if (opsPort === undefined) return;
    const ops = await startOpsServer({
      port: opsPort,
      ...(opsHost ? { host: opsHost } : {}),
      registry: this.registry,
      ready: () => this.ready(),
    });
    this.opsServer = ops;
    this.shutdown.add('ops server', () => ops.close());
  }

  /** The ops server, when the app has one (its url for logs and tests). */
  get ops(): OpsServer | undefined {
    return this.opsServer;
  }

  /** true when the runtime has every assigned partition restored and the service's own check passes. */
  ready(): true | string {
    const own = this.runtime?.ready() ?? 'not started';
    return own === true && this.extraReady ? this.extraReady() : own;
  }

  /** Nothing queued or being committed: every output of what was processed is committed. */
  settled(): boolean {
    return this.runtime?.settled() ?? true;
  }

  activePartitions(): number[] {
    return this.runtime?.activePartitions() ?? [];
  }

  /** Stops in the reverse start order; a failing stop does not keep the others running. */
  stop(): Promise<void> {
    return this.shutdown.stop();
  }
}

async function requireSchemas(
  client: ReturnType<typeof registryClient>,
  topics: Topics,
  roles: TopicRole[],
): Promise<void> {
  const wanted = new Set(roles.map((r) => topics[r]));
  const bad = (await checkSchemas(client, topics)).filter(
    (c) => wanted.has(c.topic) && c.status !== 'same' && c.status !== 'compatible',
  );
  if (bad.length > 0)
    throw new Error(`schemas not registered: ${bad.map((c) => `${c.topic} (${c.status})`).join(', ')}`);
}
