import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logLevel } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { kafkaLogLevel, TRANSIENT_BROKER_MESSAGES } from '../../lib/kafka/client.ts';
import { createLogger, errorLine, recordFatal, routeLogsToFile } from '../../lib/log.ts';

const kafkajsErrors = createRequire(import.meta.url)('kafkajs/src/protocol/error') as {
  errorCodes: Array<{ code: number; message: string }>;
};

describe('kafkajs log levels', () => {
  it('knows the transient broker states by kafkajs own messages (codes 14, 15, 16, 51)', () => {
    const byCode = new Map(kafkajsErrors.errorCodes.map((e) => [e.code, e.message]));
    expect([...TRANSIENT_BROKER_MESSAGES].sort()).toEqual([14, 15, 16, 51].map((c) => byCode.get(c)).sort());
  });

  it('writes transient broker states at debug, whether in the error or the message', () => {
    for (const m of TRANSIENT_BROKER_MESSAGES) {
      expect(kafkaLogLevel(logLevel.ERROR, { message: 'Response GroupCoordinator', error: m })).toBe('debug');
      expect(kafkaLogLevel(logLevel.ERROR, { message: `Failed to send messages: ${m}` })).toBe('debug');
    }
  });

  it('keeps every other entry at its own level', () => {
    expect(kafkaLogLevel(logLevel.ERROR, { message: 'Crash', error: 'The broker is unreachable' })).toBe(
      'error',
    );
    expect(kafkaLogLevel(logLevel.WARN, { message: 'Limiting retries' })).toBe('warn');
    expect(kafkaLogLevel(logLevel.INFO, { message: 'Consumer has joined the group' })).toBe('info');
  });
});

describe('logs of commands a person watches', () => {
  afterEach(() => vi.restoreAllMocks());

  it('go to the file at warn and above, errors also as one console line naming the file', () => {
    const printed: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => printed.push(line));
    const file = join(mkdtempSync(join(tmpdir(), 'ipt-log-')), 'logs', 'demo.log');
    const saved = process.env.IPT_LOG_LEVEL;
    delete process.env.IPT_LOG_LEVEL;
    try {
      expect(routeLogsToFile(file)).toBe(file);
    } finally {
      if (saved !== undefined) process.env.IPT_LOG_LEVEL = saved;
    }
    const log = createLogger('synth');
    log.info('joined the group');
    log.warn('slow commit');
    log.error({ err: new Error('Triton said 500\nbody: boom') }, 'round failed');
    const entries = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(entries.map((e) => e.msg)).toEqual(['slow commit', 'round failed']);
    expect(printed).toEqual([`error (synth): round failed: Triton said 500 body: boom (log: ${file})`]);
  });

  it('record a fatal error with its stack, even when the log folder went away meanwhile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipt-log-'));
    const file = join(dir, 'logs', 'run.log');
    const saved = process.env.IPT_LOG_LEVEL;
    delete process.env.IPT_LOG_LEVEL;
    try {
      routeLogsToFile(file);
    } finally {
      if (saved !== undefined) process.env.IPT_LOG_LEVEL = saved;
    }
    rmSync(dir, { recursive: true, force: true });
    expect(recordFatal(new Error('registry down'))).toBe(file);
    const entry = JSON.parse(readFileSync(file, 'utf8').trim());
    expect(entry).toMatchObject({ level: 60, msg: 'registry down' });
    expect(entry.err.stack).toContain('registry down');
  });

  it('stay JSON on stderr with --verbose', () => {
    expect(routeLogsToFile('/nonexistent/dir/x.log', { verbose: true })).toBeUndefined();
  });

  it('turn a line that is not JSON into a readable one too', () => {
    expect(errorLine('oops\n', '/x.log')).toBe('error: oops (log: /x.log)');
    expect(errorLine('{"msg":"m","error":"e"}', '/x.log')).toBe('error: m: e (log: /x.log)');
  });
});
