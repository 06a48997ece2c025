// Ingest's worker threads on the real stack: the same WARC of web pages (articles in site chrome,
// of very different lengths, with exact and near repeats, a German page and a too-short one)
// ingested once with two threads and once on the main thread alone reaches the raw topic as the
// same records in the same order on every partition, and the DLQ with the same reasons in the same
// order: chains are formed by position in a partition, so threads must not reorder an input.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawDocument } from '../../core/types.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { createLogger } from '../../lib/log.ts';
import { createIngestor, type IngestStats } from '../../services/ingest/ingestor.ts';
import { chromePages } from '../helpers/chrome-pages.ts';
import { producedOn, prose, type WarcPage, writeWarc } from '../helpers/ingest-fixtures.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';

const endpoints = loadEndpoints();
const log = createLogger('ingest-threads-test', 'silent');
const GERMAN =
  '<html><body><article><p>Der Stadtrat hat am Montag beschlossen, die Brücke über den Fluss bis zum Herbst zu sanieren. ' +
  'Die Arbeiten sollen im Mai beginnen und werden nach Angaben der Verwaltung etwa zwölf Millionen Euro kosten.</p></article></body></html>';

/** 150 pages: every chrome page several times, its article lengthened by 0 – 30 paragraphs. */
function pages(): WarcPage[] {
  const all = chromePages();
  return Array.from({ length: 150 }, (_, i) => {
    const url = `https://threads.example/${i}`;
    if (i % 31 === 7) return { url, html: GERMAN };
    if (i % 29 === 5) return { url, html: '<html><body><p>Too short.</p></body></html>' };
    const page = all[i % all.length];
    if (!page) throw new Error('no chrome pages');
    const extra = Array.from({ length: (i * 7) % 31 }, (_, k) => `<p>${prose(i * 100 + k, 400)}</p>`);
    return { url, html: page.html.replace(/<\/(article|main)>/, (end) => `${extra.join('')}${end}`) };
  });
}

let dir: string;
const runs: Record<'threads' | 'alone', { raw: RawDocument[]; dlq: string[]; stats: IngestStats }> =
  {} as never;

async function ingest(file: string, threads: number) {
  const topics = await freshTopics(`threads-${threads}`);
  const ingestor = await createIngestor({
    brokers: endpoints.kafka.brokers,
    registryUrl: endpoints.registry.url,
    topics,
    log,
    threads,
    // Straight to the raw topic: what is compared is the order ingest itself writes in, which the
    // dedup stage would then re-order by its own commits.
    dedupStage: false,
  });
  try {
    await ingestor.ingestPaths([file]);
  } finally {
    await ingestor.close();
  }
  const { raw, dlq } = await producedOn(topics);
  return { raw, dlq: dlq.map((d) => `${d.context.reason} ${d.context.origin}`), stats: ingestor.stats };
}

beforeAll(async () => {
  dir = mkdtempSync(join(os.tmpdir(), 'ipt-threads-'));
  const file = join(dir, 'pages.warc.gz');
  const list = pages();
  // Exact and near repeats of earlier pages, as a crawl has them.
  for (let i = 10; i < list.length; i += 10) {
    const earlier = list[i - 10] as WarcPage;
    list[i] = {
      url: `${earlier.url}#again`,
      html: i % 20 === 0 ? earlier.html : `${earlier.html}<p>Updated.</p>`,
    };
  }
  await writeWarc(file, list);
  runs.threads = await ingest(file, 2);
  runs.alone = await ingest(file, 0);
}, 240_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const comparable = (raw: RawDocument[]) => raw.map(({ ingested_at: _, ...r }) => JSON.stringify(r));

describe('ingest with worker threads on the real stack', () => {
  it('writes the same records in the same order as the main thread alone', () => {
    expect(runs.alone.raw.length).toBeGreaterThan(100);
    expect(comparable(runs.threads.raw)).toEqual(comparable(runs.alone.raw));
  });

  it('dead-letters and drops the same inputs, in the same order, for the same reasons', () => {
    expect(runs.alone.dlq.length).toBeGreaterThan(5);
    expect(runs.threads.dlq).toEqual(runs.alone.dlq);
    expect(runs.threads.stats).toEqual(runs.alone.stats);
  });
});
