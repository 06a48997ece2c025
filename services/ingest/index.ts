// The ingest service's programmatic API (`ipt run`, the demo, tests): an ingestor for files,
// streams and single events, and the HTTP endpoint in front of one.

export {
  DEFAULT_MAX_BODY_BYTES,
  type IngestHttpOptions,
  type IngestHttpServer,
  startIngestHttp,
} from './http.ts';
export {
  createIngestor,
  DEFAULT_MAX_RECORD_BYTES,
  DEFAULT_THREADS,
  type Ingestor,
  type IngestorOptions,
  type IngestStats,
  type Outcome,
} from './ingestor.ts';
export { DEFAULT_JSON_FIELDS, type JsonFields } from './json-doc.ts';
export { createIngestMetrics, type IngestMetrics } from './metrics.ts';
export { DEFAULT_NORMALIZE, type NormalizeOptions, type RejectReason } from './normalize.ts';
export { type ProgressMode, startProgress, summaryText } from './progress.ts';
export type { Format } from './sniff.ts';
export { DEFAULT_LANGUAGES, DEFAULT_MIN_LANGUAGE_SCORE } from './steps/language.ts';
