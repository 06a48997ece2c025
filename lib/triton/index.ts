export { AffinityMemory } from './affinity.ts';
export { type BackoffOptions, backoffCeiling, backoffDelay } from './backoff.ts';
export { MicroBatcher, type MicroBatcherOptions, type SubmitOptions } from './batcher.ts';
export {
  ADAPTIVE_CEILING,
  ADAPTIVE_START,
  type AffinityStats,
  type Availability,
  type EndpointClients,
  type EndpointState,
  type RequestOptions,
  TritonCluster,
  type TritonClusterOptions,
  type TritonGenerator,
} from './cluster.ts';
export {
  AdaptiveLimit,
  type AdaptiveLimitOptions,
  type EngineSample,
  type LimitPhase,
  type LimitSample,
} from './concurrency.ts';
export { defaultMetricsUrl, type EngineLoad, parseEngineLoad } from './engine-load.ts';
export {
  TritonBadResponseError,
  TritonClosedError,
  TritonConnectionError,
  TritonDeadlineError,
  TritonError,
  type TritonErrorKind,
  TritonGrpcError,
  TritonHttpError,
  TritonRequestFailedError,
} from './errors.ts';
export {
  defaultGrpcAddress,
  grpcAddresses,
  TritonGrpcClient,
  type TritonGrpcOptions,
  type TritonGrpcSetting,
} from './grpc.ts';
export {
  type CallOptions,
  type InferOptions,
  type ModelMetadata,
  TritonHttpClient,
  type TritonHttpOptions,
} from './http.ts';
export { TritonMetrics } from './metrics.ts';
export {
  continuousBatching,
  type DispatchPlan,
  dispatchPlan,
  engineSlotsHint,
  type GenerationParams,
  type ModelConfig,
  type SamplingParams,
} from './protocol.ts';
