import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stderr (stdout stays free for command output and progress). Anything that
 * looks like a secret is redacted wherever it appears in a log object.
 */
export function createLogger(name: string, level = process.env.IPT_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      name,
      level,
      base: { service: name, pid: process.pid },
      redact: {
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
      },
    },
    // Synchronous: a crashed or killed process still leaves its last lines (volume is low: nothing logs per record).
    pino.destination({ fd: 2, sync: true }),
  );
}
