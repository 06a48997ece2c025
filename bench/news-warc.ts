// A WARC of news pages for the ingest benches: each an article of English sentences (the demo
// corpus's, shuffled) inside a news site's chrome — menu, cookie banner, share buttons, a
// related-stories sidebar, a newsletter box, a footer, inline script and style. Every tenth page
// re-runs an earlier article in other chrome with one sentence changed (a near-duplicate), every
// twentieth is a German page. The same n and seed give the same pages.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WARCRecord, WARCSerializer } from 'warcio';
import { Rng } from '../core/prng.ts';
import { WebText } from './texts.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const GERMAN =
  'Der Stadtrat hat am Montag beschlossen, die Brücke über den Fluss bis zum Herbst zu sanieren. ' +
  'Die Arbeiten sollen im Mai beginnen und werden nach Angaben der Verwaltung etwa zwölf Millionen Euro kosten. ' +
  'Während der Bauzeit fahren zusätzliche Fähren, und die Busse werden über die Nordbrücke umgeleitet. ' +
  'Anwohner hatten sich seit Jahren über den Zustand der Brücke beschwert, weil sich der Belag immer wieder löste. ';

/** The demo corpus's sentences: real English, so the language step keeps what it should. */
const SENTENCES = [
  ...new Set(
    readFileSync(join(import.meta.dirname, '../demo/corpus/sample.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .flatMap((l) => (JSON.parse(l) as { text: string }).text.split(/(?<=[.!?])\s+/u))
      .filter((s) => s.split(' ').length >= 8 && !s.includes('\n')),
  ),
];

/** An article: a title and four or five paragraphs of sentences drawn from the demo corpus. */
function article(rng: Rng, i: number): { title: string; paragraphs: string[] } {
  const paragraphs = Array.from({ length: 4 + rng.int(2) }, () =>
    Array.from({ length: 3 + rng.int(3) }, () => rng.pick(SENTENCES)).join(' '),
  );
  return { title: `Story ${i}: ${rng.pick(SENTENCES).split(' ').slice(0, 6).join(' ')}`, paragraphs };
}

function page(web: WebText, i: number, body: { title: string; paragraphs: string[] }): string {
  const menu = ['Home', 'World', 'Business', 'Technology', 'Science', 'Sport', 'Culture', 'Opinion'];
  const related = Array.from(
    { length: 6 },
    (_, k) => `Related story ${i * 7 + k}: ${web.make(50, web.zipfWord)}`,
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(body.title)} | Daily Example</title>
<style>body{font-family:sans-serif}.nav li{display:inline}.share a{margin:0 4px}</style>
<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}gtag('js',new Date());</script></head>
<body><div class="cookie">We use cookies to improve your experience. <button>Accept all</button></div>
<header><a href="/">DAILY EXAMPLE</a><nav class="nav"><ul>${menu.map((m) => `<li><a href="/${m.toLowerCase()}">${m}</a></li>`).join('')}</ul></nav>
<a href="/login">Sign in</a> <a href="/subscribe">Subscribe</a></header>
<main><article><h1>${esc(body.title)}</h1><p class="byline">By Staff Writer · ${1 + (i % 28)} March 2026</p>
<div class="share"><a href="#">Share on Facebook</a><a href="#">Tweet</a><a href="#">Email</a></div>
${body.paragraphs.map((p) => `<p>${esc(p)}</p>`).join('\n')}
<p class="tags">Tags: news, city, ${i % 13}</p><p>${12 + (i % 90)} comments</p></article>
<aside><h2>Related stories</h2><ul>${related.map((r) => `<li><a href="/r/${i}">${esc(r)}</a></li>`).join('')}</ul>
<div class="newsletter">Sign up for our newsletter <input type="email"></div></aside></main>
<footer><p>© 2026 Daily Example. All rights reserved.</p><a href="/privacy">Privacy policy</a> <a href="/terms">Terms of use</a></footer>
<script>document.querySelectorAll('.share a').forEach(a=>a.addEventListener('click',()=>gtag('event','share')));</script>
</body></html>`;
}

/** The pages: mostly distinct articles; every 10th a near-duplicate, every 20th German. */
function pages(n: number, seed: number): { url: string; html: string }[] {
  const web = new WebText(11 + seed);
  const rng = new Rng(5 + seed);
  const bodies: { title: string; paragraphs: string[] }[] = [];
  return Array.from({ length: n }, (_, i) => {
    let body: { title: string; paragraphs: string[] };
    if (i % 20 === 19)
      body = { title: `Brücke ${i}`, paragraphs: [GERMAN, GERMAN.replace('Montag', 'Dienstag')] };
    else if (i % 10 === 9 && bodies.length > 0) {
      const copy = bodies[rng.int(bodies.length)] as { title: string; paragraphs: string[] };
      body = { title: copy.title, paragraphs: [...copy.paragraphs, `Updated on ${1 + (i % 28)} March.`] };
    } else {
      body = article(rng, i);
      bodies.push(body);
    }
    return { url: `https://news.example/${i}`, html: page(web, i, body) };
  });
}

/**
 * Writes `n` pages as a gzip WARC (request + response records, as Common Crawl writes them); another
 * `seed` gives other articles.
 */
export async function writeNewsWarc(path: string, n: number, seed = 0): Promise<void> {
  const enc = new TextEncoder();
  const bytes = (s: string) =>
    (async function* () {
      yield enc.encode(s);
    })();
  const parts: Uint8Array[] = [];
  for (const p of pages(n, seed)) {
    const request = WARCRecord.create(
      { url: p.url, type: 'request', warcVersion: 'WARC/1.0', statusline: 'GET / HTTP/1.1' },
      bytes(''),
    );
    const response = WARCRecord.create(
      {
        url: p.url,
        type: 'response',
        date: '2026-03-01T10:00:00Z',
        warcVersion: 'WARC/1.0',
        statusline: 'HTTP/1.1 200 OK',
        httpHeaders: { 'Content-Type': 'text/html; charset=UTF-8' },
      },
      bytes(p.html),
    );
    parts.push(await WARCSerializer.serialize(request, { gzip: true }));
    parts.push(await WARCSerializer.serialize(response, { gzip: true }));
  }
  writeFileSync(path, Buffer.concat(parts));
}
