// Runs one input through ingest's steps: decode, then each step in order, until one drops it or
// the last passes it on. The runner, not the steps, does the bookkeeping, so each step is only its
// own decision: it counts every step's documents in, out and dropped by reason; routes a drop (a
// rejection to the DLQ, a skip or a duplicate only counted); turns a step that throws into a dead
// letter with reason `step_failed`, so a defect or an outage costs that document, not the run; and,
// for a document that never reaches the raw topic (dropped later, or not acknowledged), undoes what
// the steps that kept it changed (the dedup window's entry: a retry must not be a duplicate).
//
// With worker threads (../pool/), each run of consecutive pure steps is one task on the pool, whose
// verdicts the runner then counts and routes as it would its own; everything after the pool's answer
// happens in the order the inputs were read (./in-order.ts), so threads change nothing in the output.

import type { Logger } from '../../../lib/log.ts';
import type { RejectedInput, SourceEvent } from '../events.ts';
import type { RejectReason } from '../normalize.ts';
import { PoolBrokenError, type StepPool } from '../pool/pool.ts';
import type { SegmentAnswer } from '../pool/segment.ts';
import type { DeadLetterWriter } from './dead-letters.ts';
import { InOrder, type Turn } from './in-order.ts';
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
  /** Worker threads for the pure steps; absent: every step runs on this thread. */
  pool?: StepPool;
}

/** A step run here, or consecutive pure steps run as one task on the pool. */
type Stage = { kind: 'here'; step: Step } | { kind: 'pool'; names: string[] };

/** Told each step's verdict on one input, in order (`ipt ingest --explain`). */
export type Observer = (step: string, verdict: Verdict) => void;

type Drop = Exclude<Verdict, { kind: 'keep' }>;
type Reject = Extract<Verdict, { kind: 'reject' }>;
type Undo = () => void;

export class StepRunner {
  /** Inputs worth running at once: one, or as many as keep the worker threads busy. */
  readonly parallelism: number;
  private readonly stages: readonly Stage[];
  private readonly order: InOrder | null;

  constructor(private readonly parts: RunnerParts) {
    const all = [parts.decode.name, ...parts.steps.map((s) => s.name)];
    this.parallelism = parts.pool?.parallelism ?? 1;
    this.stages = stagesOf(parts.steps, parts.pool !== undefined);
    this.order = parts.pool ? new InOrder() : null;
    parts.tally.register(all);
  }

  async run(event: SourceEvent, observe?: Observer): Promise<Outcome> {
    this.parts.tally.input();
    const turn = this.order?.take();
    try {
      return await this.runStages(event, turn, observe);
    } finally {
      turn?.release();
    }
  }

  private async runStages(event: SourceEvent, turn: Turn | undefined, observe?: Observer): Promise<Outcome> {
    // Steps that answer at once are not awaited, so without worker threads an input runs without a
    // pause up to produce: inputs reach dedup in the order they were read, however many are in flight.
    const admitted = this.attempt(this.parts.decode, event);
    const decoded = admitted instanceof Promise ? await admitted : admitted;
    observe?.(this.parts.decode.name, decoded);
    if (decoded.kind !== 'keep') return this.drop(this.parts.decode.name, decoded, event, []);
    const undo: Undo[] = decoded.undo ? [decoded.undo] : [];
    let doc = decoded.doc;
    for (const stage of this.stages) {
      let verdicts: (readonly [string, Verdict])[];
      if (stage.kind === 'here') {
        const attempted = this.attempt(stage.step, doc);
        verdicts = [[stage.step.name, attempted instanceof Promise ? await attempted : attempted]];
      } else {
        verdicts = await this.pooled(stage.names, doc, turn);
      }
      for (const [name, verdict] of verdicts) {
        observe?.(name, verdict);
        if (verdict.kind !== 'keep') return this.drop(name, verdict, doc, undo);
        if (verdict.undo) undo.push(verdict.undo);
        doc = verdict.doc;
      }
    }
    return this.accept(doc, undo);
  }

  /** Closes every step and the pool, each even if an earlier one fails to. */
  async close(): Promise<void> {
    const closing = [this.parts.decode, ...this.parts.steps].map((s) => s.close?.());
    closing.push(this.parts.pool?.close());
    const failed = (await Promise.allSettled(closing)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * The pool's verdicts on the document, counted as the steps' own once its turn has come (what the
   * threads answer is taken up in reading order). A thread that dies on it costs the document
   * (`step_failed`, naming the steps it was running); a broken pool stops the run.
   */
  private async pooled(names: readonly string[], doc: Doc, turn?: Turn): Promise<[string, Verdict][]> {
    const pool = this.parts.pool as StepPool;
    let answer: SegmentAnswer;
    try {
      answer = await pool.run(names, doc);
    } catch (error) {
      if (error instanceof PoolBrokenError) throw error;
      await turn?.ready();
      const first = names[0] as string;
      this.parts.tally.entered(first);
      const err = error instanceof Error ? error : new Error(String(error));
      return [
        [
          first,
          this.failed(
            first,
            new Error(`its worker thread died (running ${names.join(', ')}): ${err.message}`),
          ),
        ],
      ];
    }
    await turn?.ready();
    const kept: Doc = { ...answer.doc, original: doc.original };
    const verdicts = answer.verdicts.map((v, i): [string, Verdict] => {
      const name = names[i] as string;
      this.parts.tally.entered(name);
      return [name, this.counted(name, v.kind === 'keep' ? { ...v, doc: kept } : v)];
    });
    if (answer.failed) {
      const { step, name, message } = answer.failed;
      this.parts.tally.entered(step);
      verdicts.push([step, this.failed(step, Object.assign(new Error(message), { name }))]);
    }
    return verdicts;
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

/** The steps in order, each run of consecutive pure steps one pool stage when there is a pool. */
function stagesOf(steps: readonly Step[], pooled: boolean): Stage[] {
  const stages: Stage[] = [];
  for (const step of steps) {
    const last = stages.at(-1);
    if (pooled && step.pure && last?.kind === 'pool') last.names.push(step.name);
    else if (pooled && step.pure) stages.push({ kind: 'pool', names: [step.name] });
    else stages.push({ kind: 'here', step });
  }
  return stages;
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
