// Main-content extraction: on generated book, news and documentation pages whose article is known,
// the extract step keeps the article and leaves the chrome (menus, theme picker, keyboard help,
// cookie banner, footers) out — a bar the former visible-text conversion fails; a page without an
// article falls back to the visible text; each page is counted by the way its text was found.

import { Readability } from '@mozilla/readability';
import { describe, expect, it, vi } from 'vitest';
import type { TokenCounter } from '../../core/tokens.ts';
import { createLogger } from '../../lib/log.ts';
import type { CandidateDoc } from '../../services/ingest/events.ts';
import { plainDoc } from '../../services/ingest/events.ts';
import { charsetOf, extractText, htmlToText } from '../../services/ingest/html.ts';
import { createIngestMetrics } from '../../services/ingest/metrics.ts';
import { DEFAULT_NORMALIZE } from '../../services/ingest/normalize.ts';
import { extractStep } from '../../services/ingest/steps/extract.ts';
import { ingestSteps } from '../../services/ingest/steps/pipeline.ts';
import { StepRunner } from '../../services/ingest/steps/runner.ts';
import { emptyStats, Tally } from '../../services/ingest/steps/tally.ts';
import { chromePages } from '../helpers/chrome-pages.ts';
import { score } from '../helpers/extraction-score.ts';

const pages = chromePages();

/** The bar: nearly all of the article, nearly nothing else (under one chrome line in two pages). */
function meetsBar(texts: string[]): boolean {
  const s = score(pages, texts);
  return s.recall >= 0.98 && s.minRecall >= 0.9 && s.precision >= 0.97 && s.chromeLines < pages.length / 2;
}

const NO_ARTICLE = `<html><head><title>Links</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/a">About</a></li></ul></nav>
<div>Opening hours: 9 to 5.</div></body></html>`;

const htmlDoc = (html: string, i = 0): CandidateDoc =>
  plainDoc(
    html,
    { source: 'warc:test', origin: `offset ${i}` },
    { html: true, url: `https://example.com/${i}`, metadata: { content_type: 'text/html' } },
  );

describe('main-content extraction on pages with chrome', () => {
  it('keeps the article and leaves the chrome out, where the visible text does not', () => {
    expect(pages.length).toBeGreaterThan(40);
    const main = pages.map((p) => extractText(p.html, 'readability'));
    expect(main.every((e) => e.path === 'readability')).toBe(true);
    expect(meetsBar(main.map((e) => e.text))).toBe(true);
    const visible = pages.map((p) => extractText(p.html, 'text'));
    expect(visible.every((e) => e.path === 'text')).toBe(true);
    expect(meetsBar(visible.map((e) => e.text))).toBe(false);
    expect(visible[0]?.text).toContain('Press ← or → to navigate between chapters');
  });

  it("puts the article's title first, without the site's name", () => {
    for (const page of pages) {
      const { text, title } = extractText(page.html, 'readability');
      const first = page.article.split('\n')[0];
      expect(text.split('\n')[0]).toBe(first);
      expect(title).toBe(first);
    }
  });

  it('falls back to the visible text when Readability finds no article', () => {
    const e = extractText(NO_ARTICLE, 'readability');
    expect(e.path).toBe('fallback');
    expect(e.text).toBe(htmlToText(NO_ARTICLE));
    expect(e.text).toContain('Opening hours');
  });

  it('falls back to the visible text when Readability fails on a page', () => {
    const page = pages[0]?.html ?? '';
    const parse = vi.spyOn(Readability.prototype, 'parse').mockImplementation(() => {
      throw new TypeError('unsupported node');
    });
    try {
      expect(extractText(page, 'readability')).toEqual({
        text: htmlToText(page),
        path: 'fallback',
        title: null,
      });
    } finally {
      parse.mockRestore();
    }
    expect(extractText(page, 'readability').path).toBe('readability');
  });
});

describe('the extract step', () => {
  it('replaces an HTML page by its text, records the title, and passes other documents as they are', async () => {
    const step = extractStep('readability');
    const page = pages[1];
    const verdict = await step.process(htmlDoc(page?.html ?? ''));
    expect(verdict).toMatchObject({ kind: 'keep', how: 'readability', detail: { path: 'readability' } });
    if (verdict.kind !== 'keep') throw new Error('not kept');
    expect(verdict.doc.text).toBe(extractText(page?.html ?? '', 'readability').text);
    expect(verdict.doc.html).toBe(false);
    expect(verdict.doc.metadata).toEqual({ content_type: 'text/html', title: page?.article.split('\n')[0] });
    const plain = { ...htmlDoc('<p>not markup</p>'), html: undefined };
    expect(await step.process(plain)).toEqual({ kind: 'keep', doc: plain });
  });

  it('counts each page by its path in the step counters and the metrics', async () => {
    const metrics = createIngestMetrics();
    const stats = emptyStats();
    const words: TokenCounter = { count: (t) => t.split(/\s+/).filter(Boolean).length };
    const run = (mode: 'readability' | 'text') =>
      new StepRunner({
        ...ingestSteps({
          extract: mode,
          normalize: DEFAULT_NORMALIZE,
          chunk: { maxTokens: 100_000, tokenizer: words },
        }),
        deadLetters: async () => ({ delivered: Promise.resolve() }),
        tally: new Tally(stats, metrics),
        log: createLogger('ingest-extract-test', 'silent'),
      });
    const runner = run('readability');
    for (const [i, p] of pages.slice(0, 3).entries()) await runner.run(htmlDoc(p.html, i));
    await runner.run(htmlDoc(NO_ARTICLE, 9));
    expect(stats.steps.extract).toEqual({
      in: 4,
      out: 4,
      dropped: {},
      kept: { readability: 3, fallback: 1 },
    });
    const kept = (await metrics.registry.getSingleMetric('ipt_ingest_step_kept_total')?.get())?.values;
    expect(kept?.find((v) => v.labels.how === 'fallback')?.value).toBe(1);
    await run('text').run(htmlDoc(pages[0]?.html ?? '', 10));
    expect(stats.steps.extract?.kept).toEqual({ readability: 3, fallback: 1, text: 1 });
  });
});

describe('the charset of an HTML body', () => {
  const head = (s: string) => Buffer.from(`<html><head>${s}</head><body>café</body></html>`, 'latin1');
  it("is the Content-Type's, else the page's meta or http-equiv declaration, else UTF-8", () => {
    expect(charsetOf(head('<meta charset="utf-8">'), 'text/html; charset=ISO-8859-1')).toBe('ISO-8859-1');
    expect(charsetOf(head('<meta charset="windows-1252">'), 'text/html')).toBe('windows-1252');
    const equiv = '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">';
    expect(charsetOf(head(equiv), 'text/html')).toBe('koi8-r');
    expect(charsetOf(head(''), 'text/html')).toBe('utf-8');
    expect(charsetOf(head(''), undefined)).toBe('utf-8');
  });
});
