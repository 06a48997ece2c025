// The tap's options and their defaults, declared once: `ipt tap` and `ipt run` take their flag
// defaults from TAP_DEFAULTS, so the CLI and the service cannot disagree.

import type { Registry } from 'prom-client';
import { HTTP_LIMIT_DEFAULTS, type HttpLimits, httpLimits } from '../../lib/http/limits.ts';
import { DEFAULT_MAX_JSON_DEPTH } from '../../lib/json-depth.ts';
import type { Logger } from '../../lib/log.ts';
import type { Topics } from '../../lib/topics.ts';
import { DEFAULT_QUEUE_LIMITS, type QueueLimits } from './client-queue.ts';

export const TAP_DEFAULTS = Object.freeze({
  /** Loopback: the stream carries the corpus, so exposing it is an explicit choice. */
  host: '127.0.0.1',
  port: 8090,
  maxClients: 256,
  /** Subscriptions are small; anything near this is not one. */
  maxMessageBytes: 64 * 1024,
  /** A subscription nests three levels; a message deeper than this is closed with 1008. */
  maxJsonDepth: DEFAULT_MAX_JSON_DEPTH,
  heartbeatMs: 15_000,
  statsIntervalMs: 1_000,
  /** Each positional subscription holds a Kafka reader of its own, so they are few. */
  maxPositional: 4,
  urlMemory: 100_000,
  queue: DEFAULT_QUEUE_LIMITS,
  /** The page, probes and WebSocket upgrades: timeouts and connection cap (lib/http/limits.ts). */
  http: HTTP_LIMIT_DEFAULTS,
});

export interface TapOptions {
  brokers: string[];
  registryUrl: string;
  topics?: Topics;
  /** Required: clients present it as `Authorization: Bearer <token>` or `?token=<token>`. */
  token: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /**
   * Browser origins allowed to connect; `*` allows any. Default: the tap's own origin (its host, or
   * localhost / 127.0.0.1 / [::1] when bound to loopback). Clients that send no Origin (not
   * browsers) need only the token.
   */
  allowedOrigins?: string[];
  maxClients?: number;
  /** Largest message a client may send; larger closes with 1009. */
  maxMessageBytes?: number;
  /** Deepest JSON nesting of a client message; deeper closes with 1008. */
  maxJsonDepth?: number;
  http?: Partial<HttpLimits>;
  queue?: Partial<QueueLimits>;
  /** Ping period; a client that has not answered the previous ping is cut off. */
  heartbeatMs?: number;
  /** Counter messages to each client, this often. */
  statsIntervalMs?: number;
  /** Positional subscriptions (each has its own Kafka reader) open at once. */
  maxPositional?: number;
  /** Document URLs remembered so URL and domain filters reach rounds and augmented records. */
  urlMemory?: number;
  stallMs?: number;
  metricsRegistry?: Registry;
  log?: Logger;
}

/** Every limit of a running tap, the options' values or the defaults. */
export interface TapSettings {
  host: string;
  port: number;
  maxClients: number;
  maxMessageBytes: number;
  maxJsonDepth: number;
  http: HttpLimits;
  queue: QueueLimits;
  heartbeatMs: number;
  statsIntervalMs: number;
  maxPositional: number;
  urlMemory: number;
  /** Passed to the Kafka readers only when set (they have their own default). */
  stallMs: number | undefined;
}

export function tapSettings(options: TapOptions): TapSettings {
  const d = TAP_DEFAULTS;
  return {
    host: options.host ?? d.host,
    port: options.port ?? d.port,
    maxClients: options.maxClients ?? d.maxClients,
    maxMessageBytes: options.maxMessageBytes ?? d.maxMessageBytes,
    maxJsonDepth: options.maxJsonDepth ?? d.maxJsonDepth,
    http: httpLimits(options.http ?? {}),
    queue: { ...d.queue, ...options.queue },
    heartbeatMs: options.heartbeatMs ?? d.heartbeatMs,
    statsIntervalMs: options.statsIntervalMs ?? d.statsIntervalMs,
    maxPositional: options.maxPositional ?? d.maxPositional,
    urlMemory: options.urlMemory ?? d.urlMemory,
    stallMs: options.stallMs || undefined,
  };
}
