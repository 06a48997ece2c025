import { Kafka, type LogEntry, logLevel } from 'kafkajs';
import type { Logger } from '../log.ts';

const LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

const KAFKA_LEVELS: Record<string, logLevel> = {
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

/** A kafkajs client whose own logs go through the service's structured logger. */
export function kafkaClient(clientId: string, brokers: string[], log?: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers,
    // IPT_KAFKA_LOG_LEVEL=debug shows the client's protocol chatter (group joins, fetches).
    logLevel: KAFKA_LEVELS[process.env.IPT_KAFKA_LOG_LEVEL ?? 'warn'] ?? logLevel.WARN,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5_000 },
    ...(log
      ? {
          logCreator:
            () =>
            ({ namespace, level, log: entry }: LogEntry) => {
              const { message, ...rest } = entry;
              log[LEVEL[level] ?? 'info']({ kafka: namespace, ...rest }, message);
            },
        }
      : {}),
  });
}
