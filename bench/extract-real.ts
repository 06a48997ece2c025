// Main-content extraction on real pages against trafilatura, in the same run:
// `node bin/run-ts.js bench/extract-real.ts` (the set: bench/real-pages/, built by its build.ts).
// For ipt's extract step and for trafilatura: word-token recall and precision against each page's
// main content as its layout marks it, pages with chrome lines left, pages emptied (under half of
// the main content kept); ipt's lines against trafilatura's (share of trafilatura's lines ipt has,
// share of ipt's lines trafilatura has); then the lines and quality steps on each extraction (drops
// by rule, chrome left in the pages kept); and ms per page on one thread (fastest of the passes).

import { plainDoc } from '../services/ingest/events.ts';
import { type ExtractMode, extractText } from '../services/ingest/html.ts';
import { cleanLinesStep, DEFAULT_MAX_REMOVED_SHARE } from '../services/ingest/steps/clean-lines.ts';
import { DEFAULT_QUALITY, qualityStep } from '../services/ingest/steps/quality.ts';
import type { Doc, Verdict } from '../services/ingest/steps/step.ts';
import { chromeLeft, type Marked, overlap, score, wordTokens } from '../tests/helpers/extraction-score.ts';
import { layouts, type RealPage, realPages } from './real-pages/pages.ts';
import { trafilatura } from './trafilatura.ts';

const REPEATS = Number(process.env.IPT_BENCH_REPEATS ?? 3);

interface Run {
  name: string;
  texts: string[];
  msPerPage: number;
  /** Pages whose main content was found (the lines step drops none of them for chrome). */
  main: boolean[];
}

function ipt(pages: RealPage[], mode: ExtractMode): Run {
  let found: ReturnType<typeof extractText>[] = [];
  let seconds = Number.POSITIVE_INFINITY;
  for (let i = 0; i < REPEATS; i++) {
    const start = performance.now();
    found = pages.map((p) => extractText(p.html, mode));
    seconds = Math.min(seconds, (performance.now() - start) / 1000);
  }
  const texts = found.map((f) => f.text);
  const main = found.map((f) => f.path === 'readability');
  return { name: `ipt extract (${mode})`, texts, main, msPerPage: (1000 * seconds) / pages.length };
}

/** Share of `ref`'s lines (as word-token runs) found in `out`'s words, pooled over the pages. */
function lineCover(outs: readonly string[], refs: readonly string[]): number {
  let found = 0;
  let total = 0;
  outs.forEach((out, i) => {
    const words = ` ${wordTokens(out).join(' ')} `;
    for (const line of (refs[i] ?? '').split('\n')) {
      const tokens = wordTokens(line);
      if (tokens.length === 0) continue;
      total++;
      if (words.includes(` ${tokens.join(' ')} `)) found++;
    }
  });
  return total === 0 ? 1 : found / total;
}

const emptied = (pages: readonly Marked[], texts: readonly string[]) =>
  pages.filter((p, i) => overlap(texts[i] ?? '', p.article).recall < 0.5).length;

interface Outcome {
  kept: number;
  drops: Map<string, number>;
  /** Kept pages with chrome lines left after the lines step. */
  keptWithChrome: number;
}

/** The lines and quality steps, as ingest runs them by default, on each extracted text. */
function qualitySteps(pages: readonly Marked[], texts: readonly string[], main: readonly boolean[]): Outcome {
  const steps = [
    cleanLinesStep({ scope: 'html', maxRemovedShare: DEFAULT_MAX_REMOVED_SHARE }),
    qualityStep(DEFAULT_QUALITY),
  ];
  const drops = new Map<string, number>();
  let kept = 0;
  let keptWithChrome = 0;
  pages.forEach((page, i) => {
    let doc: Doc = {
      ...plainDoc(texts[i] ?? '', { source: 'bench', origin: String(i) }),
      html: false,
      mainContent: main[i] ?? false,
    };
    for (const step of steps) {
      const verdict = step.process(doc) as Verdict;
      if (verdict.kind !== 'keep') {
        const reason = verdict.kind === 'reject' ? verdict.reason : verdict.kind;
        drops.set(reason, (drops.get(reason) ?? 0) + 1);
        return;
      }
      doc = verdict.doc;
    }
    kept++;
    if (chromeLeft(doc.text, page).length > 0) keptWithChrome++;
  });
  return { kept, drops, keptWithChrome };
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

const pages = realPages();
const started = Date.now();
const reference = trafilatura(
  pages.map((p) => p.html),
  1,
);
const runs: Run[] = [
  ipt(pages, 'readability'),
  ipt(pages, 'text'),
  {
    name: `trafilatura ${reference.version}`,
    texts: reference.bodies,
    msPerPage: (1000 * reference.seconds) / pages.length,
    main: reference.bodies.map(() => true),
  },
];
const traf = reference.bodies;
const kb = pages.reduce((n, p) => n + p.html.length, 0) / pages.length / 1024;
console.log(
  `${pages.length} pages, ${layouts().length} layouts, ${kb.toFixed(1)} KB of HTML per page on average; trafilatura took ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
console.log(
  '| extraction | recall | precision | pages with chrome | chrome lines | pages emptied | lines of trafilatura kept | lines trafilatura has | ms/page |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const run of runs) {
  const s = score(pages, run.texts);
  console.log(
    `| ${run.name} | ${pct(s.recall)} | ${pct(s.precision)} | ${s.pagesWithChrome} | ${s.chromeLines} | ${emptied(pages, run.texts)} | ${pct(lineCover(run.texts, traf))} | ${pct(lineCover(traf, run.texts))} | ${run.msPerPage.toFixed(2)} |`,
  );
}

console.log(
  '\nPer layout: recall / precision / pages with chrome, ipt (readability) then trafilatura, and the lines of each the other has',
);
console.log(
  '| layout | pages | ipt recall | ipt precision | ipt chrome | trafilatura recall | trafilatura precision | trafilatura chrome | lines of trafilatura kept | lines trafilatura has |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const layout of layouts()) {
  const idx = pages.flatMap((p, i) => (p.layout === layout.name ? [i] : []));
  const sub = idx.map((i) => pages[i] as RealPage);
  const a = score(
    sub,
    idx.map((i) => runs[0]?.texts[i] ?? ''),
  );
  const b = score(
    sub,
    idx.map((i) => traf[i] ?? ''),
  );
  const ours = idx.map((i) => runs[0]?.texts[i] ?? '');
  const theirs = idx.map((i) => traf[i] ?? '');
  console.log(
    `| ${layout.name} | ${sub.length} | ${pct(a.recall)} | ${pct(a.precision)} | ${a.pagesWithChrome} | ${pct(b.recall)} | ${pct(b.precision)} | ${b.pagesWithChrome} | ${pct(lineCover(ours, theirs))} | ${pct(lineCover(theirs, ours))} |`,
  );
}

console.log('\nThe lines and quality steps (defaults) on each extraction');
console.log('| extraction | kept | kept with chrome left | dropped, by reason |');
console.log('|---|---|---|---|');
for (const run of runs) {
  const o = qualitySteps(pages, run.texts, run.main);
  const drops = [...o.drops].sort((x, y) => y[1] - x[1]).map(([r, n]) => `${r} ${n}`);
  console.log(
    `| ${run.name} | ${o.kept} | ${o.keptWithChrome} (${pct(o.keptWithChrome / Math.max(1, o.kept))}) | ${drops.join(', ') || '–'} |`,
  );
}
if (process.env.IPT_BENCH_DETAIL) {
  pages.forEach((p, i) => {
    const left = chromeLeft(runs[0]?.texts[i] ?? '', p);
    const o = overlap(runs[0]?.texts[i] ?? '', p.article);
    if (left.length > 0 || o.recall < 0.9 || o.precision < 0.9)
      console.log(
        `${p.path} recall ${pct(o.recall)} precision ${pct(o.precision)} chrome ${JSON.stringify(left.slice(0, 6))}`,
      );
  });
}
