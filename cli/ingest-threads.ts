// How many worker threads run ingest's per-document steps, and the flag it replaced:
// --token-threads (threads that only counted tokens) is still read, with a warning, as the same
// number of threads.

import { type Command, Option } from 'commander';
import { nonNegativeInt } from '../lib/cli-options.ts';
import { DEFAULT_THREADS } from '../services/ingest/index.ts';

/** `flag`: `--threads` (ipt ingest) or `--ingest-threads` (ipt run, where other services run too). */
export function addThreadsOptions(command: Command, flag: '--threads' | '--ingest-threads'): Command {
  return command
    .addOption(
      new Option(
        `${flag} <n>`,
        'worker threads running extraction, language, quality, MinHash and token counting (0: the main thread)',
      )
        .argParser(nonNegativeInt)
        .default(DEFAULT_THREADS, 'one per core; none on 2 cores or fewer')
        .env('IPT_INGEST_THREADS'),
    )
    .addOption(
      new Option('--token-threads <n>', `deprecated: ${flag}`)
        .argParser(nonNegativeInt)
        .env('IPT_INGEST_TOKEN_THREADS')
        .hideHelp(),
    );
}

/** The thread count the flags give; the deprecated flag, when given, wins (it was the only one). */
export function threadsOf(threads: number, tokenThreads: number | undefined, flag: string): number {
  if (tokenThreads === undefined) return threads;
  process.stderr.write(
    `warning: --token-threads is deprecated; use ${flag} (it runs every per-document step)\n`,
  );
  return tokenThreads;
}
