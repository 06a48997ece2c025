// The exactly-once consume → process → produce loop of one group member, Kafka Streams style:
// per input partition a task keeps its state in memory and in a compacted changelog (same
// partition number as the input), and every transaction carries the task's outputs, its changelog
// writes and the input position, so the three always agree.
//
// A commit tick cuts a transaction per partition with work. A FencedError means another member
// opened the partition's producer: its task is dropped until the group assigns the partition here
// again — or, when the latest assignment still says it is here (the fencing member held it in a
// generation this member missed), the member rejoins, so the partition is not left to nobody.
// Any other failure (a commit, a batch, a partition start) leaves in-memory state ahead of what is
// committed, so the whole member restarts: every task is dropped and rebuilt from the changelog.

import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from '../log.ts';
import type { TopicRole, Topics } from '../topics.ts';
import type { Codecs } from './codecs.ts';
import { Committer } from './committer.ts';
import { connectConsumer, fetchBatches } from './consumer.ts';
import { KeptWriter } from './kept-writes.ts';
import type { StreamMetrics } from './metrics.ts';
import type { StreamTask } from './task.ts';
import { TaskManager } from './task-manager.ts';
import type { ProcessorFactory, Topology } from './topology.ts';

export interface RuntimeOptions<I extends TopicRole, O extends TopicRole, S extends TopicRole> {
  kafka: Kafka;
  topics: Topics;
  topology: Topology<I, O, S>;
  createProcessor: ProcessorFactory<I, O, S>;
  codecs: Codecs;
  metrics: StreamMetrics;
  log: Logger;
  /** How often queued work is committed (default 100 ms). */
  commitIntervalMs?: number;
  /** Queued output records at which a transaction is cut early (default 500). */
  maxQueuedRecords?: number;
  /** Pause every partition while this says so (e.g. the inference cluster is down or full). */
  globalPause?: () => boolean;
  transactionTimeoutMs?: number;
  sessionTimeoutMs?: number;
}

export class StreamRuntime<I extends TopicRole, O extends TopicRole, S extends TopicRole> {
  private consumer: Consumer | undefined;
  private readonly committer: Committer<StreamTask<I, O, S>>;
  private readonly tasks: TaskManager<I, O, S>;
  private readonly kept: KeptWriter;
  private timer: NodeJS.Timeout | undefined;
  private restarting: Promise<void> | undefined;
  private stopped = false;
  private globallyPaused = false;
  private readonly inputTopic: string;

  constructor(private readonly options: RuntimeOptions<I, O, S>) {
    const { kafka, topics, topology, log, metrics } = options;
    this.inputTopic = topics[topology.input];
    this.committer = new Committer({
      kafka,
      groupId: topology.groupId,
      inputTopic: this.inputTopic,
      ...(options.transactionTimeoutMs ? { transactionTimeoutMs: options.transactionTimeoutMs } : {}),
      log,
      metrics,
      onFenced: (task) => {
        if (this.tasks.fenced(task))
          void this.restart(`partition ${task.partition} fenced while still assigned here`);
      },
      onFailed: (task) => void this.restart(`commit of partition ${task.partition} failed`),
    });
    this.kept = new KeptWriter(kafka, topics[topology.state.role], metrics, log);
    this.tasks = new TaskManager({
      kafka,
      groupId: topology.groupId,
      inputTopic: this.inputTopic,
      changelogTopic: topics[topology.state.role],
      createProcessor: options.createProcessor,
      deps: {
        topology,
        topics,
        codecs: options.codecs,
        metrics,
        log,
        commitSoon: (task) => void this.committer.commit(task),
        keep: (write) => this.kept.write(write),
      },
      committer: this.committer,
      log,
      stopped: () => this.stopped,
      onFatal: (reason) => void this.restart(reason),
    });
  }

  /** Partitions with a live task. */
  activePartitions(): number[] {
    return this.tasks.activePartitions();
  }

  /** Nothing queued or being committed on any partition: what was processed is on the topics. */
  settled(): boolean {
    return this.tasks.all().every((task) => !task.hasWork && task.committing === undefined);
  }

  /** true when the consumer runs and every assigned partition is restored; otherwise why not. */
  ready(): true | string {
    if (this.consumer === undefined || this.stopped) return 'consumer not running';
    if (this.tasks.restoring > 0) return `restoring ${this.tasks.restoring} partition(s)`;
    return true;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.startConsumer();
    this.timer = setInterval(() => this.tick(), this.options.commitIntervalMs ?? 100);
  }

  /** Commits what is queued, then leaves the group. In-flight work not yet queued is left to the next owner. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.restarting;
    const consumer = this.consumer;
    this.consumer = undefined;
    // Stop fetching first so no new records arrive, then commit what the tasks already produced.
    await consumer?.stop().catch(() => {});
    for (const task of this.tasks.all()) {
      while (task.state.phase === 'running' && (task.queuedRecords > 0 || task.committing))
        await this.committer.commit(task);
    }
    this.tasks.reset();
    await consumer?.disconnect().catch(() => {});
    await this.committer.closeAll();
    await this.kept.close();
  }

  private async startConsumer(): Promise<void> {
    const { kafka, topology, log } = this.options;
    const handlers = {
      onAssigned: (partitions: Set<number>) => this.tasks.assign(partitions),
      onDead: () => void this.restart('consumer crashed without restart'),
      onBatch: (consumer: Consumer, payload: EachBatchPayload) => this.onBatch(consumer, payload),
    };
    const consumer = await connectConsumer(
      {
        kafka,
        groupId: topology.groupId,
        topic: this.inputTopic,
        sessionTimeoutMs: this.options.sessionTimeoutMs ?? 30_000,
        log,
      },
      handlers,
    );
    this.consumer = consumer;
    await fetchBatches(consumer, handlers);
  }

  private async onBatch(consumer: Consumer, payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
    // A batch returned here unresolved is fetched again; for a consumer that is going away (stopped,
    // replaced by a restart) or about to rejoin (stale), the next owner refetches from committed offsets.
    if (this.stopped || consumer !== this.consumer || !isRunning() || isStale()) return;
    const beat = setInterval(() => void heartbeat().catch(() => {}), 1_000);
    const task = await this.tasks.taskFor(batch.partition).finally(() => clearInterval(beat));
    if (!task || task.state.closed || isStale()) return;
    let next: bigint | undefined;
    try {
      next = await task.process(batch.messages);
    } catch (error) {
      // Processors dead-letter bad records themselves; a throw here means the state is unknown.
      this.options.log.error({ partition: task.partition, err: error }, 'task failed on a batch');
      void this.restart(`task of partition ${task.partition} failed`);
      return;
    }
    resolveOffset(batch.lastOffset());
    if (next === undefined) return;
    if (task.queuedRecords >= (this.options.maxQueuedRecords ?? 500)) void this.committer.commit(task);
    this.tasks.applyPause(task, this.consumer, this.globallyPaused);
  }

  private tick(): void {
    if (this.stopped || this.restarting) return;
    const now = Date.now();
    this.globallyPaused = this.options.globalPause?.() ?? false;
    for (const task of this.tasks.all()) {
      task.punctuate(now);
      if (task.hasWork) void this.committer.commit(task);
      this.tasks.applyPause(task, this.consumer, this.globallyPaused);
    }
  }

  /** Throws away all in-memory state and rejoins: the changelog and committed offsets are the truth. */
  private restart(reason: string): Promise<void> {
    if (this.restarting || this.stopped) return this.restarting ?? Promise.resolve();
    this.options.log.warn({ reason }, 'restarting consumer');
    this.restarting = this.rejoin().finally(() => {
      this.restarting = undefined;
    });
    return this.restarting;
  }

  private async rejoin(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    this.tasks.reset();
    // A wedged kafkajs consumer may never finish disconnecting; its session then expires anyway.
    await Promise.race([
      consumer?.disconnect().catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, 10_000).unref()),
    ]);
    await this.committer.reset();
    this.options.log.info('producers reset; rejoining the group');
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.startConsumer();
        return;
      } catch (error) {
        this.options.log.error({ err: error, attempt }, 'consumer restart failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(500 * attempt, 5_000)));
      }
    }
  }
}
