import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

const REDACT = {
  paths: [
    'token',
    '*.token',
    'password',
    '*.password',
    'authorization',
    '*.authorization',
    'headers.authorization',
  ],
  censor: '[redacted]',
};

/** Where this process's loggers write: JSON on stderr (services), or a file with errors echoed as one line. */
interface Route {
  level: string;
  stream: DestinationStream;
}

let route: Route | undefined;
let logFile: string | undefined;

/**
 * Structured JSON logs. By default on stderr (stdout stays free for command output), at
 * IPT_LOG_LEVEL or info; after `routeLogsToFile` to that file. Anything that looks like a secret is
 * redacted wherever it appears in a log object. An explicit `level` overrides the route's level.
 */
export function createLogger(name: string, level?: string): Logger {
  const target = route ?? stderrRoute();
  return pino(
    { name, level: level ?? target.level, base: { service: name, pid: process.pid }, redact: REDACT },
    target.stream,
  );
}

function stderrRoute(): Route {
  // Synchronous: a crashed or killed process still leaves its last lines (volume is low: nothing logs per record).
  return { level: process.env.IPT_LOG_LEVEL ?? 'info', stream: pino.destination({ fd: 2, sync: true }) };
}

/**
 * For commands a person watches (demo, run, replay, reassemble): their console is for progress and
 * the summary, so service and library logs go to `file` at warn and above, and each error also
 * reaches the console as one readable line naming the file. `verbose` or IPT_LOG_LEVEL keep the
 * JSON logs on stderr instead (at that level, info for verbose). Returns the file, or undefined.
 */
export function routeLogsToFile(file: string, opts: { verbose?: boolean } = {}): string | undefined {
  if (opts.verbose || process.env.IPT_LOG_LEVEL) {
    route = { level: process.env.IPT_LOG_LEVEL ?? 'info', stream: pino.destination({ fd: 2, sync: true }) };
    logFile = undefined;
    return undefined;
  }
  mkdirSync(dirname(file), { recursive: true });
  const fileStream = pino.destination({ dest: file, sync: true, append: true });
  const consoleLine: DestinationStream = { write: (line: string) => console.error(errorLine(line, file)) };
  route = {
    level: 'warn',
    stream: pino.multistream([
      { level: 'warn', stream: fileStream },
      { level: 'error', stream: consoleLine },
    ]),
  };
  logFile = file;
  return file;
}

/**
 * For the top-level handler of a command that failed: writes the error with its stack to the log
 * file, when logs go to one, and returns the file so the one console line can name it.
 */
export function recordFatal(err: Error): string | undefined {
  if (logFile === undefined) return undefined;
  const entry = { level: 60, time: Date.now(), service: 'ipt', pid: process.pid, msg: err.message };
  try {
    mkdirSync(dirname(logFile), { recursive: true });
    appendFileSync(logFile, `${JSON.stringify({ ...entry, err: { type: err.name, stack: err.stack } })}\n`);
    return logFile;
  } catch {
    // The error itself still reaches the console; a log file that cannot be written is not a second failure.
    return undefined;
  }
}

/** One console line for a JSON log entry: who, what, why, and where the details are. */
export function errorLine(json: string, file: string): string {
  let entry: { service?: string; msg?: string; err?: { message?: string }; error?: unknown };
  try {
    entry = JSON.parse(json);
  } catch {
    return `error: ${json.trim()} (log: ${file})`;
  }
  const cause = entry.err?.message ?? (typeof entry.error === 'string' ? entry.error : undefined);
  const what = [entry.msg, cause].filter((s) => s !== undefined && s !== '').join(': ');
  const oneLine = what.replace(/\s*\n\s*/g, ' ');
  return `error${entry.service ? ` (${entry.service})` : ''}: ${oneLine || 'see the log'} (log: ${file})`;
}
