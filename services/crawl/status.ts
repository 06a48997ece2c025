// `ipt crawl status`: every input's state from the inputs and progress topics (read_committed, so
// exactly what has been committed), with rates over the last minute of progress records and an ETA.

import type { Kafka } from 'kafkajs';
import type { CrawlInput, CrawlProgress } from '../../core/types.ts';
import { registryClient, topicSerde } from '../../lib/registry.ts';
import type { Topics } from '../../lib/topics.ts';
import { publishedInputs } from './publish.ts';
import { readTopicValues } from './read-topic.ts';

export type InputState = 'QUEUED' | 'RUNNING' | 'DONE' | 'FAILED';

export interface InputStatus {
  location: string;
  state: InputState;
  worker: string | null;
  records_read: number;
  documents: number;
  bytes_read: number;
  size: number | null;
  reason: string | null;
  updated_at: number | null;
}

export interface CrawlStatus {
  inputs: number;
  queued: number;
  running: number;
  done: number;
  failed: number;
  records: number;
  documents: number;
  /** Over the last `windowMs` of progress (or since the first record, if sooner). */
  recordsPerSecond: number;
  documentsPerSecond: number;
  bytesPerSecond: number;
  /** Seconds until the queued and running inputs are read at that byte rate; null when unknown. */
  etaSeconds: number | null;
  list: InputStatus[];
}

export const DEFAULT_RATE_WINDOW_MS = 60_000;

/** The status from the descriptors and every progress record (oldest first per input). */
export function summarize(
  inputs: readonly CrawlInput[],
  history: readonly CrawlProgress[],
  now = Date.now(),
  windowMs = DEFAULT_RATE_WINDOW_MS,
): CrawlStatus {
  const byInput = new Map<string, CrawlProgress[]>();
  for (const p of history) {
    const list = byInput.get(p.input_id);
    if (list) list.push(p);
    else byInput.set(p.input_id, [p]);
  }
  const unique = new Map(inputs.map((i) => [i.input_id, i]));
  const list = [...unique.values()].map((input) => inputStatus(input, byInput.get(input.input_id)));
  const count = (state: InputState) => list.filter((s) => s.state === state).length;
  const rates = ratesOf(byInput, now, windowMs);
  return {
    inputs: list.length,
    queued: count('QUEUED'),
    running: count('RUNNING'),
    done: count('DONE'),
    failed: count('FAILED'),
    records: list.reduce((n, s) => n + s.records_read, 0),
    documents: list.reduce((n, s) => n + s.documents, 0),
    ...rates,
    etaSeconds: etaOf(list, rates.bytesPerSecond),
    list,
  };
}

function inputStatus(input: CrawlInput, progress: CrawlProgress[] | undefined): InputStatus {
  const last = progress?.[progress.length - 1];
  return {
    location: input.location,
    state: last?.state ?? 'QUEUED',
    worker: last?.worker ?? null,
    records_read: last?.records_read ?? 0,
    documents: last?.documents ?? 0,
    bytes_read: last?.bytes_read ?? 0,
    size: input.size ?? last?.size ?? null,
    reason: last?.reason ?? null,
    updated_at: last?.updated_at ?? null,
  };
}

/** Sum over inputs of what their progress grew by inside the window, per second of the window. */
function ratesOf(byInput: Map<string, CrawlProgress[]>, now: number, windowMs: number) {
  const start = now - windowMs;
  let records = 0;
  let documents = 0;
  let bytes = 0;
  let first = now;
  for (const progress of byInput.values()) {
    const sorted = [...progress].sort((a, b) => a.updated_at - b.updated_at);
    first = Math.min(first, sorted[0]?.started_at ?? now);
    const inside = sorted.filter((p) => p.updated_at >= start);
    const last = inside[inside.length - 1];
    if (!last) continue;
    const base = sorted.filter((p) => p.updated_at < start).pop();
    records += last.records_read - (base?.records_read ?? 0);
    documents += last.documents - (base?.documents ?? 0);
    // A resumed input's bytes restart from 0 (it is read again from the start).
    bytes += last.bytes_read - (base && base.worker === last.worker ? base.bytes_read : 0);
  }
  const seconds = Math.max(1, (now - Math.max(start, first)) / 1000);
  return {
    recordsPerSecond: records / seconds,
    documentsPerSecond: documents / seconds,
    bytesPerSecond: bytes / seconds,
  };
}

function etaOf(list: InputStatus[], bytesPerSecond: number): number | null {
  let remaining = 0;
  for (const s of list) {
    if (s.state !== 'QUEUED' && s.state !== 'RUNNING') continue;
    if (s.size === null) return null;
    remaining += Math.max(0, s.size - s.bytes_read);
  }
  if (remaining === 0) return 0;
  return bytesPerSecond > 0 ? remaining / bytesPerSecond : null;
}

/** Reads both topics (committed records) and summarizes them. */
export async function readCrawlStatus(
  kafka: Kafka,
  registryUrl: string,
  topics: Topics,
  windowMs = DEFAULT_RATE_WINDOW_MS,
): Promise<CrawlStatus> {
  const registry = registryClient(registryUrl);
  const [inputs, history] = await Promise.all([
    publishedInputs(kafka, topics.crawlInputs, topicSerde(registry, topics.crawlInputs)),
    readProgressHistory(kafka, registryUrl, topics),
  ]);
  return summarize(inputs, history, Date.now(), windowMs);
}

/** Every committed progress record (what compaction has kept), each partition in order. */
export function readProgressHistory(
  kafka: Kafka,
  registryUrl: string,
  topics: Topics,
): Promise<CrawlProgress[]> {
  const serde = topicSerde<CrawlProgress>(registryClient(registryUrl), topics.crawlProgress);
  return readTopicValues(kafka, topics.crawlProgress, serde);
}

/** The status as lines for a terminal. */
export function statusText(status: CrawlStatus, verbose = false, now = Date.now()): string {
  const eta = status.etaSeconds === null ? 'unknown' : `${Math.round(status.etaSeconds)} s`;
  const lines = [
    `inputs ${status.inputs}: ${status.queued} queued, ${status.running} in progress, ${status.done} done, ${status.failed} failed`,
    `records ${status.records}, documents ${status.documents}; ${status.recordsPerSecond.toFixed(1)} records/s, ${status.documentsPerSecond.toFixed(1)} documents/s, ETA ${eta}`,
  ];
  for (const s of status.list) {
    if (s.state === 'RUNNING') {
      const of = s.size ? ` of ${s.size}` : '';
      const age = s.updated_at === null ? '' : `, committed ${Math.round((now - s.updated_at) / 1000)} s ago`;
      lines.push(
        `  reading ${s.location}: ${s.worker}, record ${s.records_read}, byte ${s.bytes_read}${of}${age}`,
      );
    } else if (s.state === 'FAILED') lines.push(`  failed  ${s.location}: ${s.reason}`);
    else if (verbose) lines.push(`  ${s.state.toLowerCase().padEnd(7)} ${s.location}`);
  }
  return lines.join('\n');
}
