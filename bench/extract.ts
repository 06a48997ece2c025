// Main-content extraction against trafilatura (RefinedWeb's extractor, the project venv's):
// `node bin/run-ts.js bench/extract.ts`. The 51 generated pages of tests/helpers/chrome-pages.ts
// (demo-corpus articles inside book, news and documentation-site chrome) through ipt's extract
// step with Readability (the default), through today's visible-text conversion (`--extract text`),
// and through trafilatura (defaults: the body alone, and with its metadata title put first as ipt
// does). Prints
// word-token recall and precision against the known article, chrome lines left, and pages/s (the
// fastest of REPEATS passes over the pages, in each language: other jobs only ever slow one down).

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { type ExtractMode, extractText } from '../services/ingest/html.ts';
import { type ChromePage, chromePages } from '../tests/helpers/chrome-pages.ts';
import { type Score, score } from '../tests/helpers/extraction-score.ts';

const PYTHON = join(import.meta.dirname, '../.venv/bin/python');
const REPEATS = 5;

// The body as trafilatura.extract returns it, and with the title of its metadata first (as ipt
// writes a page's title).
const TRAFILATURA = `
import json, sys, time, trafilatura
pages = json.load(sys.stdin)
seconds = float("inf")
for _ in range(${REPEATS}):
    start = time.perf_counter()
    docs = [trafilatura.bare_extraction(html, include_comments=False, with_metadata=True) for html in pages]
    seconds = min(seconds, time.perf_counter() - start)
bodies = [((d.text if d else '') or '') for d in docs]
titled = [f"{d.title}\\n\\n{b}" if d and d.title and not b.startswith(d.title) else b for d, b in zip(docs, bodies)]
print(json.dumps({"body": bodies, "titled": titled, "seconds": seconds}))
`;

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

function trafilatura(pages: ChromePage[]): { body: Run; titled: Run } {
  const run = spawnSync(PYTHON, ['-c', TRAFILATURA], {
    input: JSON.stringify(pages.map((p) => p.html)),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`trafilatura failed: ${run.stderr}`);
  const out = JSON.parse(run.stdout) as { body: string[]; titled: string[]; seconds: number };
  return {
    body: { texts: out.body, seconds: out.seconds },
    titled: { texts: out.titled, seconds: out.seconds },
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const row = (name: string, s: Score, run: Run) =>
  `| ${name} | ${pct(s.recall)} | ${pct(s.minRecall)} | ${pct(s.precision)} | ${s.chromeLines} | ${s.pagesWithChrome} | ${(s.pages / run.seconds).toFixed(0)} |`;

const pages = chromePages();
const reference = trafilatura(pages);
const runs: [string, Run][] = [
  ['ipt extract (Readability, default)', ipt(pages, 'readability')],
  ['ipt --extract text (the former conversion)', ipt(pages, 'text')],
  ['trafilatura 2.3.1, body', reference.body],
  ['trafilatura 2.3.1, metadata title + body', reference.titled],
];
console.log(
  `${pages.length} pages (${['book', 'news', 'docs'].map((l) => `${pages.filter((p) => p.layout === l).length} ${l}`).join(', ')})`,
);
console.log(
  '| extraction | recall (mean) | recall (min) | precision (mean) | chrome lines left | pages with chrome | pages/s |',
);
console.log('|---|---|---|---|---|---|---|');
for (const [name, run] of runs) console.log(row(name, score(pages, run.texts), run));
