// A crawl worker's own Prometheus metrics, next to its ingestor's in the same registry.

import { Counter, Gauge, type Registry } from 'prom-client';

export interface CrawlWorkerMetrics {
  recordsRead: Counter;
  recordsSkipped: Counter;
  documents: Counter;
  inputsFinished: Counter<'state'>;
  inputsStarted: Counter<'resumed'>;
  currentInputs: Gauge;
}

export function createCrawlWorkerMetrics(registry: Registry): CrawlWorkerMetrics {
  const registers = [registry];
  return {
    recordsRead: new Counter({
      name: 'ipt_crawl_records_read_total',
      help: 'Input records this worker handed to the steps',
      registers,
    }),
    recordsSkipped: new Counter({
      name: 'ipt_crawl_records_skipped_total',
      help: 'Records re-read and skipped when resuming an input another worker had started (resume cost)',
      registers,
    }),
    documents: new Counter({
      name: 'ipt_crawl_documents_total',
      help: 'Documents accepted from the inputs this worker read',
      registers,
    }),
    inputsFinished: new Counter({
      name: 'ipt_crawl_inputs_finished_total',
      help: 'Inputs this worker finished, by state (done, failed)',
      labelNames: ['state'],
      registers,
    }),
    inputsStarted: new Counter({
      name: 'ipt_crawl_inputs_started_total',
      help: 'Inputs this worker started; resumed="true" when another had read part of it',
      labelNames: ['resumed'],
      registers,
    }),
    currentInputs: new Gauge({
      name: 'ipt_crawl_inputs_reading',
      help: 'Inputs this worker is reading now',
      registers,
    }),
  };
}
