// The language step measured: eld's accuracy per language on the labelled sample
// (bench/language-sample.ts) for each of its databases, the English recall and precision and the
// near-garbage kept at the default threshold and around it (how the threshold was calibrated), and
// the step's cost per 2 KB document. Prints Markdown for bench/RESULTS.md.
// Run: node bin/run-ts.js bench/language.ts

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eld } from 'eld';
import { plainDoc } from '../services/ingest/events.ts';
import {
  DEFAULT_MIN_LANGUAGE_SCORE,
  LANGUAGE_DATABASE,
  type LanguageDetector,
  languageStep,
  loadLanguageDetector,
} from '../services/ingest/steps/language.ts';
import type { Doc } from '../services/ingest/steps/step.ts';
import { garbageSample, type LabelledText, languageSample } from './language-sample.ts';

type Guess = { lang: string; score: number };

function accuracyByLanguage(sample: readonly LabelledText[], guesses: readonly Guess[]) {
  const by = new Map<string, { ok: number; n: number }>();
  sample.forEach((t, i) => {
    const c = by.get(t.lang) ?? { ok: 0, n: 0 };
    c.n++;
    if (guesses[i]?.lang === t.lang) c.ok++;
    by.set(t.lang, c);
  });
  return by;
}

async function databases(sample: readonly LabelledText[], garbage: readonly LabelledText[]): Promise<void> {
  console.log(
    '| database | load ms | heap MB after load | accuracy (all texts) | lowest clean-English score | highest near-garbage English score | wrong |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---|');
  for (const size of ['extrasmall', 'small', 'medium', 'large']) {
    const d = eld.newInstance() as ReturnType<typeof eld.newInstance> & { load(s: string): Promise<unknown> };
    const heap = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    await d.load(size);
    const ms = performance.now() - t0;
    const grown = (process.memoryUsage().heapUsed - heap) / 1e6;
    const wrong = sample.filter((t) => d.detect(t.text).language !== t.lang);
    const share = (1 - wrong.length / sample.length) * 100;
    const named = wrong.map((t) => `${t.from} → ${d.detect(t.text).language || 'none'}`).join('; ');
    const englishScore = (t: LabelledText) => {
      const r = d.detect(t.text);
      return r.language === 'en' ? (r.getScores().en ?? 0) : 0;
    };
    const lowEn = Math.min(...sample.filter((t) => t.lang === 'en').map(englishScore));
    const highJunk = Math.max(...garbage.map(englishScore));
    console.log(
      `| ${size} | ${ms.toFixed(0)} | ${grown.toFixed(0)} | ${share.toFixed(1)} % | ${lowEn.toFixed(3)} | ${highJunk.toFixed(3)} | ${named} |`,
    );
  }
}

function perLanguage(sample: readonly LabelledText[], guesses: readonly Guess[]): void {
  const by = accuracyByLanguage(sample, guesses);
  const cells = [...by.entries()].sort((a, b) => b[1].n - a[1].n).map(([l, c]) => `${l} ${c.ok}/${c.n}`);
  console.log(`\nPer language (${LANGUAGE_DATABASE}): ${cells.join(', ')}`);
}

function atThreshold(
  sample: readonly LabelledText[],
  guesses: readonly Guess[],
  garbage: readonly Guess[],
  t: number,
) {
  const keptEn = (g: Guess) => g.lang === 'en' && g.score >= t;
  const english = guesses.filter((_, i) => sample[i]?.lang === 'en');
  const others = guesses.filter((_, i) => sample[i]?.lang !== 'en');
  const tp = english.filter(keptEn).length;
  const fp = others.filter(keptEn).length + garbage.filter(keptEn).length;
  return {
    recall: tp / english.length,
    precision: tp / Math.max(1, tp + fp),
    garbageKept: garbage.filter(keptEn).length / garbage.length,
  };
}

function thresholds(sample: readonly LabelledText[], guesses: readonly Guess[], garbage: readonly Guess[]) {
  console.log('\n| threshold | English recall | English precision | near-garbage kept |');
  console.log('|---:|---:|---:|---:|');
  for (const t of [0.6, 0.65, 0.68, 0.7, DEFAULT_MIN_LANGUAGE_SCORE, 0.74, 0.76]) {
    const r = atThreshold(sample, guesses, garbage, t);
    const mark = t === DEFAULT_MIN_LANGUAGE_SCORE ? ' (default)' : '';
    console.log(
      `| ${t.toFixed(2)}${mark} | ${(r.recall * 100).toFixed(1)} % | ${(r.precision * 100).toFixed(1)} % | ${(r.garbageKept * 100).toFixed(1)} % |`,
    );
  }
}

function garbageScores(sample: readonly LabelledText[], guesses: readonly Guess[]): void {
  const by = new Map<string, number[]>();
  sample.forEach((t, i) => {
    const scores = by.get(t.from) ?? [];
    if (guesses[i]?.lang === 'en') scores.push(guesses[i]?.score ?? 0);
    by.set(t.from, scores);
  });
  const cells = [...by.entries()].map(
    ([k, s]) => `${k}: ${s.length} as en${s.length ? `, max ${Math.max(...s).toFixed(3)}` : ''}`,
  );
  console.log(`\nNear-garbage named English (of ${sample.length / by.size} each): ${cells.join('; ')}`);
}

function cost(detect: LanguageDetector): void {
  const corpus = readFileSync(join(import.meta.dirname, '../demo/corpus/sample.jsonl'), 'utf8');
  const texts = corpus
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { text: string }).text)
    .map((t) => (t.length >= 2048 ? t : t.repeat(Math.ceil(2048 / t.length))).slice(0, 2048));
  const step = languageStep({ detect, accept: ['en'], minScore: DEFAULT_MIN_LANGUAGE_SCORE });
  const docs: Doc[] = texts.map((text, i) => plainDoc(text, { source: 'bench', origin: `text ${i}` }));
  for (const d of docs) step.process(d);
  const rounds = 200;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const d of docs) step.process(d);
  const us = ((performance.now() - t0) * 1000) / (rounds * docs.length);
  console.log(`\nStep cost: ${us.toFixed(1)} µs per 2 KB document (${rounds * docs.length} documents).`);
}

async function main(): Promise<void> {
  const sample = languageSample();
  const garbage = garbageSample(50);
  console.log(`Sample: ${sample.length} texts; near-garbage: ${garbage.length} texts.\n`);
  await databases(sample, garbage);
  const detect = await loadLanguageDetector();
  const guesses = sample.map((t) => detect(t.text));
  const garbageGuesses = garbage.map((t) => detect(t.text));
  perLanguage(sample, guesses);
  thresholds(sample, guesses, garbageGuesses);
  garbageScores(garbage, garbageGuesses);
  const english = guesses.filter((_, i) => sample[i]?.lang === 'en').map((g) => g.score);
  console.log(
    `Clean English scores: min ${Math.min(...english).toFixed(3)}, max ${Math.max(...english).toFixed(3)}`,
  );
  cost(detect);
}

await main();
