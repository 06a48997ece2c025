// TypeScript mirrors of schemas/*.avsc (namespace ipt.v1). Field names are the Avro names
// (snake_case) so records pass through the serdes untouched. Every field is required here
// (nullable ones are `T | null`) so an object literal of these types must spell out the
// whole record; tests/unit/schemas.test.ts checks these shapes against the .avsc files.
// Times are epoch milliseconds (Avro long, logicalType timestamp-millis).

/** ipt.v1.QAPair — one instruction–response pair parsed from the synthesizer output. */
export interface QAPair {
  question: string;
  answer: string;
}

/** ipt.v1.RawDocument — topic ipt.docs.raw, key doc_id. */
export interface RawDocument {
  doc_id: string;
  text: string;
  url: string | null;
  source: string;
  crawl_dump: string | null;
  crawl_segment: string | null;
  crawl_time: number | null;
  ingested_at: number;
  content_hash: string;
  token_count: number;
  chunk_index: number;
  chunk_count: number;
  parent_doc_id: string | null;
  metadata: Record<string, string>;
  /** ISO 639-1 code of the text's language, null when not identified (or before it was). */
  lang: string | null;
  /** The language identifier's score for `lang` (eld's 0–1 scale), null with it. */
  lang_score: number | null;
}

/** ipt.v1.Run — identifies one synthesis run and everything that determines its output. */
export interface Run {
  run_id: string;
  model: string;
  model_version: string;
  sampling_parameters: string;
  temperature: number;
  max_new_tokens: number;
  max_model_len: number;
  rounds_per_chain: number;
  chains_per_block: number;
  token_margin: number;
  tokenizer: string;
  template_version: string;
  started_at: number;
}

export const CHAIN_CLOSE_REASONS = ['IDLE_TIMEOUT', 'END_OF_INPUT', 'PERMANENT_FAILURE', 'OTHER'] as const;
export type ChainCloseReason = (typeof CHAIN_CLOSE_REASONS)[number];

/** ipt.v1.ChainClose — why a chain ended before reaching M rounds. */
export interface ChainClose {
  reason: ChainCloseReason;
  detail: string;
  rounds_total: number;
  closed_at: number;
}

export const SYNTH_RECORD_KINDS = ['ROUND', 'CLOSE'] as const;
export type SynthRecordKind = (typeof SYNTH_RECORD_KINDS)[number];

/** ipt.v1.SynthRound — topic ipt.synth.rounds, key chain_id. */
export interface SynthRound {
  run: Run;
  kind: SynthRecordKind;
  chain_id: string;
  round_index: number;
  doc_id: string;
  source_partition: number;
  source_offset: number;
  text: string;
  prompt: string | null;
  raw_output: string;
  pairs: QAPair[];
  history_rounds_available: number;
  history_rounds_used: number;
  prev_followed_by_next: boolean;
  inherit_from_prev: boolean;
  text_tokens: number;
  prompt_tokens: number;
  history_tokens: number;
  output_tokens: number | null;
  attempts: number;
  latency_ms: number;
  produced_at: number;
  close: ChainClose | null;
}

/** ipt.v1.AugmentedRound — one round of a chain as the assembler saw it. */
export interface AugmentedRound {
  round_index: number;
  doc_id: string;
  text: string;
  pairs: QAPair[];
  history_rounds_used: number;
  inherit_from_prev: boolean;
  followed_by_next: boolean;
  text_tokens: number;
}

/** ipt.v1.RenderedText — one pre-training text (one connected segment of a chain). */
export interface RenderedText {
  text: string;
  round_indexes: number[];
  framing: string;
  token_count: number;
}

/** ipt.v1.AugmentedRecord — topic ipt.corpus.augmented, key chain_id. */
export interface AugmentedRecord {
  id: string;
  run: Run;
  chain_id: string;
  doc_ids: string[];
  rounds: AugmentedRound[];
  texts: RenderedText[];
  template_seed: number;
  template_version: string;
  text_tokens: number;
  rendered_tokens: number;
  close: ChainClose | null;
  assembled_at: number;
}

export const DEAD_LETTER_STAGES = ['INGEST', 'DEDUP', 'SYNTH', 'ASSEMBLE', 'EXPORT', 'OTHER'] as const;
export type DeadLetterStage = (typeof DEAD_LETTER_STAGES)[number];
export const DEAD_LETTER_ERROR_CLASSES = [
  'DESERIALIZATION',
  'VALIDATION',
  'REJECTED_TEXT',
  'PROMPT_OVER_BUDGET',
  'INFERENCE_TIMEOUT',
  'INFERENCE_ERROR',
  'INFERENCE_UNAVAILABLE',
  'TEMPLATE_ERROR',
  'STATE_ERROR',
  'INTERNAL',
  'OTHER',
] as const;
export type DeadLetterErrorClass = (typeof DEAD_LETTER_ERROR_CLASSES)[number];

/** ipt.v1.DeadLetter — topic ipt.dlq. */
export interface DeadLetter {
  source_topic: string;
  source_partition: number;
  source_offset: number;
  key: Buffer | null;
  value: Buffer | null;
  stage: DeadLetterStage;
  error_class: DeadLetterErrorClass;
  error_name: string;
  message: string;
  attempts: number;
  run_id: string | null;
  doc_id: string | null;
  chain_id: string | null;
  context: Record<string, string>;
  failed_at: number;
}

/** ipt.v1.CompactRound — a finished round as chain history needs it, nothing more. */
export interface CompactRound {
  round_index: number;
  doc_id: string;
  text: string;
  pairs: QAPair[];
  inherit_from_prev: boolean;
  text_tokens: number;
  history_tokens: number;
}

/** ipt.v1.PendingRecord — an input record waiting for its chain's previous round. */
export interface PendingRecord {
  seq: number;
  offset: number;
  round_index: number;
  doc_id: string;
  text: string;
  text_tokens: number;
}

/** ipt.v1.OpenChain — a chain that has not reached M rounds or been closed. */
export interface OpenChain {
  chain_id: string;
  block: number;
  chain_index: number;
  rounds: CompactRound[];
  pending: PendingRecord[];
  opened_at: number;
  last_activity_at: number;
  closed_reason: string | null;
  /** Triton endpoint that served the chain's last round (its prefix cache holds the history). */
  engine: string | null;
}

/**
 * ipt.v1.KeptAnswer — a round sent to Triton (output null) or its output, kept outside the
 * transaction until the round commits.
 */
export interface KeptAnswer {
  chain_id: string;
  round_index: number;
  prompt_sha256: string;
  output: string | null;
  engine: string | null;
}

/** ipt.v1.PartitionCounters — per input partition sequence counters. */
export interface PartitionCounters {
  next_seq: number;
  next_offset: number;
}

/** ipt.v1.SynthState — changelog ipt.synth.state (compacted). Exactly one of counters / chain / answer is set. */
export interface SynthState {
  run_id: string;
  source_topic: string;
  source_partition: number;
  counters: PartitionCounters | null;
  chain: OpenChain | null;
  answer: KeptAnswer | null;
  updated_at: number;
}

/** ipt.v1.CollectedRound — what the assembler keeps of each SynthRound. */
export interface CollectedRound {
  round_index: number;
  doc_id: string;
  text: string;
  pairs: QAPair[];
  history_rounds_used: number;
  prev_followed_by_next: boolean;
  inherit_from_prev: boolean;
  text_tokens: number;
}

/** ipt.v1.AssembleState — changelog ipt.assemble.state (compacted), key chain_id. */
export interface AssembleState {
  run: Run;
  chain_id: string;
  rounds: CollectedRound[];
  close: ChainClose | null;
  first_seen_at: number;
  updated_at: number;
}

/** ipt.v1.DedupPeer — a document by content hash and id. */
export interface DedupPeer {
  hash: string;
  doc_id: string;
}

/** One LSH band key a document claims. */
export interface DedupClaim {
  band: number;
  key: number;
}

export const DEDUP_MESSAGE_KINDS = ['CANDIDATE', 'CLAIM', 'REPLY', 'QUERY', 'ANSWER'] as const;
export type DedupMessageKind = (typeof DEDUP_MESSAGE_KINDS)[number];
export const DEDUP_ANSWERS = ['KEPT', 'DROPPED', 'DISSIMILAR', 'LOWER', 'DEFERS'] as const;
export type DedupAnswer = (typeof DEDUP_ANSWERS)[number];

/** ipt.v1.DedupMessage — topic ipt.dedup.candidates (ARCHITECTURE.md §9). */
export interface DedupMessage {
  kind: DedupMessageKind;
  hash: string;
  doc_id: string;
  records: Buffer[];
  signature: Buffer | null;
  origin: string | null;
  band: number | null;
  band_key: number | null;
  claims: DedupClaim[];
  peers: DedupPeer[];
  peer_hash: string | null;
  peer_doc_id: string | null;
  status: DedupAnswer | null;
  similarity: number | null;
}

export type DedupStatus = 'PENDING' | 'KEPT' | 'DROPPED';
export type DedupConflictState = 'ASKED' | 'WAITING' | 'CLEARED';

export interface DedupConflict {
  hash: string;
  doc_id: string;
  state: DedupConflictState;
  similarity: number | null;
}

export interface DedupCopy {
  doc_id: string;
  origin: string | null;
}

/** ipt.v1.DedupDoc — a document the dedup stage has seen. */
export interface DedupDoc {
  doc_id: string;
  status: DedupStatus;
  records: Buffer[];
  signature: Buffer | null;
  origin: string | null;
  replies: number;
  conflicts: DedupConflict[];
  waiters: string[];
  copies: DedupCopy[];
  kept_doc_id: string | null;
  similarity: number | null;
}

/** ipt.v1.DedupState — topic ipt.dedup.state: a document (`d/<hash>`) or a band key (`b/<band>/<key>`). */
export interface DedupState {
  seq: number;
  doc: DedupDoc | null;
  band: DedupPeer[] | null;
}

/** ipt.v1.CrawlInput — topic ipt.crawl.inputs: one file or URL for the ingest workers. */
export interface CrawlInput {
  input_id: string;
  location: string;
  format: string | null;
  size: number | null;
  base_url: string | null;
  added_at: number;
}

export type CrawlState = 'RUNNING' | 'DONE' | 'FAILED';

/** ipt.v1.CrawlProgress — topic ipt.crawl.progress (compacted): how far an input has been read. */
export interface CrawlProgress {
  input_id: string;
  location: string;
  state: CrawlState;
  records_read: number;
  documents: number;
  bytes_read: number;
  size: number | null;
  worker: string;
  reason: string | null;
  started_at: number;
  updated_at: number;
}
