// Main-content extraction on real pages: one small page per generator's layout (Sphinx in two
// themes, Javadoc, AsciiDoc, DocBook in two styles, Doxygen, MkDocs, Apache's manual, sqlite.org,
// gtk-doc, copied from Debian's -doc packages; Jekyll's and Pelican's blog themes and ikiwiki's wiki
// pages as bench/real-pages/render.ts renders them; tests/fixtures/real-pages/CREDITS.md) keeps the
// main content its layout marks and none of its chrome lines, where the visible text keeps them. A page whose main
// content was found is not dropped for the boilerplate lines left in it; one that fell back is.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { layouts, markUp } from '../../bench/real-pages/pages.ts';
import { plainDoc } from '../../services/ingest/events.ts';
import { extractText } from '../../services/ingest/html.ts';
import { cleanLinesStep, DEFAULT_MAX_REMOVED_SHARE } from '../../services/ingest/steps/clean-lines.ts';
import { extractStep } from '../../services/ingest/steps/extract.ts';
import type { Doc } from '../../services/ingest/steps/step.ts';
import { chromeLeft, overlap } from '../helpers/extraction-score.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/real-pages');
const PINNED = [
  'sphinx-python',
  'sphinx-pallets',
  'javadoc',
  'asciidoc',
  'docbook-debian-reference',
  'docbook-postgresql',
  'doxygen',
  'mkdocs',
  'apache-manual',
  'sqlite-site',
  'gtk-doc',
  'jekyll-minima',
  'pelican-simple',
  'ikiwiki',
];

const page = (name: string) => {
  const layout = layouts().find((l) => l.name === name);
  if (!layout) throw new Error(`no layout ${name} in the manifest`);
  const html = readFileSync(join(FIXTURES, `${name}.html`), 'utf8');
  return { html, ...markUp(html, layout) };
};

describe('main-content extraction on real pages', () => {
  it.each(PINNED)('%s: keeps the main content and leaves the chrome out', (name) => {
    const p = page(name);
    expect(p.chrome.length).toBeGreaterThan(0);
    const main = extractText(p.html, 'readability');
    expect(main.path).toBe('readability');
    const o = overlap(main.text, p.article);
    expect(o.recall).toBeGreaterThanOrEqual(0.95);
    expect(o.precision).toBeGreaterThanOrEqual(0.95);
    expect(chromeLeft(main.text, p)).toEqual([]);
    expect(chromeLeft(extractText(p.html, 'text').text, p).length).toBeGreaterThan(0);
  });
});

describe('pagers and link bars', () => {
  // A mailing-list archive's message (MHonArc's page layout): the link bar above it and the list
  // under it that lead to the previous and next messages are chrome no element marks. Its header
  // list (Subject, From, Date) stays, below the precision bar, so this layout is not in PINNED.
  it('leaves out the bar and the list of links to the previous and next messages', () => {
    const p = page('mhonarc');
    const main = extractText(p.html, 'readability');
    const visible = extractText(p.html, 'text').text;
    expect(overlap(main.text, p.article).recall).toBeGreaterThanOrEqual(0.95);
    expect(visible).toMatch(/Prev by Date:[\s\S]*Next by thread:/);
    expect(main.text).not.toMatch(/Prev by Date|Next by Date|Previous by thread|Next by thread/);
    expect(visible).toContain('[Date Prev][Date Next]');
    expect(main.text).not.toMatch(/Date Prev|Thread Index/);
    expect(chromeLeft(main.text, p)).toEqual([]);
  });
});

describe('the boilerplate-lines drop after extraction', () => {
  const lines = cleanLinesStep({ scope: 'html', maxRemovedShare: DEFAULT_MAX_REMOVED_SHARE });
  // An API listing: its one-word lines are the page's own, and more than 5 % of its words.
  const listing = `<html><head><title>Flags</title></head><body><nav><a href="/">Home</a> <a href="/api">API</a></nav>
<main><h1>Flags</h1><p>The flags a parser accepts, each on its own line as the reference lists them for readers.</p>
<pre>strict\nlenient\nquiet\nverbose</pre><p>Each flag changes how the parser reports what it could not read in a file.</p></main></body></html>`;
  const htmlDoc = (html: string): Doc => ({ ...plainDoc(html, { source: 'test', origin: '0' }), html: true });

  it('cleans the lines of a page whose main content was found, and keeps the page', async () => {
    const extracted = await extractStep('readability').process(htmlDoc(listing));
    if (extracted.kind !== 'keep') throw new Error('extract dropped the page');
    expect(extracted.doc.mainContent).toBe(true);
    const verdict = await lines.process(extracted.doc);
    expect(verdict.kind).toBe('keep');
    if (verdict.kind === 'keep') expect(verdict.doc.text).not.toContain('verbose');
  });

  it('drops the same text when it is the visible text, not the main content', async () => {
    const extracted = await extractStep('text').process(htmlDoc(listing));
    if (extracted.kind !== 'keep') throw new Error('extract dropped the page');
    expect(extracted.doc.mainContent).toBe(false);
    const verdict = await lines.process(extracted.doc);
    expect(verdict.kind === 'reject' && verdict.reason).toBe('quality:boilerplate_lines');
  });
});
