// A labelled multilingual sample for measuring language identification, built at run time from
// text the installed packages ship (nothing copied into this repo): Biome's README in 11
// translations plus its English original, yargs' CLI message catalogues in ~20 languages, and the
// demo corpus (clean English prose). Beside it, generated near-garbage a web crawl is full of
// (minified code, identifiers, hex and base64 blobs, number tables, letter-shuffled words):
// RefinedWeb's English score threshold exists to drop those too.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../core/prng.ts';

export interface LabelledText {
  /** ISO 639-1 code; `garbage` for the generated near-garbage. */
  lang: string;
  /** Where it came from (a file, or the kind of garbage). */
  from: string;
  text: string;
}

const ROOT = join(import.meta.dirname, '..');

/** Biome's README suffixes → ISO 639-1 (`kr` is its name for Korean). */
const BIOME_README: Record<string, string> = {
  '': 'en',
  es: 'es',
  fr: 'fr',
  hi: 'hi',
  ja: 'ja',
  kr: 'ko',
  pl: 'pl',
  'pt-BR': 'pt',
  ru: 'ru',
  uk: 'uk',
  'zh-CN': 'zh',
  'zh-TW': 'zh',
};

/** Markdown reduced to its prose paragraphs (no code, HTML, link targets, tables or headings). */
export function markdownProse(md: string): string[] {
  const text = md
    .replace(/```[\s\S]*?```/g, '\n')
    .replace(/<!--[\s\S]*?-->/g, '\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\[[^\]]*\]/g, '$1')
    .replace(/[*_`]/g, '');
  return (
    text
      .split(/\n\s*\n/)
      .map((p) =>
        p
          .split('\n')
          .filter((l) => !/^\s*(#|\||\[[^\]]+\]:|[-=]{3,})/.test(l))
          .join(' ')
          .replace(/\s+/g, ' ')
          .trim(),
      )
      // A language picker (`हिन्दी | English | Español …`) is no one language.
      .filter((p) => p.length >= 80 && (p.match(/\|/g)?.length ?? 0) < 3)
  );
}

/** Paragraphs joined into texts of at least `minChars` (a short paragraph alone says little). */
function grouped(paragraphs: readonly string[], minChars: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const p of paragraphs) {
    current = current ? `${current}\n\n${p}` : p;
    if (current.length >= minChars) {
      out.push(current);
      current = '';
    }
  }
  if (current.length >= minChars / 2) out.push(current);
  return out;
}

function biomeReadmes(): LabelledText[] {
  const dir = join(ROOT, 'node_modules/@biomejs/biome');
  const out: LabelledText[] = [];
  for (const [suffix, lang] of Object.entries(BIOME_README)) {
    const file = join(dir, suffix ? `README.${suffix}.md` : 'README.md');
    if (!existsSync(file)) continue;
    for (const text of grouped(markdownProse(readFileSync(file, 'utf8')), 300)) {
      out.push({ lang, from: `biome/README${suffix ? `.${suffix}` : ''}.md`, text });
    }
  }
  return out;
}

/** yargs locale file names → ISO 639-1, for the languages eld knows. */
const YARGS_LOCALE: Record<string, string> = {
  be: 'be',
  cs: 'cs',
  de: 'de',
  en: 'en',
  es: 'es',
  fi: 'fi',
  fr: 'fr',
  hi: 'hi',
  hu: 'hu',
  it: 'it',
  ja: 'ja',
  ko: 'ko',
  nb: 'no',
  nl: 'nl',
  pl: 'pl',
  pt: 'pt',
  pt_BR: 'pt',
  ru: 'ru',
  th: 'th',
  tr: 'tr',
  uk_UA: 'uk',
  zh_CN: 'zh',
  zh_TW: 'zh',
};

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** Each catalogue's messages (placeholders dropped, duplicates once) as one text. */
function yargsLocales(): LabelledText[] {
  const dir = join(ROOT, 'node_modules/yargs/locales');
  if (!existsSync(dir)) return [];
  const out: LabelledText[] = [];
  for (const file of readdirSync(dir).sort()) {
    const lang = YARGS_LOCALE[file.replace(/\.json$/, '')];
    if (!lang) continue;
    const messages = strings(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    const text = [...new Set(messages.map((m) => m.replace(/%s/g, '').trim()))].join('. ');
    out.push({ lang, from: `yargs/locales/${file}`, text });
  }
  return out;
}

function demoCorpus(): LabelledText[] {
  const lines = readFileSync(join(ROOT, 'demo/corpus/sample.jsonl'), 'utf8').trim().split('\n');
  return lines.map((l) => ({
    lang: 'en',
    from: 'demo/corpus',
    text: (JSON.parse(l) as { text: string }).text,
  }));
}

/** Every labelled natural-language text. */
export function languageSample(): LabelledText[] {
  return [...demoCorpus(), ...biomeReadmes(), ...yargsLocales()];
}

function minifiedCode(rng: Rng): string {
  const src = readFileSync(join(ROOT, 'node_modules/kafkajs/src/producer/index.js'), 'utf8')
    .replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
    .replace(/\s+/g, ' ');
  const at = rng.int(Math.max(1, src.length - 1500));
  return src.slice(at, at + 1500);
}

function blob(rng: Rng, alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += i % 60 === 59 ? '\n' : alphabet[rng.int(alphabet.length)];
  return s;
}

function numberTable(rng: Rng): string {
  const rows: string[] = [];
  for (let r = 0; r < 40; r++) {
    rows.push(`| ${Array.from({ length: 5 }, () => (rng.float() * 1e4).toFixed(2)).join(' | ')} |`);
  }
  return rows.join('\n');
}

/** English text with each word's letters shuffled: English letters, no English words. */
function shuffledWords(rng: Rng, english: string): string {
  return english.replace(/[A-Za-z]{2,}/g, (w) => rng.shuffle([...w]).join(''));
}

function identifiers(rng: Rng): string {
  const parts = [
    'get',
    'set',
    'Buffer',
    'Id',
    'Async',
    'Handler',
    'cfg',
    'tmp',
    'ptr',
    'idx',
    'Ctx',
    'v2',
    'x86',
  ];
  const out: string[] = [];
  for (let i = 0; i < 150; i++) out.push(`${rng.pick(parts)}${rng.pick(parts)}${rng.pick(parts)}`);
  return out.join(' ');
}

/** `n` texts of each kind of near-garbage, seeded. */
export function garbageSample(n: number, seed = 19): LabelledText[] {
  const rng = new Rng(seed);
  const english = demoCorpus().map((d) => d.text);
  const kinds: Record<string, () => string> = {
    'minified code': () => minifiedCode(rng),
    hex: () => blob(rng, '0123456789abcdef', 1500),
    base64: () => blob(rng, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 1500),
    'number table': () => numberTable(rng),
    'shuffled letters': () => shuffledWords(rng, rng.pick(english).slice(0, 1500)),
    identifiers: () => identifiers(rng),
  };
  return Object.entries(kinds).flatMap(([from, make]) =>
    Array.from({ length: n }, () => ({ lang: 'garbage', from, text: make() })),
  );
}
