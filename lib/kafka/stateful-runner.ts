import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Message } from 'kafkajs';
import type { Logger } from '../log.ts';
import { restorePartition } from './changelog.ts';
import { FencedError, isFencedError, PartitionTransactions } from './partition-transactions.ts';

/**
 * The exactly-once consume → process → produce loop shared by synth and assemble (DESIGN.md §4),
 * Kafka Streams style: per input partition a task keeps its state in memory and in a compacted
 * changelog (same partition number as the input), and every transaction carries the task's
 * outputs, its changelog writes and the input position, so the three always agree.
 *
 * Lifecycle of a partition, the first time a batch of it arrives:
 *   1. open its transactional producer — this fences any zombie that still owns the partition;
 *   2. read the group's committed offset — after fencing, so no zombie can move it any more;
 *   3. restore the changelog partition (read_committed, up to its LSO);
 *   4. build the task from the restored state, then feed it records at or after the committed
 *      offset (kafkajs may have fetched from an older offset before the zombie was fenced; those
 *      records are already in the restored state and are skipped).
 * A flush timer commits whatever the task queued. A FencedError means another member owns the
 * partition now: the task is dropped until the group assigns the partition here again. Any other
 * commit failure leaves the in-memory state ahead of what is committed, so the whole consumer
 * restarts: every task is dropped and rebuilt from the changelog.
 */

/** What a task writes; all of it commits in the partition's next transaction. */
export interface TaskOutput {
  /** A record on an output or dead-letter topic. */
  send(topic: string, message: Message): void;
  /** A changelog write for this partition (null deletes the key). */
  putState(key: string, value: Buffer | null): void;
  /** Ask for a transaction soon rather than at the next tick (e.g. many outputs queued). */
  flushSoon(): void;
}

export interface PartitionTask {
  /**
   * New input records, in offset order, never seen by this task before. No transaction is cut while
   * this runs: everything the task queues before it resolves commits together with the input
   * position past these records. Work finished later (asynchronously) must queue each unit's outputs
   * and state writes synchronously together, so a transaction never splits them.
   */
  onRecords(messages: KafkaMessage[]): Promise<void>;
  /** Called on every flush tick, before the transaction is cut (timers such as idle timeouts). */
  onTick?(now: number): void;
  /** Should the runner stop fetching this partition for now (too much buffered)? */
  saturated?(): boolean;
  /** The partition is gone (revoked, fenced, restarting): drop in-flight work, write nothing more. */
  close(): void;
}

export interface TaskContext {
  partition: number;
  output: TaskOutput;
  /** The changelog partition's committed state: key → latest value. */
  restored: Map<string, Buffer>;
  /** The committed input position (next offset to process). */
  position: bigint;
  log: Logger;
}

export interface StatefulRunnerOptions {
  kafka: Kafka;
  groupId: string;
  inputTopic: string;
  changelogTopic: string;
  createTask(context: TaskContext): Promise<PartitionTask>;
  log: Logger;
  /** How often queued work is committed. */
  commitIntervalMs?: number;
  /** Queued output records at which a transaction is cut early. */
  maxQueuedRecords?: number;
  /** Pause every partition while this says so (e.g. the inference cluster is down or full). */
  globalPause?: () => boolean;
  transactionTimeoutMs?: number;
  sessionTimeoutMs?: number;
  /** Called after each commit of a partition (metrics, progress). */
  onCommit?: (partition: number, info: { records: number; ms: number }) => void;
  onRestore?: (partition: number, info: { records: number; ms: number }) => void;
}

interface Worker {
  partition: number;
  task: PartitionTask;
  position: bigint;
  sends: Map<string, Message[]>;
  states: Message[];
  queued: number;
  /** Position that the next transaction commits: past every record whose effects are queued. */
  committable: bigint;
  /** Position of the last committed transaction. */
  committed: bigint;
  flushing: Promise<void> | undefined;
  /** onRecords is running: hold transactions until the batch's effects and position are complete. */
  inBatch: boolean;
  dead: boolean;
  paused: boolean;
}

export class StatefulRunner {
  private consumer: Consumer | undefined;
  private transactions: PartitionTransactions;
  private readonly workers = new Map<number, Worker>();
  private readonly starting = new Map<number, Promise<Worker | undefined>>();
  /** Partitions this member may (re)build a task for: its last assignment, minus fenced ones. */
  private assigned = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private restarting: Promise<void> | undefined;
  private stopped = false;
  private readonly commitIntervalMs: number;
  private readonly maxQueued: number;
  private globallyPaused = false;

  constructor(private readonly options: StatefulRunnerOptions) {
    this.commitIntervalMs = options.commitIntervalMs ?? 100;
    this.maxQueued = options.maxQueuedRecords ?? 500;
    this.transactions = this.newTransactions();
  }

  /** Partitions with a live task. */
  activePartitions(): number[] {
    return [...this.workers.keys()].sort((a, b) => a - b);
  }

  /** Assigned partitions still waiting for fencing + restore. */
  get restoring(): number {
    return this.starting.size;
  }

  get running(): boolean {
    return this.consumer !== undefined && !this.stopped;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.startConsumer();
    this.timer = setInterval(() => this.tick(), this.commitIntervalMs);
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
    for (const worker of this.workers.values()) {
      while (!worker.dead && !worker.inBatch && (worker.queued > 0 || worker.flushing))
        await this.flush(worker);
    }
    for (const worker of this.workers.values()) this.drop(worker);
    await consumer?.disconnect().catch(() => {});
    await this.transactions.closeAll();
  }

  private newTransactions(): PartitionTransactions {
    return new PartitionTransactions(this.options.kafka, {
      groupId: this.options.groupId,
      topic: this.options.inputTopic,
      ...(this.options.transactionTimeoutMs
        ? { transactionTimeoutMs: this.options.transactionTimeoutMs }
        : {}),
    });
  }

  private async startConsumer(): Promise<void> {
    const consumer = this.options.kafka.consumer({
      groupId: this.options.groupId,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.max(500, Math.floor((this.options.sessionTimeoutMs ?? 30_000) / 10)),
      // While a rebalance waits, a crashed member is dropped only after the rebalance timeout (not
      // its session timeout), so this bounds how long a crash stalls the group. Members rejoin
      // quickly here: a batch is only placed into state, never waits for inference.
      rebalanceTimeout: Math.max(10_000, 2 * (this.options.sessionTimeoutMs ?? 30_000)),
      maxWaitTimeInMs: 200,
      retry: { retries: 10 },
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const mine = new Set(payload.memberAssignment[this.options.inputTopic] ?? []);
      this.assigned = mine;
      this.options.log.info({ partitions: [...mine].sort((a, b) => a - b) }, 'assigned');
      for (const worker of [...this.workers.values()]) {
        if (!mine.has(worker.partition)) {
          this.options.log.info({ partition: worker.partition }, 'partition revoked');
          this.drop(worker);
        }
      }
      // Start every assigned partition now, not on its first batch: its restored state may hold
      // work (records waiting for inference) even when no new input ever arrives.
      for (const partition of mine) void this.workerFor(partition);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.options.log.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
      if (!payload.restart) void this.restart('consumer crashed without restart');
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.options.inputTopic, fromBeginning: true });
    this.consumer = consumer;
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 64,
      // Offsets are resolved only for records a task has taken: a batch returned untouched (its
      // partition not started yet, a rebalance pending) is fetched again instead of skipped.
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(consumer, payload),
    });
  }

  private async onBatch(
    consumer: Consumer,
    { batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload,
  ): Promise<void> {
    // A batch returned here unresolved is fetched again; for a consumer that is going away (stopped,
    // replaced by a restart) or about to rejoin (stale), the next owner refetches from committed offsets.
    if (this.stopped || consumer !== this.consumer || !isRunning() || isStale()) return;
    const beat = setInterval(() => void heartbeat().catch(() => {}), 1_000);
    const worker = await this.workerFor(batch.partition).finally(() => clearInterval(beat));
    if (!worker || worker.dead || isStale()) return;
    const fresh = batch.messages.filter((m) => BigInt(m.offset) >= worker.position);
    if (fresh.length === 0) {
      resolveOffset(batch.lastOffset());
      return;
    }
    const next = BigInt((fresh[fresh.length - 1] as KafkaMessage).offset) + 1n;
    worker.position = next;
    worker.inBatch = true;
    try {
      await worker.task.onRecords(fresh);
      worker.committable = next;
      resolveOffset(batch.lastOffset());
    } catch (error) {
      // A task must dead-letter bad records itself; a throw here means its state is unknown.
      this.options.log.error({ partition: worker.partition, err: error }, 'task failed on a batch');
      void this.restart(`task of partition ${worker.partition} failed`);
      return;
    } finally {
      worker.inBatch = false;
    }
    if (worker.queued >= this.maxQueued) void this.flush(worker);
    this.applyPause(worker);
  }

  private workerFor(partition: number): Promise<Worker | undefined> {
    const existing = this.workers.get(partition);
    if (existing) return Promise.resolve(existing);
    if (!this.assigned.has(partition)) return Promise.resolve(undefined);
    let starting = this.starting.get(partition);
    if (!starting) {
      starting = this.startWorker(partition).finally(() => this.starting.delete(partition));
      this.starting.set(partition, starting);
    }
    return starting;
  }

  private async startWorker(partition: number): Promise<Worker | undefined> {
    const { log, kafka, groupId, inputTopic, changelogTopic } = this.options;
    try {
      log.debug({ partition }, 'fencing earlier owners');
      await this.transactions.open(partition);
      const position = await committedOffset(kafka, groupId, inputTopic, partition);
      log.debug({ partition, position: String(position) }, 'restoring');
      const restored = await restorePartition(kafka, changelogTopic, partition);
      this.options.onRestore?.(partition, { records: restored.records, ms: restored.ms });
      log.info(
        {
          partition,
          position: String(position),
          stateKeys: restored.state.size,
          restoreMs: Math.round(restored.ms),
        },
        'partition restored',
      );
      const worker: Worker = {
        partition,
        position,
        committable: position,
        committed: position,
        inBatch: false,
        sends: new Map(),
        states: [],
        queued: 0,
        flushing: undefined,
        dead: false,
        paused: false,
        task: undefined as unknown as PartitionTask,
      };
      worker.task = await this.options.createTask({
        partition,
        position,
        restored: restored.state,
        log: log.child({ partition }),
        output: {
          send: (topic, message) => {
            if (worker.dead) return;
            const list = worker.sends.get(topic);
            if (list) list.push(message);
            else worker.sends.set(topic, [message]);
            worker.queued++;
          },
          putState: (key, value) => {
            if (worker.dead) return;
            worker.states.push({ key, value, partition });
            worker.queued++;
          },
          flushSoon: () => {
            if (!worker.dead && worker.queued > 0) void this.flush(worker);
          },
        },
      });
      if (this.stopped || !this.assigned.has(partition)) {
        worker.task.close();
        await this.transactions.close(partition);
        return undefined;
      }
      this.workers.set(partition, worker);
      return worker;
    } catch (error) {
      if (error instanceof FencedError || isFencedError(error)) {
        log.warn({ partition }, 'partition fenced by another member while starting');
        this.assigned.delete(partition);
        return undefined;
      }
      log.error({ partition, err: error }, 'partition failed to start');
      void this.restart(`partition ${partition} failed to start`);
      return undefined;
    }
  }

  private tick(): void {
    if (this.stopped || this.restarting) return;
    const now = Date.now();
    this.globallyPaused = this.options.globalPause?.() ?? false;
    for (const worker of this.workers.values()) {
      worker.task.onTick?.(now);
      if (worker.queued > 0 || worker.committable > worker.committed) void this.flush(worker);
      this.applyPause(worker);
    }
  }

  private applyPause(worker: Worker): void {
    const consumer = this.consumer;
    if (!consumer || worker.dead) return;
    const shouldPause = this.globallyPaused || (worker.task.saturated?.() ?? false);
    if (shouldPause === worker.paused) return;
    worker.paused = shouldPause;
    const target = [{ topic: this.options.inputTopic, partitions: [worker.partition] }];
    if (shouldPause) consumer.pause(target);
    else consumer.resume(target);
  }

  /** One transaction with everything the task queued so far and the position it has reached. */
  private flush(worker: Worker): Promise<void> {
    if (worker.flushing) return worker.flushing;
    if (worker.dead || worker.inBatch) return Promise.resolve();
    if (worker.queued === 0 && worker.committable === worker.committed) return Promise.resolve();
    const messages = [...worker.sends].map(([topic, list]) => ({ topic, messages: list }));
    if (worker.states.length > 0)
      messages.push({ topic: this.options.changelogTopic, messages: worker.states });
    const records = worker.queued;
    const committable = worker.committable;
    const offset = String(committable);
    worker.sends = new Map();
    worker.states = [];
    worker.queued = 0;
    const started = performance.now();
    const run = this.transactions
      .commit(worker.partition, {
        messages,
        offsets: { topic: this.options.inputTopic, partition: worker.partition, offset },
      })
      .then(
        () => {
          worker.committed = committable;
          this.options.onCommit?.(worker.partition, { records, ms: performance.now() - started });
        },
        (error) => {
          if (worker.dead) return;
          if (error instanceof FencedError) {
            this.options.log.warn(
              { partition: worker.partition },
              'fenced: another member owns the partition now',
            );
            this.assigned.delete(worker.partition);
            this.drop(worker);
            return;
          }
          this.options.log.error(
            { partition: worker.partition, err: error },
            'commit failed; rebuilding from the changelog',
          );
          void this.restart(`commit of partition ${worker.partition} failed`);
        },
      )
      .finally(() => {
        worker.flushing = undefined;
      });
    worker.flushing = run;
    return run;
  }

  private drop(worker: Worker): void {
    if (worker.dead) return;
    worker.dead = true;
    worker.task.close();
    if (this.workers.get(worker.partition) === worker) this.workers.delete(worker.partition);
    void this.transactions.close(worker.partition);
  }

  /** Throws away all in-memory state and rejoins: the changelog and committed offsets are the truth. */
  private restart(reason: string): Promise<void> {
    if (this.restarting || this.stopped) return this.restarting ?? Promise.resolve();
    this.options.log.warn({ reason }, 'restarting consumer');
    this.restarting = (async () => {
      const consumer = this.consumer;
      this.consumer = undefined;
      for (const worker of [...this.workers.values()]) this.drop(worker);
      // A wedged kafkajs consumer may never finish disconnecting; its session then expires anyway.
      await Promise.race([
        consumer?.disconnect().catch(() => {}),
        new Promise((resolve) => setTimeout(resolve, 10_000).unref()),
      ]);
      await this.transactions.closeAll();
      this.transactions = this.newTransactions();
      this.assigned = new Set();
      for (let attempt = 1; !this.stopped; attempt++) {
        try {
          await this.startConsumer();
          return;
        } catch (error) {
          this.options.log.error({ err: error, attempt }, 'consumer restart failed; retrying');
          await new Promise((resolve) => setTimeout(resolve, Math.min(500 * attempt, 5_000)));
        }
      }
    })().finally(() => {
      this.restarting = undefined;
    });
    return this.restarting;
  }
}

/** The group's committed offset for one partition; the log start when nothing is committed yet. */
async function committedOffset(
  kafka: Kafka,
  groupId: string,
  topic: string,
  partition: number,
): Promise<bigint> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const entry = committed?.partitions.find((p) => p.partition === partition);
    if (entry && BigInt(entry.offset) >= 0n) return BigInt(entry.offset);
    const offsets = await admin.fetchTopicOffsets(topic);
    return BigInt(offsets.find((o) => o.partition === partition)?.low ?? '0');
  } finally {
    await admin.disconnect();
  }
}
