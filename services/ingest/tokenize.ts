// Counting tokens (and chunking the rare over-budget text) can run on worker threads: the main
// thread keeps reading, hashing and producing while `threads` workers tokenize. `threads: 0` counts
// inline, the default since counting became cheaper than the hand-off (bench/RESULTS.md, ingest).

import { Worker } from 'node:worker_threads';
import { chunkText } from '../../core/chunk.ts';
import type { TokenCounter } from '../../core/tokens.ts';

export interface Piece {
  text: string;
  tokens: number;
}

/** A text's token count and the pieces it must be sent as (one piece when it fits). */
export interface Split {
  tokens: number;
  pieces: Piece[];
}

/** The whole computation, shared by the inline path and the workers. */
export function splitForBudget(text: string, maxTokens: number, counter: TokenCounter): Split {
  const tokens = counter.count(text);
  if (tokens <= maxTokens) return { tokens, pieces: [{ text, tokens }] };
  return {
    tokens,
    pieces: chunkText(text, maxTokens, counter).map((t) => ({ text: t, tokens: counter.count(t) })),
  };
}

export interface Tokenizing {
  split(text: string): Promise<Split>;
  /** How many texts may usefully be in flight at once. */
  readonly parallelism: number;
  close(): Promise<void>;
}

export function inlineTokenizing(maxTokens: number, counter: TokenCounter): Tokenizing {
  return {
    parallelism: 1,
    split: async (text) => splitForBudget(text, maxTokens, counter),
    close: async () => {},
  };
}

interface Pending {
  resolve: (split: Split) => void;
  reject: (error: Error) => void;
}

/**
 * `threads` workers, each with its own tokenizer; a text goes to the worker with the fewest texts
 * outstanding. Workers do not keep the process alive on their own.
 */
export function workerTokenizing(threads: number, maxTokens: number): Tokenizing {
  const workers = Array.from({ length: threads }, () => {
    // A plain-JS bootstrap registers tsx in the worker (the project has no build step).
    const worker = new Worker(new URL('./token-worker.mjs', import.meta.url), { workerData: { maxTokens } });
    // Referenced only while it owes answers: an idle pool must not keep the process alive.
    worker.unref();
    const pending = new Map<number, Pending>();
    worker.on('message', (m: { id: number; split?: Split; error?: string }) => {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (pending.size === 0) worker.unref();
      if (!p) return;
      if (m.split) p.resolve(m.split);
      else p.reject(new Error(`token worker: ${m.error}`));
    });
    worker.on('error', (error) => {
      for (const p of pending.values()) p.reject(error);
      pending.clear();
      worker.unref();
    });
    return { worker, pending };
  });
  let nextId = 0;
  return {
    parallelism: threads * 4,
    split(text) {
      const target = workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
      const id = nextId++;
      return new Promise<Split>((resolve, reject) => {
        if (target.pending.size === 0) target.worker.ref();
        target.pending.set(id, { resolve, reject });
        target.worker.postMessage({ id, text });
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.worker.terminate()));
    },
  };
}
