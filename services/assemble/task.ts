// One input partition of the assembler as a StatefulRunner task: decode each SynthRound, apply it
// to the partition's chains (collect.ts), and queue what follows — the chain's new state, or its
// AugmentedRecord plus a tombstone, or a dead letter. The runner commits all of it with the input
// offset in one transaction.

import type { KafkaMessage } from 'kafkajs';
import type { TokenCounter } from '../../core/tokens.ts';
import type {
  AssembleState,
  AugmentedRecord,
  DeadLetter,
  DeadLetterErrorClass,
  SynthRound,
} from '../../core/types.ts';
import { type DeadLetterInput, deadLetter } from '../../lib/dlq.ts';
import type { PartitionTask, TaskContext } from '../../lib/kafka/stateful-runner.ts';
import type { TopicSerde } from '../../lib/registry.ts';
import type { Topics } from '../../lib/topics.ts';
import { ChainCollector } from './collect.ts';
import { buildAugmentedRecord, TemplateError } from './record.ts';

export interface AssembleSerdes {
  rounds: TopicSerde<SynthRound>;
  augmented: TopicSerde<AugmentedRecord>;
  state: TopicSerde<AssembleState>;
  dlq: TopicSerde<DeadLetter>;
}

/** Counters the service turns into metrics; `event` names one thing that happened to one record. */
export type AssembleEvent =
  | 'round'
  | 'close'
  | 'duplicate'
  | 'other_run'
  | 'emitted'
  | 'empty'
  | 'dead_lettered';

export interface AssembleTaskOptions {
  topics: Topics;
  serdes: AssembleSerdes;
  tokens: TokenCounter;
  /** Changelog keys are `<scope>/<chain_id>`: several assemblers (live, re-assembly) share one changelog topic. */
  stateScope: string;
  /** Only rounds of this run are assembled; others are skipped. */
  run?: string;
  /** Emit records as this run (re-assembly). */
  asRun?: string;
  templateVersion?: string;
  onEvent?: (event: AssembleEvent, detail?: { errorClass?: DeadLetterErrorClass; texts?: number }) => void;
  /** Open chains per partition, for a gauge. */
  onOpenChains?: (partition: number, open: number) => void;
  now?: () => number;
}

export async function createAssembleTask(
  context: TaskContext,
  options: AssembleTaskOptions,
): Promise<PartitionTask> {
  const { topics, serdes, stateScope } = options;
  const named = (options.tokens as { name?: unknown }).name;
  const tokenizerName = typeof named === 'string' ? named : undefined;
  const { output, partition, log } = context;
  const now = options.now ?? Date.now;
  const prefix = `${stateScope}/`;
  const stateKey = (chainId: string) => `${prefix}${chainId}`;
  const collector = new ChainCollector();
  let closed = false;

  const sendDeadLetter = async (input: Omit<DeadLetterInput, 'stage'>): Promise<void> => {
    const letter = deadLetter({ ...input, stage: 'ASSEMBLE', now: now() });
    output.send(topics.dlq, {
      key: input.chainId ?? input.key ?? null,
      value: await serdes.dlq.serialize(letter),
    });
    options.onEvent?.('dead_lettered', { errorClass: input.errorClass });
    log.warn(
      { errorClass: input.errorClass, chainId: input.chainId, offset: input.sourceOffset, err: input.error },
      'dead-lettered',
    );
  };

  for (const [key, bytes] of context.restored) {
    if (!key.startsWith(prefix)) continue; // another assembler's chain
    try {
      collector.restore(await serdes.state.deserialize(bytes));
    } catch (error) {
      // A state we cannot read would block its chain forever; account for it and drop it.
      await sendDeadLetter({
        errorClass: 'STATE_ERROR',
        error,
        sourceTopic: topics.assembleState,
        sourcePartition: partition,
        key,
        value: bytes,
        chainId: key.slice(prefix.length),
      });
      output.putState(key, null);
    }
  }
  options.onOpenChains?.(partition, collector.open);

  const handle = async (message: KafkaMessage): Promise<void> => {
    const source = {
      sourceTopic: topics.rounds,
      sourcePartition: partition,
      sourceOffset: Number(message.offset),
      key: message.key,
      value: message.value,
    };
    let record: SynthRound;
    try {
      if (!message.value) throw new Error('record has no value');
      record = await serdes.rounds.deserialize(message.value);
    } catch (error) {
      await sendDeadLetter({ ...source, errorClass: 'DESERIALIZATION', error });
      return;
    }
    if (options.run !== undefined && record.run.run_id !== options.run) {
      options.onEvent?.('other_run');
      return;
    }
    // A re-assembly's dead letters belong to the run it emits, like its records: the source run's
    // own accounting must not pick them up.
    const ids = {
      runId: options.asRun ?? record.run.run_id,
      chainId: record.chain_id,
      docId: record.doc_id || null,
    };
    options.onEvent?.(record.kind === 'CLOSE' ? 'close' : 'round');

    const outcome = collector.offer(record, now());
    switch (outcome.kind) {
      case 'duplicate':
        options.onEvent?.('duplicate');
        return;
      case 'invalid':
        await sendDeadLetter({
          ...source,
          ...ids,
          errorClass: 'VALIDATION',
          error: new Error(outcome.reason),
        });
        return;
      case 'empty':
        if (outcome.hadState) output.putState(stateKey(outcome.chainId), null);
        options.onEvent?.('empty');
        return;
      case 'pending':
        output.putState(stateKey(outcome.state.chain_id), await serdes.state.serialize(outcome.state));
        return;
      case 'ready':
        break;
    }

    const state = outcome.state;
    const docIds = state.rounds.map((r) => r.doc_id).join(',');
    let augmented: AugmentedRecord;
    let bytes: Buffer;
    try {
      augmented = buildAugmentedRecord(state, {
        tokens: options.tokens,
        ...(tokenizerName !== undefined ? { tokenizer: tokenizerName } : {}),
        now: now(),
        ...(options.templateVersion !== undefined ? { templateVersion: options.templateVersion } : {}),
        ...(options.asRun !== undefined ? { runId: options.asRun } : {}),
      });
      // The registry serializer checks the record against the registered schema as it encodes.
      bytes = await serdes.augmented.serialize(augmented);
    } catch (error) {
      const errorClass = error instanceof TemplateError ? 'TEMPLATE_ERROR' : 'VALIDATION';
      await sendDeadLetter({
        ...source,
        ...ids,
        errorClass,
        error,
        context: { doc_ids: docIds, rounds: String(state.rounds.length) },
      });
      output.putState(stateKey(state.chain_id), null);
      return;
    }
    output.send(topics.augmented, { key: state.chain_id, value: bytes });
    output.putState(stateKey(state.chain_id), null);
    options.onEvent?.('emitted', { texts: augmented.texts.length });
  };

  return {
    async onRecords(messages) {
      for (const message of messages) {
        if (closed) return;
        await handle(message);
      }
      options.onOpenChains?.(partition, collector.open);
    },
    close() {
      closed = true;
      options.onOpenChains?.(partition, 0);
    },
  };
}
