// Reading one crawl input inside the worker's transactions. Its records are counted in the order
// the reader yields them, which a re-read repeats, so "records read" is a position: a resumed input
// skips that many and goes on with the next. Every `commitRecords` records (or `commitIntervalMs`)
// the documents and dead letters of the records since the last commit go out in one transaction
// with the new position; the input's last transaction also moves the group past its descriptor.

import type { CrawlInput, CrawlProgress, CrawlState } from '../../core/types.ts';
import type { RejectedInput, SourceEvent } from '../ingest/events.ts';
import type { Ingestor } from '../ingest/ingestor.ts';
import type { JsonFields } from '../ingest/json-doc.ts';
import { INPUT_LOST, inputEvents } from './input-events.ts';
import type { CrawlWorkerMetrics } from './metrics.ts';

/** Records handed to the steps at once: enough to keep them busy while this thread reads ahead. */
const IN_FLIGHT = 16;

export interface InputRunDeps {
  ingestor: Pick<Ingestor, 'handle'>;
  fields: JsonFields;
  maxRecordBytes: number;
  workerId: string;
  commitRecords: number;
  commitIntervalMs: number;
  metrics: CrawlWorkerMetrics;
  /** Commits what the steps produced since the last call with this progress; `final` also passes the input. */
  commit(progress: CrawlProgress, final: boolean): Promise<void>;
  /** Between transactions: keeps the group membership alive, throws when the group rebalances. */
  heartbeat(): Promise<void>;
  /** True once the worker is asked to stop: the input's progress is committed and reading ends. */
  stopping(): boolean;
}

export type RunEnd = CrawlState | 'stopped';

/** Reads `input` from where `prior` left it to its end (or to a stop); returns how it ended. */
export async function runInput(
  deps: InputRunDeps,
  input: CrawlInput,
  prior: CrawlProgress | undefined,
): Promise<RunEnd> {
  const skip = prior?.records_read ?? 0;
  const run = new Position(input, deps.workerId, prior);
  const steps = new InFlight(deps, run);
  const commits = new CommitClock(deps);
  let failure: Failure | null = null;
  const events = inputEvents(input, {
    fields: deps.fields,
    maxRecordBytes: deps.maxRecordBytes,
    onBytes: (n) => {
      run.bytes += n;
    },
  })[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await events.next().catch((error: Error) => {
        failure = { reason: error.message, deadLettered: false };
        return null;
      });
      if (!next || next.done) break;
      if (++run.records <= skip) {
        deps.metrics.recordsSkipped.inc();
        continue;
      }
      if (isInputLost(next.value)) failure = { reason: next.value.message, deadLettered: true };
      await steps.add(next.value);
      if (failure) break;
      if (commits.due()) {
        await steps.drain();
        await deps.commit(run.progress('RUNNING'), false);
        if (deps.stopping()) return 'stopped';
        await deps.heartbeat();
        commits.reset();
      }
    }
    await steps.drain();
  } finally {
    await events.return?.(undefined).catch(() => {});
  }
  if (failure !== null) return fail(deps, input, run, failure);
  await deps.commit(run.progress('DONE'), true);
  deps.metrics.inputsFinished.inc({ state: 'done' });
  return 'DONE';
}

/** Records being run through the steps, IN_FLIGHT at most; `drain` waits for all of them. */
class InFlight {
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly deps: InputRunDeps,
    private readonly run: Position,
  ) {}

  async add(event: SourceEvent): Promise<void> {
    this.deps.metrics.recordsRead.inc();
    const handled: Promise<unknown> = this.deps.ingestor
      .handle(event)
      .then((outcome) => {
        if (outcome.status !== 'accepted') return;
        this.run.documents++;
        this.deps.metrics.documents.inc();
      })
      .finally(() => this.running.delete(handled));
    handled.catch(() => {}); // awaited by drain or race; this only keeps it from going unhandled
    this.running.add(handled);
    if (this.running.size >= IN_FLIGHT) await Promise.race(this.running);
  }

  async drain(): Promise<void> {
    await Promise.all(this.running);
  }
}

/** When the next transaction is due: after commitRecords records, commitIntervalMs, or a stop. */
class CommitClock {
  private records = 0;
  private last = performance.now();

  constructor(private readonly deps: InputRunDeps) {}

  due(): boolean {
    this.records++;
    return (
      this.records >= this.deps.commitRecords ||
      performance.now() - this.last >= this.deps.commitIntervalMs ||
      this.deps.stopping()
    );
  }

  reset(): void {
    this.records = 0;
    this.last = performance.now();
  }
}

interface Failure {
  reason: string;
  /** The reader's own rejection already went to the DLQ. */
  deadLettered: boolean;
}

/** A reader's own rejection that ends its input (the rest of the file is lost). */
const isInputLost = (event: SourceEvent): event is RejectedInput =>
  event.kind === 'reject' && INPUT_LOST.has(event.reason);

/**
 * The input could not be read (any more): its reason goes to the DLQ, unless the reader already
 * dead-lettered it, and the input is marked failed — in the same transaction as what was read.
 */
async function fail(
  deps: InputRunDeps,
  input: CrawlInput,
  run: Position,
  { reason, deadLettered }: Failure,
): Promise<RunEnd> {
  if (!deadLettered) {
    await deps.ingestor.handle({
      kind: 'reject',
      reason: 'read_error',
      message: `input failed: ${reason}`,
      source: `input:${input.location}`,
      origin: `after record ${run.records}`,
      original: null,
    });
  }
  await deps.commit(run.progress('FAILED', reason), true);
  deps.metrics.inputsFinished.inc({ state: 'failed' });
  return 'FAILED';
}

/** How far the input has been read, as the progress record says it. */
class Position {
  records = 0;
  documents: number;
  bytes = 0;
  private readonly startedAt = Date.now();

  constructor(
    private readonly input: CrawlInput,
    private readonly workerId: string,
    prior: CrawlProgress | undefined,
  ) {
    this.documents = prior?.documents ?? 0;
  }

  progress(state: CrawlState, reason: string | null = null): CrawlProgress {
    return {
      input_id: this.input.input_id,
      location: this.input.location,
      state,
      records_read: this.records,
      documents: this.documents,
      bytes_read: this.bytes,
      size: this.input.size,
      worker: this.workerId,
      reason,
      started_at: this.startedAt,
      updated_at: Date.now(),
    };
  }
}
