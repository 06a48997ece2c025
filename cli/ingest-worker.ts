import { type Command, Option } from 'commander';
import { positiveInt } from '../lib/cli-options.ts';
import type { Logger } from '../lib/log.ts';
import {
  type CrawlWorkerOptions,
  DEFAULT_COMMIT_INTERVAL_MS,
  DEFAULT_COMMIT_RECORDS,
  DEFAULT_CRAWL_GROUP,
  startCrawlWorker,
} from '../services/crawl/worker.ts';
import { onStopSignal, startOpsIfAsked } from './common.ts';

/** What addWorkerOptions declares. */
export interface WorkerFlags {
  worker?: boolean;
  workerGroup: string;
  workerId?: string;
  commitRecords: number;
  commitIntervalMs: number;
  opsPort?: number;
  opsHost: string;
}

/** `ipt ingest --worker`: read the inputs `ipt crawl add`/`follow` publish, with any number of peers. */
export function addWorkerOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--worker',
        'read crawl inputs from the inputs topic (`ipt crawl add`) as one of a group of workers, until SIGINT/SIGTERM; documents go to the dedup stage',
      ).env('IPT_INGEST_WORKER'),
    )
    .addOption(
      new Option('--worker-group <id>', '--worker: consumer group the workers share')
        .default(DEFAULT_CRAWL_GROUP)
        .env('IPT_INGEST_WORKER_GROUP'),
    )
    .addOption(
      new Option('--worker-id <id>', '--worker: name in the progress records (default host:pid)').env(
        'IPT_INGEST_WORKER_ID',
      ),
    )
    .addOption(
      new Option('--commit-records <n>', '--worker: records per transaction at most (what a kill re-does)')
        .argParser(positiveInt)
        .default(DEFAULT_COMMIT_RECORDS)
        .env('IPT_INGEST_COMMIT_RECORDS'),
    )
    .addOption(
      new Option('--commit-interval-ms <n>', '--worker: longest time between two transactions')
        .argParser(positiveInt)
        .default(DEFAULT_COMMIT_INTERVAL_MS)
        .env('IPT_INGEST_COMMIT_INTERVAL_MS'),
    );
}

/** Runs the worker until a stop signal; the input being read is committed where it is. */
export async function runWorker(
  flags: WorkerFlags,
  ingest: CrawlWorkerOptions['ingest'],
  log: Logger,
): Promise<void> {
  const worker = await startCrawlWorker({
    ingest,
    groupId: flags.workerGroup,
    ...(flags.workerId ? { workerId: flags.workerId } : {}),
    commitRecords: flags.commitRecords,
    commitIntervalMs: flags.commitIntervalMs,
    log,
  });
  const ops = await startOpsIfAsked(flags, {
    registry: worker.ingestor.metrics.registry,
    ready: worker.ready,
  });
  log.info({ worker: worker.workerId, ops: ops?.url }, 'crawl worker started');
  const stopped = new Promise<string>((resolve) => onStopSignal((signal) => resolve(signal)));
  const crash = worker.crashed.then((error) => {
    throw error;
  });
  try {
    await Promise.race([stopped, crash]);
  } finally {
    await worker.stop();
    await ops?.close();
    log.info({ stats: worker.ingestor.stats }, 'crawl worker stopped');
  }
}
