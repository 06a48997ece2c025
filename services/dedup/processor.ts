// One partition of the dedup stage: a candidate from ingest is checked (a malformed one is
// dead-lettered with the reason), then every message goes through the partition's protocol
// (decide.ts) and its effects are queued together — messages to other partitions, kept documents'
// records to ipt.docs.raw, dropped ones to the DLQ, state writes — so they commit with the input
// offset in one transaction.

import type { DedupMessage, RawDocument } from '../../core/types.ts';
import type { InputRecord, Processor, ProcessorContext } from '../../lib/streams/topology.ts';
import { DedupPartition, type DedupSettings, type Effect } from './decide.ts';
import type { DedupMetrics } from './metrics.ts';

export interface DedupProcessorDeps {
  settings: DedupSettings;
  metrics: DedupMetrics;
  /** false: exact duplicates only; candidates' signatures are ignored. */
  nearDup: boolean;
  /** Decodes a record as ipt.docs.raw carries it (throws when it is not one). */
  decodeRaw(bytes: Buffer): Promise<RawDocument>;
  now?: () => number;
}

type Context = ProcessorContext<'candidates' | 'raw', 'dedupState'>;

const HASH = /^[0-9a-f]{64}$/;
/** RawDocument records of one candidate: a text is cut into at most this many chunks. */
const MAX_RECORDS = 10_000;

export class DedupProcessor implements Processor<'candidates', 'candidates' | 'raw', 'dedupState'> {
  private readonly partition: DedupPartition;
  private context: Context | undefined;

  constructor(
    private readonly deps: DedupProcessorDeps,
    readonly partitionNumber: number,
  ) {
    this.partition = new DedupPartition(deps.settings);
  }

  init(context: Context): void {
    this.context = context;
    this.partition.restore(context.store.restored.entries());
    this.report();
  }

  async process(input: InputRecord<DedupMessage>): Promise<void> {
    const context = this.context;
    if (!context) throw new Error(`dedup partition ${this.partitionNumber} used before init`);
    const message =
      input.value.kind === 'CANDIDATE' && !this.deps.nearDup
        ? { ...input.value, signature: null }
        : input.value;
    if (message.kind === 'CANDIDATE') {
      const problem = await this.problemOf(message);
      if (problem) {
        context.deadLetter(
          {
            errorClass: 'VALIDATION',
            error: new Error(`malformed candidate: ${problem}`),
            sourceOffset: Number(input.offset),
            key: input.key,
            value: input.bytes,
            docId: message.doc_id || null,
            context: { reason: 'malformed_candidate', ...(message.origin ? { origin: message.origin } : {}) },
            now: this.now(),
          },
          input.key,
        );
        this.deps.metrics.verdict('invalid');
        return;
      }
    }
    for (const effect of this.partition.handle(message)) this.apply(context, effect, input);
  }

  /** Why a candidate cannot be decided on, or undefined when it can. */
  private async problemOf(m: DedupMessage): Promise<string | undefined> {
    if (!HASH.test(m.hash)) return 'hash is not a hex SHA-256';
    if (!m.doc_id) return 'no doc_id';
    if (m.records.length === 0) return 'no records';
    if (m.records.length > MAX_RECORDS) return `${m.records.length} records (at most ${MAX_RECORDS})`;
    const { params } = this.deps.settings;
    if (m.signature && m.signature.length !== 4 * params.bands * params.rows)
      return `signature of ${m.signature.length} bytes (want ${4 * params.bands * params.rows})`;
    for (const [i, bytes] of m.records.entries()) {
      try {
        await this.deps.decodeRaw(bytes);
      } catch (error) {
        return `record ${i} is not a RawDocument: ${(error as Error).message}`;
      }
    }
    return undefined;
  }

  private apply(context: Context, effect: Effect, input: InputRecord<DedupMessage>): void {
    switch (effect.kind) {
      case 'send':
        context.forward('candidates', effect.key, effect.message);
        return;
      case 'keep':
        for (const record of effect.records) context.forwardEncoded('raw', effect.docId, record);
        this.deps.metrics.verdict('kept');
        return;
      case 'drop': {
        const similarity = effect.similarity.toFixed(3);
        const what = effect.reason === 'duplicate' ? 'duplicate' : 'near-duplicate';
        context.deadLetter(
          {
            errorClass: 'REJECTED_TEXT',
            error: new Error(
              `${effect.origin ?? effect.docId}: ${what} of ${effect.keptDocId} (estimated similarity ${similarity})`,
            ),
            sourceOffset: Number(input.offset),
            key: effect.docId,
            value: effect.value,
            docId: effect.docId,
            context: {
              reason: effect.reason,
              kept_doc_id: effect.keptDocId,
              similarity,
              threshold: String(this.deps.settings.threshold),
              content_hash: effect.hash,
              ...(effect.origin ? { origin: effect.origin } : {}),
            },
            now: this.now(),
          },
          effect.docId,
        );
        this.deps.metrics.verdict(effect.reason);
        return;
      }
      case 'put':
        context.store.put(effect.key, effect.state);
        return;
      case 'delete':
        context.store.delete(effect.key);
    }
  }

  afterBatch(): void {
    this.report();
  }

  close(): void {
    this.deps.metrics.partition(this.partitionNumber, { documents: 0, pending: 0, bandKeys: 0 });
  }

  private report(): void {
    const p = this.partition;
    this.deps.metrics.partition(this.partitionNumber, {
      documents: p.documents,
      pending: p.pending,
      bandKeys: p.bandKeys,
    });
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}
