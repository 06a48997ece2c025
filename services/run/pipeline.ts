// `ipt run` and `npm run demo`: the ingest endpoint, dedup, synth and assemble in one process, for small
// deployments and the demo. Nothing is shared between the services but the process: each one has its
// own Kafka clients, consumer group, transactions and ops server, exactly as when run alone, so moving
// from one process to three (or back) changes no topic, group, probe or dashboard.
//
// Reads top-down: assemble (downstream first, so it is consuming before anything arrives) → synth →
// dedup → the tap (optional) → ingest (the ingestor, sending candidates to dedup, its HTTP endpoint
// and ops server: documents are accepted only once the whole pipeline is up) → stop, in the
// reverse order.

import type { Logger } from '../../lib/log.ts';
import { type OpsServer, startOpsServer } from '../../lib/ops-server.ts';
import { Shutdown } from '../../lib/streams/shutdown.ts';
import { loadTokenizer } from '../../lib/tokenizer-file.ts';
import type { Topics } from '../../lib/topics.ts';
import type { TritonGrpcSetting } from '../../lib/triton/index.ts';
import { type AssembleOptions, type AssembleService, startAssemble } from '../assemble/main.ts';
import {
  type DedupOptions,
  type DedupService,
  type DedupStats,
  startDedup,
  waitDecided,
} from '../dedup/main.ts';
import {
  createIngestor,
  type IngestHttpServer,
  type Ingestor,
  type IngestorOptions,
  startIngestHttp,
} from '../ingest/index.ts';
import { type SynthOptions, type SynthService, startSynth } from '../synth/service.ts';
import { startTap, type TapOptions, type TapServer } from '../tap/server.ts';

type Shared = 'brokers' | 'registryUrl' | 'topics';

export interface PipelineOptions {
  brokers: string[];
  registryUrl: string;
  tritonUrls: string[];
  tritonGrpc?: TritonGrpcSetting;
  topics: Topics;
  /** The run: synth's consumer group derives from it, and assemble assembles only its rounds. */
  runId: string;
  ingest?: Omit<IngestorOptions, Shared | 'dedupStage'> & {
    /** POST /documents; absent: no HTTP endpoint (the caller feeds `ingestor` directly, as the demo does). */
    http?: { host?: string; port: number; token?: string; maxBodyBytes?: number };
    /** Port of ingest's /healthz, /readyz, /metrics; absent: none. */
    opsPort?: number;
    opsHost?: string;
  };
  dedup?: Omit<DedupOptions, Shared>;
  synth?: Omit<SynthOptions, Shared | 'tritonUrls' | 'tritonGrpc' | 'runId'>;
  assemble?: Omit<AssembleOptions, Shared | 'run' | 'asRun'>;
  /** The WebSocket tap and its page; absent: no tap. */
  tap?: Omit<TapOptions, Shared>;
  log?: Logger;
}

export interface Pipeline {
  readonly runId: string;
  readonly topics: Topics;
  readonly ingestor: Ingestor;
  readonly http: IngestHttpServer | undefined;
  readonly ingestOps: OpsServer | undefined;
  readonly dedup: DedupService;
  readonly synth: SynthService;
  readonly assemble: AssembleService;
  readonly tap: TapServer | undefined;
  /**
   * Resolves once this process's dedup stage has decided at least `candidates` documents (kept or
   * dropped) and committed them: what ingest sent is then on the raw topic or in the DLQ.
   */
  decided(candidates: number, timeoutMs?: number): Promise<DedupStats>;
  /**
   * Stops accepting documents, flushes what ingest holds to Kafka, then stops synth and assemble,
   * each committing what it has queued (in-flight inference results are committed or left
   * uncommitted as a whole; a restart redoes the latter).
   */
  stop(): Promise<void>;
}

export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const { brokers, registryUrl, topics, runId } = options;
  // Stopped in reverse start order: upstream first, so nothing new enters a service being stopped.
  const started = new Shutdown(options.log);

  try {
    // Assemble counts the records' tokens with the run's tokenizer, the one synth budgets with.
    const tokenCounter = options.assemble?.tokenCounter ?? loadTokenizer(options.synth?.tokenizer);
    const assemble = await startAssemble({
      ...options.assemble,
      brokers,
      registryUrl,
      topics,
      run: runId,
      tokenCounter,
    });
    started.add('assemble', () => assemble.stop());

    const synth = await startSynth({
      ...options.synth,
      brokers,
      registryUrl,
      topics,
      tritonUrls: options.tritonUrls,
      tritonGrpc: options.tritonGrpc,
      runId,
    });
    started.add('synth', () => synth.stop());

    const dedup = await startDedup({ ...options.dedup, brokers, registryUrl, topics });
    started.add('dedup', () => dedup.stop());

    // The tap watches from "now": started before ingest accepts anything, it sees every document of
    // this process; it stops before synth and assemble, so its clients are told first.
    const tap = options.tap ? await startTap({ ...options.tap, brokers, registryUrl, topics }) : undefined;
    if (tap) started.add('tap', () => tap.stop());

    const { http: httpOptions, opsPort, opsHost, ...ingestorOptions } = options.ingest ?? {};
    const ingestor = await createIngestor({
      ...ingestorOptions,
      brokers,
      registryUrl,
      topics,
      dedupStage: true,
    });
    started.add('ingestor', () => ingestor.close());
    const ingestOps =
      opsPort === undefined
        ? undefined
        : await startOpsServer({
            ...(opsHost ? { host: opsHost } : {}),
            port: opsPort,
            registry: ingestor.metrics.registry,
            ready: ingestor.ready,
          });
    if (ingestOps) started.add('ingest ops', () => ingestOps.close());
    const http = httpOptions
      ? await startIngestHttp({
          ingestor,
          ...httpOptions,
          ...(ingestorOptions.fields ? { fields: ingestorOptions.fields } : {}),
          ...(ingestorOptions.maxRecordBytes ? { maxRecordBytes: ingestorOptions.maxRecordBytes } : {}),
          ...(ingestorOptions.log ? { log: ingestorOptions.log } : {}),
        })
      : undefined;
    if (http) started.add('ingest http', () => http.close());

    let stopping: Promise<void> | undefined;
    return {
      runId,
      topics,
      ingestor,
      http,
      ingestOps,
      dedup,
      synth,
      assemble,
      tap,
      decided: (candidates, timeoutMs) => waitDecided(dedup, candidates, timeoutMs),
      stop: () => {
        stopping ??= started.stop();
        return stopping;
      },
    };
  } catch (error) {
    // A service that could not start (missing topics, no Triton…): leave nothing running behind it.
    await started.stop().catch(() => {});
    throw error;
  }
}
