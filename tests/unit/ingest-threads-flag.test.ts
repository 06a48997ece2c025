// `--threads` (ipt ingest) and `--ingest-threads` (ipt run): how many worker threads run ingest's
// per-document steps, one per core (from three cores up) unless told; the old `--token-threads` still sets it, with a
// warning, and is no longer in the help.

import { availableParallelism } from 'node:os';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ingestCommand } from '../../cli/ingest.ts';
import { addThreadsOptions, threadsOf } from '../../cli/ingest-threads.ts';
import { runCommand } from '../../cli/run.ts';
import { DEFAULT_THREADS } from '../../services/ingest/index.ts';
import { defaultThreads } from '../../services/ingest/pool/pool.ts';

function parsed(args: string[], env: Record<string, string> = {}) {
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  const command = addThreadsOptions(
    new Command().exitOverride().configureOutput({ writeErr: () => {} }),
    '--threads',
  );
  command.parse(args, { from: 'user' });
  return command.opts<{ threads: number; tokenThreads?: number }>();
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('the threads flag', () => {
  it('defaults to one thread per core from three cores up, none on two or fewer', () => {
    expect(DEFAULT_THREADS).toBe(defaultThreads(availableParallelism()));
    expect([1, 2, 3, 16].map(defaultThreads)).toEqual([0, 0, 3, 16]);
    expect(parsed([]).threads).toBe(DEFAULT_THREADS);
  });

  it('takes a count, 0 for the main thread, from the flag or IPT_INGEST_THREADS', () => {
    expect(parsed(['--threads', '3']).threads).toBe(3);
    expect(parsed(['--threads', '0']).threads).toBe(0);
    expect(parsed([], { IPT_INGEST_THREADS: '5' }).threads).toBe(5);
    expect(() => parsed(['--threads', '-1'])).toThrow(/non-negative integer/);
    expect(() => parsed(['--threads', 'many'])).toThrow(/non-negative integer/);
  });

  it('still reads --token-threads, warning that it is deprecated', () => {
    const warned = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const flags = parsed(['--token-threads', '1']);
    expect(threadsOf(flags.threads, flags.tokenThreads, '--threads')).toBe(1);
    expect(String(warned.mock.calls[0]?.[0])).toContain('--token-threads is deprecated; use --threads');
    warned.mockClear();
    const plain = parsed(['--threads', '2']);
    expect(threadsOf(plain.threads, plain.tokenThreads, '--threads')).toBe(2);
    expect(warned).not.toHaveBeenCalled();
  });

  it('is in the help of ipt ingest and ipt run; the deprecated flag is not', () => {
    const ingest = ingestCommand().helpInformation();
    expect(ingest).toMatch(/--threads <n>\s+worker threads running extraction/);
    expect(ingest).toContain('one per core');
    expect(ingest).not.toContain('--token-threads');
    const run = runCommand().helpInformation();
    expect(run).toMatch(/--ingest-threads <n>/);
    expect(run).not.toContain('--token-threads');
  });
});
