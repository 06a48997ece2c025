// `ipt crawl status` as Prometheus gauges on a worker's /metrics. A scrape reads the inputs and
// progress topics, so the status is cached for a while: scrapes cost at most one read per period.

import type { Kafka } from 'kafkajs';
import { Gauge, type Registry } from 'prom-client';
import type { Topics } from '../../lib/topics.ts';
import { type CrawlStatus, readCrawlStatus } from './status.ts';

export const STATUS_CACHE_MS = 15_000;

export function registerStatusMetrics(
  registry: Registry,
  read: () => Promise<CrawlStatus>,
  cacheMs = STATUS_CACHE_MS,
): void {
  let cached: { at: number; status: Promise<CrawlStatus> } | undefined;
  const current = () => {
    if (!cached || performance.now() - cached.at > cacheMs) {
      const status = read();
      status.catch(() => {
        cached = undefined;
      });
      cached = { at: performance.now(), status };
    }
    return cached.status;
  };
  const registers = [registry];
  new Gauge({
    name: 'ipt_crawl_inputs',
    help: 'Crawl inputs by state (queued, running, done, failed), as `ipt crawl status` shows them',
    labelNames: ['state'],
    registers,
    async collect() {
      const s = await current();
      for (const state of ['queued', 'running', 'done', 'failed'] as const) this.set({ state }, s[state]);
    },
  });
  const gauge = (name: string, help: string, value: (s: CrawlStatus) => number) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        this.set(value(await current()));
      },
    });
  gauge(
    'ipt_crawl_records_per_second',
    'Records read per second by all workers, last minute',
    (s) => s.recordsPerSecond,
  );
  gauge(
    'ipt_crawl_documents_per_second',
    'Documents accepted per second by all workers, last minute',
    (s) => s.documentsPerSecond,
  );
  gauge(
    'ipt_crawl_eta_seconds',
    'Seconds until the queued and running inputs are read (-1: unknown)',
    (s) => s.etaSeconds ?? -1,
  );
}

/** The status gauges of the crawl on `topics`, read through `kafka`. */
export function registerCrawlStatusMetrics(
  registry: Registry,
  kafka: Kafka,
  registryUrl: string,
  topics: Topics,
): void {
  registerStatusMetrics(registry, () => readCrawlStatus(kafka, registryUrl, topics));
}
