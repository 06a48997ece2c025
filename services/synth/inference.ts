// synth's way to Triton: one cluster client and one micro-batcher shared by every partition, so
// batches fill from all of them.

import type { Registry } from 'prom-client';
import type { Logger } from '../../lib/log.ts';
import {
  MicroBatcher,
  TritonCluster,
  type TritonGrpcSetting,
  TritonMetrics,
} from '../../lib/triton/index.ts';

export interface InferenceSettings {
  tritonUrls: string[];
  tritonGrpc?: TritonGrpcSetting | undefined;
  model: string;
  maxNewTokens: number;
  maxInFlightPerEndpoint?: number | undefined;
  maxAttempts: number;
  attemptTimeoutMs: number;
  requestDeadlineMs: number;
  maxBatch: number;
  lingerMs: number;
}

export interface Inference {
  /** `onSent`: the prompt left for the server (from then on it may cost GPU time). */
  infer(prompt: string, chainId: string, onSent?: () => void): Promise<string>;
  /** The endpoint that served the chain's last round, while the client remembers it. */
  engineOf(chainId: string): string | undefined;
  /** Sends the chain's next rounds to `engine` (a restored chain's choice) while it can take them. */
  prefer(chainId: string, engine: string): void;
  /** Triton cannot take more (no healthy endpoint, or the batcher is full): stop fetching. */
  saturated(): boolean;
  /** true while an endpoint is healthy; otherwise why not. */
  ready(): true | string;
  close(): Promise<void>;
}

export async function startInference(
  o: InferenceSettings,
  registry: Registry,
  log: Logger,
): Promise<Inference> {
  const cluster = await new TritonCluster({
    urls: o.tritonUrls,
    grpc: o.tritonGrpc,
    models: [o.model],
    maxInFlightPerEndpoint: o.maxInFlightPerEndpoint,
    maxAttempts: o.maxAttempts,
    attemptTimeoutMs: o.attemptTimeoutMs,
    deadlineMs: o.requestDeadlineMs,
    metrics: new TritonMetrics(registry),
  }).start();
  const batcher = new MicroBatcher(cluster, {
    model: o.model,
    params: { sampling: { temperature: 0, max_tokens: o.maxNewTokens }, excludeInputInOutput: true },
    maxBatch: o.maxBatch,
    lingerMs: o.lingerMs,
  });
  cluster.on('availability', (state) => log.warn({ triton: state }, `Triton endpoints ${state}`));
  return {
    infer: (prompt, chainId, onSent) =>
      batcher.submit(prompt, { affinityKey: chainId, ...(onSent ? { onSent } : {}) }),
    engineOf: (chainId) => cluster.endpointFor(chainId),
    prefer: (chainId, engine) => cluster.preferEndpoint(chainId, engine),
    saturated: () => cluster.availability === 'unavailable' || batcher.full,
    ready: () => (cluster.availability === 'unavailable' ? 'no healthy Triton endpoint' : true),
    async close() {
      batcher.close();
      await cluster.close();
    },
  };
}
