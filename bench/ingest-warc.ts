// What each RefinedWeb-grade ingest step costs: `node bin/run-ts.js bench/ingest-warc.ts [pages] [--write]`.
// A gzip WARC of N web pages (request + response records, as Common Crawl writes them), each an
// article of English sentences (the demo corpus's, shuffled) inside a news site's chrome: menu, cookie banner,
// share buttons, a related-stories sidebar, a newsletter box, a footer, inline script and style.
// Every tenth page re-runs an earlier article in other chrome with one sentence changed (a
// near-duplicate), every twentieth is a German page. Ingested end to end into fresh topics with
// every step on (the defaults), then with each of extraction (→ the visible text), language,
// quality (rules and boilerplate lines) and near-duplicates off in turn, then with all four off.
// Then each step timed on its own in a dry run (no Kafka). --write puts both tables in
// bench/RESULTS.md.

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { WARCRecord, WARCSerializer } from 'warcio';
import { Rng } from '../core/prng.ts';
import { loadEndpoints } from '../lib/endpoints.ts';
import { kafkaClient } from '../lib/kafka/client.ts';
import { createLogger } from '../lib/log.ts';
import {
  DEFAULT_MAX_RECORD_BYTES,
  type IngestorOptions,
  type IngestStats,
  stepOptions,
} from '../services/ingest/ingestor.ts';
import { DEFAULT_JSON_FIELDS } from '../services/ingest/json-doc.ts';
import { createIngestMetrics } from '../services/ingest/metrics.ts';
import { inputReader } from '../services/ingest/read.ts';
import { languageOptions } from '../services/ingest/steps/language.ts';
import { ingestSteps } from '../services/ingest/steps/pipeline.ts';
import { StepRunner } from '../services/ingest/steps/runner.ts';
import type { Step } from '../services/ingest/steps/step.ts';
import { emptyStats, Tally } from '../services/ingest/steps/tally.ts';
import { timedIngest } from './ingest-run.ts';
import { machine } from './proc.ts';
import { ranLine, writeResultsBlock } from './results.ts';
import { WebText } from './texts.ts';

const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1500);
const WRITE = process.argv.includes('--write');
/** Runs of each case; the fastest is reported (other jobs on the box only ever slow a run down). */
const REPEATS = 2;

const web = new WebText(11);
const rng = new Rng(5);
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
function article(i: number): { title: string; paragraphs: string[] } {
  const paragraphs = Array.from({ length: 4 + rng.int(2) }, () =>
    Array.from({ length: 3 + rng.int(3) }, () => rng.pick(SENTENCES)).join(' '),
  );
  return { title: `Story ${i}: ${rng.pick(SENTENCES).split(' ').slice(0, 6).join(' ')}`, paragraphs };
}

function page(i: number, body: { title: string; paragraphs: string[] }): string {
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
function pages(): { url: string; html: string }[] {
  const bodies: { title: string; paragraphs: string[] }[] = [];
  return Array.from({ length: N }, (_, i) => {
    let body: { title: string; paragraphs: string[] };
    if (i % 20 === 19)
      body = { title: `Brücke ${i}`, paragraphs: [GERMAN, GERMAN.replace('Montag', 'Dienstag')] };
    else if (i % 10 === 9 && bodies.length > 0) {
      const copy = bodies[rng.int(bodies.length)] as { title: string; paragraphs: string[] };
      body = { title: copy.title, paragraphs: [...copy.paragraphs, `Updated on ${1 + (i % 28)} March.`] };
    } else {
      body = article(i);
      bodies.push(body);
    }
    return { url: `https://news.example/${i}`, html: page(i, body) };
  });
}

async function writeWarc(path: string): Promise<void> {
  const enc = new TextEncoder();
  const bytes = (s: string) =>
    (async function* () {
      yield enc.encode(s);
    })();
  const parts: Uint8Array[] = [];
  for (const p of pages()) {
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

const CASES: { label: string; options: Partial<IngestorOptions> }[] = [
  { label: 'every step on (defaults)', options: {} },
  { label: 'extraction off (visible text)', options: { extract: 'text' } },
  // The visible text keeps the chrome, so RefinedWeb's boilerplate drop rejects nearly every page:
  // this case lets the pages on, to show what the later steps cost on them.
  {
    label: 'extraction off, boilerplate drop off',
    options: { extract: 'text', quality: { skip: ['boilerplate_lines'] } },
  },
  { label: 'language off', options: { languages: false } },
  { label: 'quality off (rules and lines)', options: { quality: false, cleanLines: 'off' } },
  { label: 'near-duplicates off', options: { nearDup: false } },
  {
    label: 'all four off',
    options: { extract: 'text', languages: false, quality: false, cleanLines: 'off', nearDup: false },
  },
];

const endpoints = loadEndpoints();
const log = createLogger('bench-ingest-warc', 'warn');
const kafka = kafkaClient('ipt-bench-ingest-warc', endpoints.kafka.brokers);

const run = (file: string, options: Partial<IngestorOptions>) =>
  timedIngest({ kafka, endpoints, log, prefix: 'bench-warc' }, file, options);

/** Each step timed on its own: the pages through the steps on this thread, without Kafka. */
async function stepTimes(file: string): Promise<{ step: string; docs: number; us: number }[]> {
  const all = { brokers: [], registryUrl: '', log };
  const built = ingestSteps({ ...stepOptions(all), language: await languageOptions({}) });
  const spent = new Map<string, number>();
  const timed = <In>(step: Step<In>): Step<In> => ({
    ...step,
    process(input) {
      const t = performance.now();
      const verdict = step.process(input);
      if (verdict instanceof Promise) {
        return verdict.finally(() =>
          spent.set(step.name, (spent.get(step.name) ?? 0) + performance.now() - t),
        );
      }
      spent.set(step.name, (spent.get(step.name) ?? 0) + performance.now() - t);
      return verdict;
    },
  });
  const tally = new Tally(emptyStats(), createIngestMetrics());
  const runner = new StepRunner({
    decode: timed(built.decode),
    steps: built.steps.map(timed),
    deadLetters: async () => ({ delivered: Promise.resolve() }),
    tally,
    log,
  });
  const reader = inputReader({
    fields: DEFAULT_JSON_FIELDS,
    maxRecordBytes: DEFAULT_MAX_RECORD_BYTES,
    parallelism: 1,
    tally,
    aborted: () => false,
    failed: () => null,
    run: (event) => runner.run(event).then(() => {}),
  });
  try {
    await reader.ingestPaths([file]);
  } finally {
    await runner.close();
  }
  return Object.entries(tally.stats.steps).map(([step, counts]) => ({
    step,
    docs: counts.in,
    us: ((spent.get(step) ?? 0) * 1000) / Math.max(1, counts.in),
  }));
}

const reasons = (s: IngestStats) =>
  Object.entries(s.rejectedByReason)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([r, n]) => `${r} ${n}`)
    .join(', ') || '–';

const dir = mkdtempSync(join(os.tmpdir(), 'ipt-bench-warc-'));
const file = join(dir, 'pages.warc.gz');
try {
  await writeWarc(file);
  const mb = statSync(file).size / 1024 / 1024;
  const m = machine();
  const ran = ranLine('bench/ingest-warc.ts');
  console.log(
    `ingest WARC benchmark: ${N} pages, ${mb.toFixed(1)} MB gzip WARC; ${m.cores} × ${m.cpu}, load ${m.load}`,
  );
  // Warm-up, untimed: the first run would otherwise also pay for compiling every step's code.
  await run(file, {});
  const rows: string[] = [];
  let base = Number.NaN;
  for (const c of CASES) {
    let best: { secs: number; stats: IngestStats } | undefined;
    for (let r = 0; r < REPEATS; r++) {
      const result = await run(file, c.options);
      if (!best || result.secs < best.secs) best = result;
    }
    const { secs, stats } = best as { secs: number; stats: IngestStats };
    const pps = N / secs;
    if (c === CASES[0]) base = pps;
    const cleaned = stats.steps.lines?.kept?.cleaned ?? 0;
    const row = `| ${c.label} | ${pps.toFixed(0)} | ${(mb / secs).toFixed(2)} | ${(pps / base).toFixed(2)} | ${stats.accepted} | ${cleaned} | ${reasons(stats)} |`;
    console.log(row);
    rows.push(row);
  }
  // Twice: the first pass also compiles each step's code.
  await stepTimes(file);
  const times = await stepTimes(file);
  const perPage = times.reduce((sum, t) => sum + (t.us * t.docs) / N, 0);
  const timeRows = times.map(
    (t) =>
      `| ${t.step} | ${t.docs} | ${t.us.toFixed(0)} | ${(((t.us * t.docs) / N / perPage) * 100).toFixed(0)} % |`,
  );
  for (const row of timeRows) console.log(row);
  const timeTable = [
    "| step | documents in | µs per document in | share of the steps' time |",
    '| ---- | ------------ | ------------------ | ------------------------ |',
    ...timeRows,
  ].join('\n');
  const table = [
    '| case | pages/s | MB/s of WARC | × every step on | accepted | lines step cleaned | rejected by reason |',
    '| ---- | ------- | ------------ | --------------- | -------- | ------------------ | ------------------ |',
    ...rows,
  ].join('\n');
  if (WRITE) {
    const head = `## Ingest of WARC, step by step (bench/ingest-warc.ts) — ${new Date().toISOString().slice(0, 10)}`;
    const body =
      `${ran} ${N} pages (${mb.toFixed(1)} MB gzip WARC, request + response ` +
      `records; every 10th a near-duplicate, every 20th German); best of ${REPEATS} runs per case; ${m.cores} × ${m.cpu}, Node ${m.node}.`;
    const timesBody =
      `${ran} The same pages through the steps on one thread without Kafka ` +
      `(a dry run, as \`ipt ingest --explain\` does), each step's \`process\` timed; ${(perPage / 1000).toFixed(2)} ms ` +
      'per page in all. produce is absent (no Kafka); chunk counts tokens inline.';
    writeResultsBlock(
      'ingest-warc',
      `${head}\n\n### Cost of each step\n\n${body}\n\n${table}\n\n### Time in each step\n\n${timesBody}\n\n${timeTable}`,
      true,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
