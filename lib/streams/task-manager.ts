// The tasks of one group member: which partitions it may hold, building a task for each (fence,
// read the committed offset, restore the changelog, hand the state to a new processor), and
// dropping them when revoked, fenced or thrown away.

import type { Consumer, Kafka } from 'kafkajs';
import { restorePartition } from '../kafka/changelog.ts';
import { FencedError, isFencedError } from '../kafka/partition-transactions.ts';
import type { Logger } from '../log.ts';
import type { TopicRole } from '../topics.ts';
import type { Committer } from './committer.ts';
import { committedOffset } from './offsets.ts';
import { StreamTask, type TaskDeps } from './task.ts';
import type { ProcessorFactory } from './topology.ts';

export interface TaskManagerOptions<I extends TopicRole, O extends TopicRole, S extends TopicRole> {
  kafka: Kafka;
  groupId: string;
  inputTopic: string;
  changelogTopic: string;
  createProcessor: ProcessorFactory<I, O, S>;
  deps: TaskDeps<I, O, S>;
  committer: Committer<StreamTask<I, O, S>>;
  log: Logger;
  /** The runtime is stopping: build no more tasks. */
  stopped(): boolean;
  /** A partition failed to start for another reason than fencing: rebuild everything. */
  onFatal(reason: string): void;
  /** How long a partition may take to start before the member gives up and rebuilds; default 5 min. */
  startTimeoutMs?: number;
}

/**
 * As Kafka Streams' task.timeout.ms: fencing, the offset lookup and the restore each retry on their
 * own, but a kafkajs request to a broker that died mid-call can stay pending for ever, and a member
 * waiting on it would hold its partitions without processing them while looking healthy.
 */
const START_TIMEOUT_MS = 5 * 60_000;

/** An abandoned start's end: the member has rebuilt since and its producers are new, so the committer is left alone. */
function abandon(task: { close(): unknown }): undefined {
  task.close();
  return undefined;
}

type Task<I extends TopicRole, O extends TopicRole, S extends TopicRole> = StreamTask<I, O, S>;

export class TaskManager<I extends TopicRole, O extends TopicRole, S extends TopicRole> {
  private readonly tasks = new Map<number, Task<I, O, S>>();
  private readonly starting = new Map<number, Promise<Task<I, O, S> | undefined>>();
  /** Partitions this member may (re)build a task for: its last assignment, minus fenced ones. */
  private assigned = new Set<number>();

  constructor(private readonly options: TaskManagerOptions<I, O, S>) {}

  /** Partitions with a live task. */
  activePartitions(): number[] {
    return [...this.tasks.keys()].sort((a, b) => a - b);
  }

  all(): Task<I, O, S>[] {
    return [...this.tasks.values()];
  }

  /** Assigned partitions still being fenced and restored. */
  get restoring(): number {
    return this.starting.size;
  }

  /** A new assignment: drop what was revoked, start everything assigned. */
  assign(partitions: Set<number>): void {
    this.assigned = partitions;
    this.options.log.info({ partitions: [...partitions].sort((a, b) => a - b) }, 'assigned');
    for (const task of this.all()) {
      if (!partitions.has(task.partition)) {
        this.options.log.info({ partition: task.partition }, 'partition revoked');
        this.drop(task);
      }
    }
    // Start every assigned partition now, not on its first batch: its restored state may hold
    // work (records waiting for inference) even when no new input ever arrives.
    for (const partition of partitions) void this.taskFor(partition);
  }

  /**
   * The partition's producer was fenced: some member opened it after this task did. Returns true
   * when the latest assignment still gives the partition here. Then the fence may come from a member
   * that held it in a generation this one never saw (it was out of the group for a while) and has
   * lost it since; nobody would process it again, so the member must rejoin to learn who owns it.
   */
  fenced(task: Task<I, O, S>): boolean {
    const stillAssigned = this.assigned.has(task.partition);
    this.assigned.delete(task.partition);
    this.drop(task);
    return stillAssigned;
  }

  /** Drops every task and forgets the assignment (the consumer is being replaced). */
  reset(): void {
    for (const task of this.all()) this.drop(task);
    this.assigned = new Set();
  }

  drop(task: Task<I, O, S>): void {
    if (!task.close()) return;
    if (this.tasks.get(task.partition) === task) this.tasks.delete(task.partition);
    void this.options.committer.close(task.partition);
  }

  taskFor(partition: number): Promise<Task<I, O, S> | undefined> {
    const existing = this.tasks.get(partition);
    if (existing) return Promise.resolve(existing);
    if (!this.assigned.has(partition)) return Promise.resolve(undefined);
    let starting = this.starting.get(partition);
    if (!starting) {
      starting = this.start(partition).finally(() => this.starting.delete(partition));
      this.starting.set(partition, starting);
    }
    return starting;
  }

  /**
   * Fence first (so no earlier owner can still move the offset or append to the changelog), then
   * read the committed offset and restore the changelog, then hand the state to the processor. A
   * start that outlasts the timeout is abandoned (it installs nothing if it ever finishes) and the
   * member rebuilds.
   */
  private async start(partition: number): Promise<Task<I, O, S> | undefined> {
    const attempt = { abandoned: false };
    const limitMs = this.options.startTimeoutMs ?? START_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        attempt.abandoned = true;
        this.options.log.error({ partition, limitMs }, 'partition did not start in time');
        this.options.onFatal(`partition ${partition} did not start within ${limitMs} ms`);
        resolve(undefined);
      }, limitMs);
      timer.unref();
    });
    try {
      return await Promise.race([this.build(partition, attempt), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async build(
    partition: number,
    attempt: { abandoned: boolean },
  ): Promise<Task<I, O, S> | undefined> {
    const { options } = this;
    const task = new StreamTask(partition, options.createProcessor(partition), options.deps);
    try {
      options.log.debug({ partition }, 'fencing earlier owners');
      await options.committer.open(partition);
      if (attempt.abandoned) return abandon(task);
      task.state.to('restoring');
      const position = await committedOffset(options.kafka, options.groupId, options.inputTopic, partition);
      const restored = await restorePartition(options.kafka, options.changelogTopic, partition);
      options.deps.metrics.restoreSeconds.observe(restored.ms / 1000);
      options.deps.metrics.restoredRecords.inc(restored.records);
      options.log.info(
        {
          partition,
          position: String(position),
          stateKeys: restored.state.size,
          restoreMs: Math.round(restored.ms),
        },
        'partition restored',
      );
      await task.init(position, restored.state);
      if (attempt.abandoned) return abandon(task);
      if (options.stopped() || !this.assigned.has(partition)) {
        task.close();
        await options.committer.close(partition);
        return undefined;
      }
      task.state.to('running');
      this.tasks.set(partition, task);
      return task;
    } catch (error) {
      task.close();
      if (attempt.abandoned) return undefined;
      if (error instanceof FencedError || isFencedError(error)) {
        options.log.warn({ partition }, 'partition fenced by another member while starting');
        this.assigned.delete(partition);
        return undefined;
      }
      options.log.error({ partition, err: error }, 'partition failed to start');
      options.onFatal(`partition ${partition} failed to start`);
      return undefined;
    }
  }

  /** Pauses or resumes fetching the task's partition. */
  applyPause(task: Task<I, O, S>, consumer: Consumer | undefined, globallyPaused: boolean): void {
    if (!consumer || task.state.closed) return;
    const shouldPause = globallyPaused || task.saturated();
    if (shouldPause === task.paused) return;
    task.paused = shouldPause;
    const target = [{ topic: this.options.inputTopic, partitions: [task.partition] }];
    if (shouldPause) consumer.pause(target);
    else consumer.resume(target);
  }
}
