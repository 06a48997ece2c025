import { Kafka, type LogEntry, logLevel } from 'kafkajs';
import type { Logger } from '../log.ts';

const LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client whose own logs go through the service's structured logger. */
export function kafkaClient(clientId: string, brokers: string[], log?: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
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
