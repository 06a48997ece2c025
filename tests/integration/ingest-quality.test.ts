// The quality and lines steps on the real stack: a generated WARC of pages in a news site's chrome —
// clean articles, a keyword-stuffed page, a page of one repeated paragraph, a link list — ingested
// with the defaults. Clean articles reach the raw topic without the chrome extraction left
// (counters, "Share this", tags); the others are dead-lettered with their rule in context.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetter, RawDocument } from '../../core/types.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { createIngestor, type IngestStats } from '../../services/ingest/ingestor.ts';
import { producedOn, writeWarc } from '../helpers/ingest-fixtures.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';

const endpoints = loadEndpoints();
const dir = mkdtempSync(join(tmpdir(), 'ipt-ingest-quality-'));
const demo = readFileSync('demo/corpus/sample.jsonl', 'utf8')
  .trim()
  .split('\n')
  .map((l) => (JSON.parse(l) as { text: string }).text);

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A page: the body's paragraphs in an article, inside a news site's chrome. */
function page(title: string, paragraphs: string[]): string {
  return `<!doctype html><html><head><title>${esc(title)} | Daily Example</title></head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li><li><a href="/sport">Sport</a></li></ul></nav></header>
<main><article><h1>${esc(title)}</h1>
<div class="share"><a href="#">Share this</a></div>
${paragraphs.map((p) => `<p>${esc(p)}</p>`).join('\n')}
<p>Tags: news, city</p><p>12 comments</p></article></main>
<footer><p>© 2026 Daily Example. All rights reserved.</p></footer></body></html>`;
}

const article = (text: string) => {
  const [title, ...rest] = text.split('\n').filter((l) => l.trim() !== '');
  return { title: title as string, paragraphs: rest };
};

const clean = [0, 1, 2].map((i) => article(demo[i] as string));
const stuffed = 'cheap shoes buy cheap shoes online best cheap shoes deals ';
const pages = [
  ...clean.map((a, i) => ({ url: `https://news.example/clean/${i}`, html: page(a.title, a.paragraphs) })),
  {
    url: 'https://news.example/stuffed',
    html: page('Cheap shoes', [`${(demo[3] as string).slice(0, 600)} ${stuffed.repeat(20)}`]),
  },
  {
    url: 'https://news.example/repeated',
    html: page(
      'Notice',
      Array.from({ length: 8 }, () => (demo[4] as string).split('\n\n')[1] as string),
    ),
  },
  {
    url: 'https://news.example/hashtags',
    html: page('Hashtags', [
      `${(demo[5] as string).slice(0, 600)} ${'#bridge #city #harbour #ferry #news '.repeat(4)}`,
    ]),
  },
];

let raw: RawDocument[] = [];
let dlq: DeadLetter[] = [];
let stats: IngestStats;

beforeAll(async () => {
  const topics = await freshTopics('ingest-quality');
  const ingestor = await createIngestor({
    brokers: endpoints.kafka.brokers,
    registryUrl: endpoints.registry.url,
    topics,
    dedupStage: false, // straight to the raw topic: dedup is not what this tests
  });
  await writeWarc(join(dir, 'pages.warc.gz'), pages);
  await ingestor.ingestPaths([join(dir, 'pages.warc.gz')]);
  await ingestor.close();
  stats = ingestor.stats;
  ({ raw, dlq } = await producedOn(topics));
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('quality and boilerplate lines on generated WARC pages', () => {
  it('keeps the clean articles, without the chrome lines extraction left', () => {
    expect(raw.map((r) => r.url).sort()).toEqual(clean.map((_, i) => `https://news.example/clean/${i}`));
    for (const r of raw) {
      for (const line of ['Share this', '12 comments', 'Tags: news, city'])
        expect(r.text).not.toContain(line);
      expect(Number(r.metadata.lines_removed)).toBeGreaterThanOrEqual(2);
    }
    // The article itself is all there.
    const first = raw.find((r) => r.url === 'https://news.example/clean/0') as RawDocument;
    for (const p of clean[0]?.paragraphs ?? []) expect(first.text).toContain(p.trim());
  });

  it('dead-letters the spammy, repetitive and symbol pages with the rule that caught each', () => {
    const reasons = dlq.map((d) => d.context.reason).sort();
    expect(reasons).toEqual(['quality:dup_paragraphs', 'quality:hash_ratio', 'quality:top_ngram_chars']);
    for (const d of dlq) {
      expect(d.context.step).toBe('quality');
      expect(d.context.rule).toBe(d.context.reason?.slice('quality:'.length));
      expect(Number(d.context.value)).toBeGreaterThan(Number(d.context.limit));
    }
    expect(dlq.find((d) => d.context.rule === 'top_ngram_chars')?.context.n).toBe('2');
  });

  it('counts each rule and the lines removed per step', () => {
    expect(stats.rejectedByReason).toEqual({
      'quality:dup_paragraphs': 1,
      'quality:hash_ratio': 1,
      'quality:top_ngram_chars': 1,
    });
    expect(stats.steps.quality).toMatchObject({ in: 6, out: 3 });
    expect(stats.steps.lines?.kept?.cleaned).toBe(6);
    expect(stats.steps.lines?.amounts?.lines_removed).toBeGreaterThanOrEqual(12);
  });
});
