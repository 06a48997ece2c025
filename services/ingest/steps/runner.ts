// Runs one input through ingest's steps: decode, then each step in order, until one drops it or
// the last passes it on. The runner, not the steps, does the bookkeeping, so each step is only its
// own decision: it counts every step's documents in, out and dropped by reason; routes a drop (a
// rejection to the DLQ, a skip or a duplicate only counted); turns a step that throws into a dead
// letter with reason `step_failed`, so a defect or an outage costs that document, not the run; and,
// for a document that never reaches the raw topic (dropped later, or not acknowledged), undoes what
// the steps that kept it changed (the dedup window's entry: a retry must not be a duplicate).

import type { Logger } from '../../../lib/log.ts';
import type { RejectedInput, SourceEvent } from '../events.ts';
import type { RejectReason } from '../normalize.ts';
import type { DeadLetterWriter } from './dead-letters.ts';
import { type Doc, docIdOf, type Step, type Verdict } from './step.ts';
import type { Tally } from './tally.ts';

export type Outcome =
  | { status: 'accepted'; docId: string; chunks: number; tokens: number; delivered: Promise<void> }
  | { status: 'duplicate'; docId: string }
  | { status: 'rejected'; reason: RejectReason; message: string; delivered: Promise<void> }
  | { status: 'skipped'; why: string };

export interface Steps {
  /** Turns a reader's event into a document (or its rejection or skip). */
  decode: Step<SourceEvent>;
  steps: readonly Step[];
}

export interface RunnerParts extends Steps {
  deadLetters: DeadLetterWriter;
  tally: Tally;
  log: Logger;
}

/** Told each step's verdict on one input, in order (`ipt ingest --explain`). */
export type Observer = (step: string, verdict: Verdict) => void;

type Drop = Exclude<Verdict, { kind: 'keep' }>;
type Reject = Extract<Verdict, { kind: 'reject' }>;
type Undo = () => void;

export class StepRunner {
  /** Inputs worth running at once: as many as the most parallel step can use. */
  readonly parallelism: number;

  constructor(private readonly parts: RunnerParts) {
    const all = [parts.decode.name, ...parts.steps.map((s) => s.name)];
    this.parallelism = Math.max(
      1,
      parts.decode.parallelism ?? 1,
      ...parts.steps.map((s) => s.parallelism ?? 1),
    );
    parts.tally.register(all);
  }

  async run(event: SourceEvent, observe?: Observer): Promise<Outcome> {
    const { decode, steps, tally } = this.parts;
    tally.input();
    // Steps that answer at once are not awaited, so an input runs without a pause up to the first
    // step that waits (chunk): inputs reach dedup in the order they were read, as one piece of
    // work each, however many are in flight.
    const admitted = this.attempt(decode, event);
    const decoded = admitted instanceof Promise ? await admitted : admitted;
    observe?.(decode.name, decoded);
    if (decoded.kind !== 'keep') return this.drop(decode.name, decoded, event, []);
    const undo: Undo[] = decoded.undo ? [decoded.undo] : [];
    let doc = decoded.doc;
    for (const step of steps) {
      const attempted = this.attempt(step, doc);
      const verdict = attempted instanceof Promise ? await attempted : attempted;
      observe?.(step.name, verdict);
      if (verdict.kind !== 'keep') return this.drop(step.name, verdict, doc, undo);
      if (verdict.undo) undo.push(verdict.undo);
      doc = verdict.doc;
    }
    return this.accept(doc, undo);
  }

  /** Closes every step, each even if an earlier one fails to. */
  async close(): Promise<void> {
    const closing = [this.parts.decode, ...this.parts.steps].map((s) => s.close?.());
    const failed = (await Promise.allSettled(closing)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** The step's verdict, counted; an exception becomes a `step_failed` rejection. */
  private attempt<In>(step: Step<In>, input: In): Verdict | Promise<Verdict> {
    this.parts.tally.entered(step.name);
    let answer: Verdict | Promise<Verdict>;
    try {
      answer = step.process(input);
    } catch (error) {
      return this.failed(step.name, error);
    }
    if (answer instanceof Promise) {
      return answer.then(
        (verdict) => this.counted(step.name, verdict),
        (error: unknown) => this.failed(step.name, error),
      );
    }
    return this.counted(step.name, answer);
  }

  private counted(step: string, verdict: Verdict): Verdict {
    if (verdict.kind === 'keep') this.parts.tally.passed(step, verdict.how, verdict.amounts);
    return verdict;
  }

  private failed(step: string, error: unknown): Verdict {
    const err = error instanceof Error ? error : new Error(String(error));
    this.parts.log.warn({ step, err: err.message }, 'ingest step failed');
    return {
      kind: 'reject',
      reason: 'step_failed',
      message: `${step} step failed: ${err.message}`,
      detail: { step, error: err.name },
    };
  }

  private async drop(
    step: string,
    verdict: Drop,
    subject: SourceEvent | Doc,
    undo: Undo[],
  ): Promise<Outcome> {
    const { tally } = this.parts;
    undoAll(undo);
    switch (verdict.kind) {
      case 'skip':
        tally.dropped(step, verdict.why);
        tally.skipped(verdict.why);
        return { status: 'skipped', why: verdict.why };
      case 'duplicate':
        tally.dropped(step, 'duplicate');
        tally.duplicate();
        return { status: 'duplicate', docId: verdict.docId };
      case 'reject': {
        tally.dropped(step, verdict.reason);
        tally.rejected(verdict.reason);
        const { delivered } = await this.parts.deadLetters(rejectedInput(subject, verdict, step));
        return { status: 'rejected', reason: verdict.reason, message: verdict.message, delivered };
      }
    }
  }

  private accept(doc: Doc, undo: Undo[]): Outcome {
    // A pipeline without a produce step (a dry run) accepts without writing anything.
    const sent = doc.sent ?? {
      docId: docIdOf(doc),
      records: 0,
      tokens: doc.split?.tokens ?? 0,
      delivered: Promise.resolve(),
    };
    this.parts.tally.accepted(sent.records);
    const delivered = sent.delivered.then(
      () => {},
      (error: unknown) => {
        undoAll(undo);
        throw error;
      },
    );
    // Awaited only by callers that need durability (HTTP); a failed sink also fails the next push.
    delivered.catch(() => {});
    return { status: 'accepted', docId: sent.docId, chunks: sent.records, tokens: sent.tokens, delivered };
  }
}

function undoAll(undo: readonly Undo[]): void {
  for (let i = undo.length - 1; i >= 0; i--) undo[i]?.();
}

/**
 * The dead letter's input: a reader's rejection as it came, a document with its original bytes;
 * either way naming the step that dropped it.
 */
function rejectedInput(subject: SourceEvent | Doc, verdict: Reject, step: string): RejectedInput {
  const why = { reason: verdict.reason, message: verdict.message, detail: { ...verdict.detail, step } };
  switch (subject.kind) {
    case 'reject':
      return { ...subject, ...why };
    case 'doc': {
      const { source, origin, id } = subject;
      return { kind: 'reject', ...why, source, origin, original: subject.original(), id };
    }
    case 'skip':
      return { kind: 'reject', ...why, source: subject.source, origin: 'input', original: null };
  }
}
