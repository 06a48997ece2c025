// Running the dedup stage in a test: ingest sends candidates, and nothing reaches the raw topic
// until a stage for the same topics decides them. This starts one (the real service, its own
// consumer group per namespace, as `ipt dedup` would), waits until it has decided the documents
// the test sent, and stops it, so a later stage restores the same state.

import { loadEndpoints } from '../../lib/endpoints.ts';
import { createLogger } from '../../lib/log.ts';
import type { Topics } from '../../lib/topics.ts';
import { type DedupStats, startDedup, waitDecided } from '../../services/dedup/main.ts';

/** Decides `candidates` new documents on `topics` with a dedup stage started for the purpose. */
export async function decideCandidates(topics: Topics, candidates: number): Promise<DedupStats> {
  const endpoints = loadEndpoints();
  const dedup = await startDedup({
    brokers: endpoints.kafka.brokers,
    registryUrl: endpoints.registry.url,
    topics,
    commitIntervalMs: 100,
    log: createLogger('dedup-test', 'error'),
  });
  try {
    return await waitDecided(dedup, candidates, 120_000);
  } finally {
    await dedup.stop();
  }
}
