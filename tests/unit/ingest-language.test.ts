// The language step with eld's real database: what it records on a document, what it dead-letters
// (reason `language`, the language and score in the context) and counts, the `all` and list
// settings; and its accuracy on the labelled multilingual sample (bench/language-sample.ts), with
// floors that fail if the detector, its database or the threshold get worse.

import { beforeAll, describe, expect, it } from 'vitest';
import { garbageSample, type LabelledText, languageSample } from '../../bench/language-sample.ts';
import type { DeadLetter } from '../../core/types.ts';
import { createLogger } from '../../lib/log.ts';
import type { SourceEvent } from '../../services/ingest/events.ts';
import { plainDoc } from '../../services/ingest/events.ts';
import { createIngestMetrics } from '../../services/ingest/metrics.ts';
import { ingestDeadLetter } from '../../services/ingest/steps/dead-letters.ts';
import { decodeStep } from '../../services/ingest/steps/decode.ts';
import {
  DEFAULT_MIN_LANGUAGE_SCORE,
  type LanguageDetector,
  type LanguageOptions,
  languageOptions,
  languageStep,
  loadLanguageDetector,
  parseLanguages,
} from '../../services/ingest/steps/language.ts';
import { rawDocuments } from '../../services/ingest/steps/produce.ts';
import { StepRunner } from '../../services/ingest/steps/runner.ts';
import type { Doc, Verdict } from '../../services/ingest/steps/step.ts';
import { emptyStats, Tally } from '../../services/ingest/steps/tally.ts';
import { ENGLISH, FRENCH, GERMAN, REVERSED } from '../helpers/language-texts.ts';

let detect: LanguageDetector;
beforeAll(async () => {
  detect = await loadLanguageDetector();
});

const docOf = (text: string, n = 1): Doc =>
  plainDoc(text, { source: 'jsonl:test', origin: `line ${n}` }, { url: `http://example.com/${n}` });

const options = (o: Partial<LanguageOptions> = {}): LanguageOptions => ({
  detect,
  accept: ['en'],
  minScore: DEFAULT_MIN_LANGUAGE_SCORE,
  ...o,
});

const run = (text: string, o?: Partial<LanguageOptions>) => {
  const doc = docOf(text);
  return { doc, verdict: languageStep(options(o)).process(doc) as Verdict };
};

describe('the language step', () => {
  it('records the language and its score on an English document and keeps it', () => {
    const { doc, verdict } = run(ENGLISH);
    expect(verdict.kind).toBe('keep');
    expect(doc.lang).toBe('en');
    expect(doc.langScore).toBeGreaterThanOrEqual(DEFAULT_MIN_LANGUAGE_SCORE);
    expect(doc.langScore).toBeLessThanOrEqual(1);
  });

  it('rejects a language outside the accepted ones with reason language, naming it and its score', () => {
    const { doc, verdict } = run(GERMAN);
    expect(verdict).toMatchObject({ kind: 'reject', reason: 'language', detail: { language: 'de' } });
    if (verdict.kind !== 'reject') throw new Error('not rejected');
    expect(Number(verdict.detail?.language_score)).toBeCloseTo(doc.langScore ?? -1, 3);
    expect(verdict.message).toContain('de');
  });

  it('rejects English-looking junk scored under the threshold, naming the threshold', () => {
    const { doc, verdict } = run(REVERSED);
    expect(doc.langScore).toBeLessThan(DEFAULT_MIN_LANGUAGE_SCORE);
    expect(verdict).toMatchObject({
      kind: 'reject',
      reason: 'language',
      detail: { min_language_score: String(DEFAULT_MIN_LANGUAGE_SCORE) },
    });
  });

  it('keeps every listed language, and with `all` keeps everything while still recording it', () => {
    expect(run(GERMAN, { accept: ['en', 'de'] }).verdict.kind).toBe('keep');
    expect(run(FRENCH, { accept: ['en', 'de'] }).verdict.kind).toBe('reject');
    const all = run(FRENCH, { accept: 'all' });
    expect(all.verdict.kind).toBe('keep');
    expect(all.doc.lang).toBe('fr');
    expect(run('1234 5678 %%% ###', { accept: 'all' }).verdict.kind).toBe('keep');
  });

  it('a text with no letters is language none, rejected when filtering', () => {
    const { doc, verdict } = run('1234 5678 9012 %%% ### 3.14');
    expect(doc.lang).toBeUndefined();
    expect(verdict).toMatchObject({ kind: 'reject', reason: 'language', detail: { language: 'none' } });
  });
});

describe('language settings', () => {
  it('parses ISO 639-1 lists and all, refuses anything else', () => {
    expect(parseLanguages('en, DE ,fr')).toEqual(['en', 'de', 'fr']);
    expect(parseLanguages('all')).toBe('all');
    expect(() => parseLanguages('english')).toThrow(/ISO 639-1/);
  });

  it('defaults to English at the calibrated threshold; false means no step', async () => {
    expect(await languageOptions({ languages: false })).toBeUndefined();
    const defaults = await languageOptions({});
    expect(defaults).toMatchObject({ accept: ['en'], minScore: DEFAULT_MIN_LANGUAGE_SCORE });
    // Loaded once per process: the same detector, not a second database.
    expect(defaults?.detect).toBe(detect);
  });
});

describe('the runner with the language step', () => {
  it('counts a language drop and dead-letters it with the language and score in the context', async () => {
    const letters: DeadLetter[] = [];
    const tally = new Tally(emptyStats(), createIngestMetrics());
    const runner = new StepRunner({
      decode: decodeStep(),
      steps: [languageStep(options())],
      deadLetters: async (input) => {
        letters.push(ingestDeadLetter(input));
        return { delivered: Promise.resolve() };
      },
      tally,
      log: createLogger('ingest-language-test', 'silent'),
    });
    expect((await runner.run(docOf(ENGLISH, 1) as SourceEvent)).status).toBe('accepted');
    expect((await runner.run(docOf(GERMAN, 2) as SourceEvent)).status).toBe('rejected');
    expect(tally.stats.steps.language).toMatchObject({ in: 2, out: 1, dropped: { language: 1 } });
    expect(tally.stats.rejectedByReason).toEqual({ language: 1 });
    expect(letters[0]?.context).toMatchObject({ reason: 'language', language: 'de', step: 'language' });
    expect(Number(letters[0]?.context.language_score)).toBeGreaterThan(0);
    expect(letters[0]?.error_class).toBe('REJECTED_TEXT');
  });

  it('the produced RawDocument carries lang and lang_score, null without the step', () => {
    const { doc } = run(ENGLISH);
    const split = { pieces: [{ text: doc.text, tokens: 40 }], tokens: 40 };
    const [record] = rawDocuments(doc, 'id-1', 'hash', split, 0);
    expect(record).toMatchObject({ lang: 'en', lang_score: doc.langScore });
    const [plain] = rawDocuments(docOf(ENGLISH), 'id-2', 'hash', split, 0);
    expect(plain).toMatchObject({ lang: null, lang_score: null });
  });
});

/** Share of `texts` the default step keeps (English, at or above the threshold). */
function keptShare(texts: readonly LabelledText[]): number {
  const step = languageStep(options());
  const kept = texts.filter((t) => (step.process(docOf(t.text)) as Verdict).kind === 'keep');
  return kept.length / texts.length;
}

describe('accuracy on the labelled sample (figures in bench/RESULTS.md)', () => {
  it('names each language of the sample correctly (≥ 95 % overall, ≥ 80 % in each language)', () => {
    const sample = languageSample();
    const byLang = new Map<string, { ok: number; n: number }>();
    for (const t of sample) {
      const c = byLang.get(t.lang) ?? { ok: 0, n: 0 };
      c.n++;
      if (detect(t.text).lang === t.lang) c.ok++;
      byLang.set(t.lang, c);
    }
    // The sample must really be multilingual, or the floors say nothing.
    expect(byLang.size).toBeGreaterThanOrEqual(15);
    const total = [...byLang.values()].reduce((s, c) => ({ ok: s.ok + c.ok, n: s.n + c.n }), { ok: 0, n: 0 });
    expect(total.ok / total.n).toBeGreaterThanOrEqual(0.95);
    for (const [lang, c] of byLang) if (c.n >= 3) expect(c.ok / c.n, lang).toBeGreaterThanOrEqual(0.8);
  });

  it('keeps clean English and drops other languages and near-garbage at the default threshold', () => {
    const sample = languageSample();
    const english = sample.filter((t) => t.lang === 'en');
    expect(english.length).toBeGreaterThanOrEqual(50);
    expect(keptShare(english)).toBeGreaterThanOrEqual(0.98);
    expect(keptShare(sample.filter((t) => t.lang !== 'en'))).toBe(0);
    expect(keptShare(garbageSample(10))).toBeLessThanOrEqual(0.02);
  });
});
