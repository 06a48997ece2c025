// The real-page evaluation set: pages of real documentation sites, read from the Debian -doc
// packages that ./manifest.json names (./build.ts installs them), with each page's main content
// and chrome lines taken from its generator's layout (CSS selectors checked by hand on sample
// pages). Nothing third-party is stored in the repository: the set is rebuilt from the packages
// (the blog and wiki layouts rendered by ./render.ts).

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseHTML } from 'linkedom';
import { htmlToText } from '../../services/ingest/html.ts';
import type { ChromePage } from '../../tests/helpers/chrome-pages.ts';
import { bareLine } from '../../tests/helpers/extraction-score.ts';
import type { Render } from './render.ts';

export interface Layout {
  name: string;
  generator: string;
  /** The Debian packages it needs, space-separated. */
  package: string;
  licence: string;
  root: string;
  include: string;
  exclude: string;
  take: number;
  main: string;
  drop: string[];
  chrome: string[];
  /** A site rendered into `root` by ./build.ts, where the layout is a theme rather than pages. */
  render?: Render;
}

/** A page of the set: its file, its layout, and its main content and chrome as its layout marks them. */
export interface RealPage extends Omit<ChromePage, 'layout'> {
  layout: string;
  path: string;
}

export const MANIFEST = join(import.meta.dirname, 'manifest.json');

export function layouts(): Layout[] {
  return (JSON.parse(readFileSync(MANIFEST, 'utf8')) as { layouts: Layout[] }).layouts;
}

/** Packages of the manifest that dpkg does not have installed. */
export function missingPackages(all: readonly Layout[] = layouts()): string[] {
  return [...new Set(all.flatMap((l) => l.package.split(' ')))].filter((pkg) => {
    try {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
      const status = execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
      return !status.includes('install ok installed');
    } catch {
      return true;
    }
  });
}

function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(root, path));
    }
  };
  walk(root);
  return out.sort();
}

/** The layout's pages: its matching files, `take` of them spread evenly over the sorted list. */
export function pagePaths(layout: Layout): string[] {
  if (!existsSync(layout.root)) throw new Error(`${layout.root} is missing: run bench/real-pages/build.ts`);
  const include = new RegExp(layout.include);
  const exclude = new RegExp(layout.exclude);
  const files = filesUnder(layout.root).filter((f) => include.test(f) && !exclude.test(f));
  const take = Math.min(layout.take, files.length);
  return Array.from({ length: take }, (_, i) =>
    join(layout.root, files[Math.floor((i * files.length) / take)] as string),
  );
}

const linesOf = (text: string) =>
  text
    .split('\n')
    .map(bareLine)
    .filter((l) => /\p{L}/u.test(l));

/** The page's main content and chrome lines by its layout's selectors. */
export function markUp(html: string, layout: Layout): { article: string; chrome: string[] } {
  const { document } = parseHTML(html);
  const chromeText = layout.chrome.flatMap((s) =>
    [...document.querySelectorAll(s)].map((e) => htmlToText(e.outerHTML)),
  );
  for (const selector of layout.drop) for (const e of document.querySelectorAll(selector)) e.remove();
  const main = [...document.querySelectorAll(layout.main)].map((e) => htmlToText(e.innerHTML)).join('\n\n');
  const articleLines = new Set(linesOf(main));
  const chrome = [...new Set(chromeText.flatMap(linesOf))].filter((l) => !articleLines.has(l));
  return { article: main, chrome };
}

/** Every page of the set, in manifest order. */
export function realPages(only?: (layout: Layout) => boolean): RealPage[] {
  const all = layouts().filter((l) => !only || only(l));
  const missing = missingPackages(all);
  if (missing.length > 0)
    throw new Error(`packages missing: ${missing.join(' ')} (node bin/run-ts.js bench/real-pages/build.ts)`);
  return all.flatMap((layout) =>
    pagePaths(layout).map((path) => {
      const html = readFileSync(path, 'utf8');
      return { layout: layout.name, path, url: `file://${path}`, html, ...markUp(html, layout) };
    }),
  );
}
