export { type BackoffOptions, backoffCeiling, backoffDelay } from './backoff.ts';
export { MicroBatcher, type MicroBatcherOptions } from './batcher.ts';
export {
  type CircuitState,
  type EndpointState,
  type RequestOptions,
  TritonCluster,
  type TritonClusterOptions,
} from './cluster.ts';
export {
  TritonBadResponseError,
  TritonClosedError,
  TritonConnectionError,
  TritonDeadlineError,
  TritonError,
  type TritonErrorKind,
  TritonHttpError,
  TritonRequestFailedError,
} from './errors.ts';
export {
  type CallOptions,
  type InferOptions,
  type ModelMetadata,
  TritonHttpClient,
  type TritonHttpOptions,
} from './http.ts';
export { TritonMetrics } from './metrics.ts';
export {
  type DispatchPlan,
  dispatchPlan,
  type GenerationParams,
  type ModelConfig,
  type SamplingParams,
} from './protocol.ts';
