// Main-content extraction against trafilatura (RefinedWeb's extractor, the project venv's):
// `node bin/run-ts.js bench/extract.ts`. The 51 generated pages of tests/helpers/chrome-pages.ts
// (demo-corpus articles inside book, news and documentation-site chrome) through ipt's extract
// step with Readability (the default), through today's visible-text conversion (`--extract text`),
// and through trafilatura (defaults: the body alone, and with its metadata title put first as ipt
// does). Prints
// word-token recall and precision against the known article, chrome lines left, and pages/s (the
// fastest of REPEATS passes over the pages, in each language: other jobs only ever slow one down).

import { type ExtractMode, extractText } from '../services/ingest/html.ts';
import { type ChromePage, chromePages } from '../tests/helpers/chrome-pages.ts';
import { type Score, score } from '../tests/helpers/extraction-score.ts';
import { trafilatura } from './trafilatura.ts';

const REPEATS = 5;

interface Run {
  texts: string[];
  seconds: number;
}

function ipt(pages: ChromePage[], mode: ExtractMode): Run {
  let texts: string[] = [];
  let seconds = Number.POSITIVE_INFINITY;
  for (let i = 0; i < REPEATS; i++) {
    const start = performance.now();
    texts = pages.map((p) => extractText(p.html, mode).text);
    seconds = Math.min(seconds, (performance.now() - start) / 1000);
  }
  return { texts, seconds };
}

/** trafilatura's body, and its metadata title put first (as ipt writes a page's title). */
function reference(pages: ChromePage[]): { body: Run; titled: Run } {
  const out = trafilatura(
    pages.map((p) => p.html),
    REPEATS,
  );
  const titled = out.bodies.map((b, i) => {
    const title = out.titles[i] ?? '';
    return title && !b.startsWith(title) ? `${title}\n\n${b}` : b;
  });
  return {
    body: { texts: out.bodies, seconds: out.seconds },
    titled: { texts: titled, seconds: out.seconds },
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const row = (name: string, s: Score, run: Run) =>
  `| ${name} | ${pct(s.recall)} | ${pct(s.minRecall)} | ${pct(s.precision)} | ${s.chromeLines} | ${s.pagesWithChrome} | ${(s.pages / run.seconds).toFixed(0)} |`;

const pages = chromePages();
const traf = reference(pages);
const runs: [string, Run][] = [
  ['ipt extract (Readability, default)', ipt(pages, 'readability')],
  ['ipt --extract text (the former conversion)', ipt(pages, 'text')],
  ['trafilatura 2.3.1, body', traf.body],
  ['trafilatura 2.3.1, metadata title + body', traf.titled],
];
console.log(
  `${pages.length} pages (${['book', 'news', 'docs'].map((l) => `${pages.filter((p) => p.layout === l).length} ${l}`).join(', ')})`,
);
console.log(
  '| extraction | recall (mean) | recall (min) | precision (mean) | chrome lines left | pages with chrome | pages/s |',
);
console.log('|---|---|---|---|---|---|---|');
for (const [name, run] of runs) console.log(row(name, score(pages, run.texts), run));
