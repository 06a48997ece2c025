// Main-content extraction on the real stack: generated book, news and documentation pages with
// chrome, in a WARC file and posted as text/html to POST /documents, arrive on the raw topic as
// their article (title first, chrome gone), counted by the extract step's path; a page without an
// article falls back to its visible text; --extract text keeps the former visible-text conversion.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawDocument } from '../../core/types.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { createLogger } from '../../lib/log.ts';
import type { Topics } from '../../lib/topics.ts';
import { type IngestHttpServer, startIngestHttp } from '../../services/ingest/http.ts';
import { createIngestor, type Ingestor } from '../../services/ingest/ingestor.ts';
import { chromePages } from '../helpers/chrome-pages.ts';
import { chromeLeft, overlap } from '../helpers/extraction-score.ts';
import { producedOn, writeWarc } from '../helpers/ingest-fixtures.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';

const endpoints = loadEndpoints();
const log = createLogger('ingest-extract-test', 'silent');
const all = chromePages();
// Page 36's article has letters outside ASCII (é, ã): posted in latin1, a wrong charset would show.
const [posted, postedLatin1, ...inWarc] = [all[0], all[36], ...all.slice(1, 6)];
const pages = [posted, postedLatin1, ...inWarc].filter((p) => p !== undefined);
const NO_ARTICLE = `<html><head><title>Links</title></head><body><nav><a href="/">Home</a></nav>
<div>Opening hours: 9 to 5.</div></body></html>`;

let dir: string;
let raw: RawDocument[];
const ingestors: Record<'main' | 'text', Ingestor | undefined> = { main: undefined, text: undefined };
let http: IngestHttpServer | undefined;

async function ingestor(topics: Topics, extract: 'readability' | 'text'): Promise<Ingestor> {
  return createIngestor({
    brokers: endpoints.kafka.brokers,
    registryUrl: endpoints.registry.url,
    topics,
    dedupStage: false, // straight to the raw topic: dedup is not what this tests
    log,
    extract,
  });
}

const post = (html: Buffer, contentType: string, url: string) =>
  fetch(`${http?.url}/documents?url=${encodeURIComponent(url)}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: html,
  });

beforeAll(async () => {
  dir = mkdtempSync(join(os.tmpdir(), 'ipt-extract-'));
  const warc = join(dir, 'CC-MAIN-20230126-00000.warc.gz');
  await writeWarc(warc, [
    ...inWarc.map((p) => ({ url: p.url, html: p.html })),
    { url: 'https://example.com/links', html: NO_ARTICLE },
  ]);
  const topics = await freshTopics('extract');
  const main = await ingestor(topics, 'readability');
  ingestors.main = main;
  await main.ingestPaths([warc]);
  http = await startIngestHttp({ ingestor: main, port: 0, log });
  if (!posted || !postedLatin1) throw new Error('too few pages');
  const replies = [
    await post(Buffer.from(posted.html), 'text/html; charset=utf-8', posted.url),
    // No charset in the header: the page's own declaration (rewritten to latin1) decides.
    await post(
      Buffer.from(postedLatin1.html.replace(/charset="?utf-8"?/i, 'charset="iso-8859-1"'), 'latin1'),
      'text/html',
      postedLatin1.url,
    ),
  ];
  for (const reply of replies) expect(await reply.json()).toMatchObject({ accepted: 1 });
  await http.close();
  await main.close();
  const visible = await ingestor(await freshTopics('extract-text'), 'text');
  ingestors.text = visible;
  await visible.ingestPaths([warc]);
  await visible.close();
  raw = (await producedOn(topics)).raw;
}, 120_000);

afterAll(async () => {
  await http?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the extract step on the real stack', () => {
  it('writes each page with chrome, from WARC or POST /documents, as its article with the title first', () => {
    for (const page of pages) {
      const doc = raw.find((r) => r.url === page.url);
      expect(doc, page.url).toBeDefined();
      const text = doc?.text ?? '';
      expect(overlap(text, page.article).recall).toBeGreaterThan(0.98);
      // A news story's inline "Read more: …" link is the one chrome line Readability keeps.
      expect(overlap(text, page.article).precision).toBeGreaterThan(0.95);
      expect(chromeLeft(text, page).length).toBeLessThanOrEqual(1);
      const title = page.article.split('\n')[0];
      expect(text.split('\n')[0]).toBe(title);
      expect(doc?.metadata.title).toBe(title);
    }
  });

  it('decodes a posted page in the charset its meta tag declares', () => {
    const doc = raw.find((r) => r.url === postedLatin1?.url);
    expect(doc?.metadata.content_type).toBe('text/html');
    const accented = postedLatin1?.article.match(/[\p{L}]*[éã][\p{L}]*/gu) ?? [];
    expect(accented.length).toBeGreaterThan(0);
    for (const word of accented) expect(doc?.text).toContain(word);
  });

  it('counts the pages by path: Readability for the articles, the fallback for the page without one', () => {
    expect(ingestors.main?.stats.steps.extract).toMatchObject({
      in: pages.length + 1,
      out: pages.length + 1,
      kept: { readability: pages.length, fallback: 1 },
    });
  });

  it('with --extract text, keeps the visible text, chrome and all', () => {
    expect(ingestors.text?.stats.steps.extract?.kept).toEqual({ text: inWarc.length + 1 });
    expect(ingestors.main?.stats.steps.extract?.kept?.text).toBeUndefined();
  });
});
