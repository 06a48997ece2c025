import { Kafka, type LogEntry, logLevel } from 'kafkajs';
import { createLogger, type Logger } from '../log.ts';

type Level = 'error' | 'warn' | 'info' | 'debug';

const LEVEL: Record<number, Level> = {
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

/**
 * Broker answers that kafkajs and our loops retry until they pass — a coordinator still loading or
 * moving after a start or failover, a transaction marker still being written. They are how Kafka
 * works, not failures, so they are logged at debug. (The texts are kafkajs's messages for the
 * error codes 14, 15, 16 and 51; a test checks them against its table.)
 */
export const TRANSIENT_BROKER_MESSAGES = [
  "The coordinator is loading and hence can't process requests for this group",
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
  'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing',
] as const;

/** The level a kafkajs log entry is written at: its own, except transient broker states (debug). */
export function kafkaLogLevel(level: logLevel, entry: { message?: string; error?: unknown }): Level {
  const text = `${entry.message ?? ''} ${typeof entry.error === 'string' ? entry.error : ''}`;
  if (level <= logLevel.WARN && TRANSIENT_BROKER_MESSAGES.some((m) => text.includes(m))) return 'debug';
  return LEVEL[level] ?? 'info';
}

/**
 * A kafkajs client whose own logs go through the service's structured logger (without one, a
 * logger of its own: kafkajs's default one writes to the console whatever the process routes).
 */
export function kafkaClient(clientId: string, brokers: string[], log: Logger = createLogger('kafka')): Kafka {
  return new Kafka({
    clientId,
    brokers,
    // IPT_KAFKA_LOG_LEVEL=debug shows the client's protocol chatter (group joins, fetches).
    logLevel: KAFKA_LEVELS[process.env.IPT_KAFKA_LOG_LEVEL ?? 'warn'] ?? logLevel.WARN,
    // About 40 s of retries: longer than a cluster takes to move leadership off a node that died
    // without a word (broker.session.timeout.ms, 9 s by default, then an election), so a failover
    // is ridden out instead of failing the request.
    retry: { retries: 12, initialRetryTime: 200, maxRetryTime: 5_000 },
    logCreator:
      () =>
      ({ namespace, level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        log[kafkaLogLevel(level, entry)]({ kafka: namespace, ...rest }, message);
      },
  });
}
