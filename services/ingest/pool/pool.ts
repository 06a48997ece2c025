// Ingest's worker threads (piscina): each builds the pure steps (../steps/step.ts `pure`) once and
// runs them on the documents it is handed, so extraction, language, quality, MinHash and token
// counting use every core while the main thread reads, deduplicates and produces. A task whose
// thread dies (out of memory, a crash in native code) is rejected and the thread replaced: that
// document is dead-lettered by the runner. A thread that cannot even start breaks the pool: every
// later task fails with that error, and ingest stops with it instead of dead-lettering the crawl.

import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { plainDoc } from '../events.ts';
import type { PipelineOptions } from '../steps/pipeline.ts';
import type { Doc } from '../steps/step.ts';
import { copyable, type SegmentAnswer, type SegmentTask } from './segment.ts';
import { workerSpec } from './spec.ts';

/**
 * One thread per core, from three cores up: the main thread's share (reading, producing) is small
 * next to the steps'. On two cores or fewer, handing documents to threads costs more CPU than it
 * frees while Kafka and the other services share those cores (bench/ingest-threads.ts, figures in
 * bench/RESULTS.md), so the steps stay on the main thread there.
 */
export const defaultThreads = (cores: number): number => (cores > 2 ? cores : 0);
export const DEFAULT_THREADS = defaultThreads(availableParallelism());
/** Documents handed to the pool per thread at once: enough that a thread never waits for the next. */
const TASKS_PER_THREAD = 4;

export interface StepPool {
  readonly threads: number;
  /** Documents worth having in flight at once (bounded: reading waits beyond it). */
  readonly parallelism: number;
  /** The error that broke the pool (a thread that could not start), if one did. */
  readonly failed: Error | null;
  run(steps: readonly string[], doc: Doc): Promise<SegmentAnswer>;
  close(): Promise<void>;
}

export class PoolBrokenError extends Error {
  override name = 'PoolBrokenError';
}

/**
 * Starts `threads` worker threads and waits until one has built its steps (or failed to).
 * `maxHeapMb`: each thread's heap limit; a document that needs more costs that thread (replaced)
 * and the document, not the process.
 */
export async function startStepPool(
  options: PipelineOptions,
  threads: number,
  maxHeapMb?: number,
): Promise<StepPool> {
  const piscina = new Piscina<SegmentTask, SegmentAnswer>({
    ...(maxHeapMb ? { resourceLimits: { maxOldGenerationSizeMb: maxHeapMb } } : {}),
    // A plain-JS entry registers tsx in the thread (the project has no build step).
    filename: new URL('./worker.mjs', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    workerData: workerSpec(options),
  });
  let failed: Error | null = null;
  // Emitted when a thread fails while starting (a task's own failure rejects only that task).
  piscina.on('error', (error: unknown) => {
    failed ??= new PoolBrokenError(`ingest worker thread failed to start: ${(error as Error).message}`);
    void piscina.destroy();
  });
  const pool: StepPool = {
    threads,
    parallelism: threads * TASKS_PER_THREAD,
    get failed() {
      return failed;
    },
    async run(steps, doc) {
      if (failed) throw failed;
      try {
        return await piscina.run({ steps, doc: copyable(doc) });
      } catch (error) {
        throw failed ?? error;
      }
    },
    close: () => piscina.destroy(),
  };
  await ready(pool);
  return pool;
}

/** An empty task: answered once a thread has loaded its steps; its error if none can. */
async function ready(pool: StepPool): Promise<void> {
  try {
    await pool.run([], plainDoc('', { source: 'pool', origin: 'start' }));
  } catch (error) {
    await pool.close();
    throw new PoolBrokenError(`ingest worker threads did not start: ${(error as Error).message}`);
  }
}
