// Cuts the transactions of a consumer-group member: one transactional producer per input
// partition (transactional.id from group + topic + partition, so a new owner fences any zombie),
// and per transaction everything a task queued plus the input position it reached.

import type { Kafka, TopicMessages } from 'kafkajs';
import { FencedError, PartitionTransactions } from '../kafka/partition-transactions.ts';
import type { Logger } from '../log.ts';
import type { StreamMetrics } from './metrics.ts';

/** The part of a task the committer needs. */
export interface Committable {
  readonly partition: number;
  readonly state: { readonly closed: boolean; readonly phase: string };
  committable: bigint;
  committed: bigint;
  committing: Promise<void> | undefined;
  readonly hasWork: boolean;
  takeWrites(): { messages: TopicMessages[]; position: bigint };
}

export interface CommitterOptions<T extends Committable> {
  kafka: Kafka;
  groupId: string;
  inputTopic: string;
  transactionTimeoutMs?: number;
  /** How long a restart waits for the old producers to finish and disconnect (default 15 s). */
  closeGraceMs?: number;
  log: Logger;
  metrics: StreamMetrics;
  /** Another member owns the partition now: drop its task, don't rebuild it here. */
  onFenced(task: T): void;
  /** A commit failed otherwise: in-memory state is ahead of what is committed. */
  onFailed(task: T, error: unknown): void;
}

export class Committer<T extends Committable> {
  private transactions: PartitionTransactions;

  constructor(private readonly options: CommitterOptions<T>) {
    this.transactions = this.fresh();
  }

  private fresh(): PartitionTransactions {
    const { kafka, groupId, inputTopic, transactionTimeoutMs } = this.options;
    return new PartitionTransactions(kafka, {
      groupId,
      topic: inputTopic,
      ...(transactionTimeoutMs ? { transactionTimeoutMs } : {}),
    });
  }

  /** Opens the partition's producer; when it returns, every earlier owner is fenced. */
  open(partition: number): Promise<void> {
    return this.transactions.open(partition);
  }

  close(partition: number): Promise<void> {
    return this.transactions.close(partition);
  }

  /**
   * Starts over with new producers (after a restart), giving the old ones `closeGraceMs` to finish
   * their transactions and disconnect. One stuck on a dead broker is left behind: the new producer of
   * its partition fences it when it opens, so nothing it might still send can commit.
   */
  async reset(): Promise<void> {
    const old = this.transactions;
    this.transactions = this.fresh();
    const grace = new Promise((resolve) => setTimeout(resolve, this.options.closeGraceMs ?? 15_000).unref());
    await Promise.race([old.closeAll(), grace]);
  }

  closeAll(): Promise<void> {
    return this.transactions.closeAll();
  }

  /**
   * One transaction with everything the task queued so far and the position it has reached. Never
   * while a batch is being processed (its effects and position would split) nor after close.
   */
  commit(task: T): Promise<void> {
    if (task.committing) return task.committing;
    if (task.state.phase !== 'running' || !task.hasWork) return Promise.resolve();
    const { messages, position } = task.takeWrites();
    const started = performance.now();
    const offsets = { topic: this.options.inputTopic, partition: task.partition, offset: String(position) };
    const run = this.transactions
      .commit(task.partition, { messages, offsets })
      .then(
        () => {
          task.committed = position;
          this.options.metrics.transactions.inc();
          this.options.metrics.transactionSeconds.observe((performance.now() - started) / 1000);
        },
        (error: unknown) => this.failed(task, error),
      )
      .finally(() => {
        task.committing = undefined;
      });
    task.committing = run;
    return run;
  }

  private failed(task: T, error: unknown): void {
    if (task.state.closed) return;
    if (error instanceof FencedError) {
      this.options.log.warn({ partition: task.partition }, 'fenced: another member owns the partition now');
      this.options.onFenced(task);
      return;
    }
    this.options.log.error(
      { partition: task.partition, err: error },
      'commit failed; rebuilding from the changelog',
    );
    this.options.onFailed(task, error);
  }
}
