// Gopher's quality and repetition rules and RefinedWeb's boilerplate lines, on texts built to fail
// one rule each, on the demo corpus (clean English: passes every rule), and as the quality and
// lines steps (their reasons, details and scopes).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.ts';
import { plainDoc } from '../../services/ingest/events.ts';
import { createIngestMetrics } from '../../services/ingest/metrics.ts';
import { boilerplateLine, dropBoilerplateLines } from '../../services/ingest/steps/boilerplate-lines.ts';
import { cleanLinesStep } from '../../services/ingest/steps/clean-lines.ts';
import { decodeStep } from '../../services/ingest/steps/decode.ts';
import {
  DEFAULT_QUALITY,
  parseQualityRules,
  qualityOptions,
  qualityStep,
} from '../../services/ingest/steps/quality.ts';
import {
  checkDocument,
  checkRepetition,
  type QualityRule,
  GOPHER_THRESHOLDS as T,
} from '../../services/ingest/steps/quality-rules.ts';
import { StepRunner } from '../../services/ingest/steps/runner.ts';
import type { Doc, Verdict } from '../../services/ingest/steps/step.ts';
import { emptyStats, Tally } from '../../services/ingest/steps/tally.ts';

const demo: string[] = readFileSync('demo/corpus/sample.jsonl', 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => (JSON.parse(l) as { text: string }).text);
const clean = demo[0] as string;

/** Distinct sentences of the demo corpus (clean prose), so only the rule under test can fail. */
const prose = [
  ...new Set(demo.flatMap((t) => t.split(/(?<=\.)\s+/u)).filter((s) => s.split(' ').length >= 12)),
];
const sentences = (n: number) => prose.slice(0, n);

const ruleOf = (text: string, skip: QualityRule[] = []) =>
  (checkDocument(text, T, new Set(skip)) ?? checkRepetition(text, T, new Set(skip)))?.rule ?? null;

describe('Gopher rules', () => {
  it('pass every document of the demo corpus', () => {
    expect(demo).toHaveLength(51);
    expect(demo.map((text) => ruleOf(text)).filter((r) => r !== null)).toEqual([]);
  });

  it.each<[QualityRule, string]>([
    ['word_count', 'The harbour bridge reopened to traffic on Monday morning with the ferries.'],
    ['word_count', `${'word and the '.repeat(34_000)}`],
    ['mean_word_length', Array.from({ length: 80 }, (_, i) => `a b to of the ${i}`).join(' ')],
    [
      'mean_word_length',
      `the and ${Array.from({ length: 60 }, (_, i) => `internationalization${i}`).join(' ')}`,
    ],
    ['hash_ratio', `${sentences(5).join(' ')} ${'#tag '.repeat(20)}`],
    [
      'ellipsis_ratio',
      sentences(5)
        .map((s) => `${s} and so on... more… more...`)
        .join(' '),
    ],
    [
      'bullet_lines',
      sentences(10)
        .map((s) => `• ${s}`)
        .join('\n'),
    ],
    [
      'ellipsis_lines',
      sentences(10)
        .map((s, i) => (i % 2 ? s : `${s.slice(0, -1)}…`))
        .join('\n'),
    ],
    [
      'alpha_words',
      `${sentences(5).join(' ')} ${Array.from({ length: 60 }, (_, i) => `${i * 13}`).join(' ')}`,
    ],
    ['stop_words', Array.from({ length: 60 }, (_, i) => `Gadget${i} sells cheap widgets online`).join('. ')],
  ])('%s rejects what it should', (rule, text) => {
    expect(ruleOf(text)).toBe(rule);
    // …and with that rule off, the text gets past it.
    expect(ruleOf(text, [rule])).not.toBe(rule);
  });

  it('repetition rules catch repeated paragraphs, lines and n-grams', () => {
    const para = sentences(3).join(' ');
    expect(ruleOf(`${para}\n\n${para}\n\n${sentences(2).join(' ')}`)).toBe('dup_paragraphs');
    const lines = sentences(8);
    const repeated = [...lines, ...lines.slice(0, 4)].join('\n');
    expect(ruleOf(repeated, ['dup_paragraph_chars'])).toBe('dup_lines');
    const onePhrase = `${sentences(6).join(' ')} ${'buy cheap shoes now '.repeat(30)}`;
    const found = checkRepetition(onePhrase, T);
    expect(found?.rule).toBe('top_ngram_chars');
    expect(found?.n).toBe(2);
    const copied = `${sentences(8).join(' ')} ${sentences(8).slice(2, 6).join(' ')}`;
    const dup = checkRepetition(copied, T);
    expect(dup?.rule).toBe('dup_ngram_chars');
    expect(dup?.n).toBe(5);
  });

  it('does not call a once-seen n-gram repeated', () => {
    expect(checkRepetition(sentences(10).join(' '), T)).toBeNull();
  });
});

describe('boilerplate lines', () => {
  it('finds chrome, counters, upper-case and one-word lines, not text', () => {
    expect(boilerplateLine('Read more')).toBe('chrome');
    expect(boilerplateLine('Share this article on Facebook')).toBe('chrome');
    expect(boilerplateLine('We use cookies to improve your experience.')).toBe('chrome');
    expect(boilerplateLine('12 comments')).toBe('counter');
    expect(boilerplateLine('2024-03-01 | 14:22')).toBe('numeric');
    expect(boilerplateLine('HOME  NEWS  SPORT  CONTACT')).toBe('uppercase');
    expect(boilerplateLine('Menu')).toBe('one_word');
    expect(boilerplateLine(clean.split('\n')[2] as string)).toBeNull();
    // A long line that mentions cookies is text.
    expect(
      boilerplateLine('My grandmother baked cookies every Sunday for the whole street and we all came.'),
    ).toBeNull();
  });

  it('drops them and keeps the paragraphs', () => {
    const text = `Menu\nHOME NEWS\n\n${sentences(2).join(' ')}\n\nRead more\n\n${sentences(1).join('')}\n12 likes`;
    const out = dropBoilerplateLines(text);
    expect(out.lines).toBe(4);
    expect(out.text).toBe(`${sentences(2).join(' ')}\n\n${sentences(1).join('')}`);
    expect(dropBoilerplateLines(clean)).toMatchObject({ lines: 0, text: clean });
  });
});

const doc = (text: string, extra: Partial<Doc> = {}): Doc => ({
  ...plainDoc(text, { source: 'test', origin: 'line 1' }),
  ...extra,
});

const sync = (v: Verdict | Promise<Verdict>) => {
  if (v instanceof Promise) throw new Error('steps answer at once');
  return v;
};

describe('the quality step', () => {
  const step = qualityStep(DEFAULT_QUALITY);

  it('keeps a clean text and dead-letters a failing one with its rule', () => {
    expect(sync(step.process(doc(clean))).kind).toBe('keep');
    const v = sync(step.process(doc('Too short to be a web page worth training on.')));
    expect(v).toMatchObject({
      kind: 'reject',
      reason: 'quality:word_count',
      detail: { rule: 'word_count', value: '10', limit: '50' },
    });
  });

  it('skips the rules it is told to', () => {
    const lenient = qualityStep({ ...DEFAULT_QUALITY, skip: parseQualityRules('word_count,stop_words') });
    expect(sync(lenient.process(doc('Too short to be a web page worth training on.'))).kind).toBe('keep');
    expect(() => parseQualityRules('word_count,nope')).toThrow(/unknown quality rule "nope"/);
  });
});

describe('the lines step', () => {
  const page = `${clean}\n\nShare this\n12 comments`;

  it('cleans extracted HTML only, by default', () => {
    const step = cleanLinesStep({ scope: 'html', maxRemovedShare: 0.05 });
    const given = sync(step.process(doc(page)));
    expect(given).toMatchObject({ kind: 'keep', doc: { text: page } });
    const extracted = sync(step.process(doc(page, { html: false })));
    expect(extracted).toMatchObject({ kind: 'keep', how: 'cleaned', detail: { lines_removed: '2' } });
    if (extracted.kind === 'keep') {
      expect(extracted.doc.text).toBe(clean);
      expect(extracted.doc.metadata.lines_removed).toBe('2');
    }
  });

  it('cleans every text when opted in, and drops a text that was mostly chrome', () => {
    const step = cleanLinesStep({ scope: 'all', maxRemovedShare: 0.05 });
    expect(sync(step.process(doc(page)))).toMatchObject({ kind: 'keep', how: 'cleaned' });
    const chrome = `${sentences(3).join('\n')}\nSign in\nSubscribe to our newsletter\nRead more\nPrivacy policy\n© 2024 Example`;
    expect(sync(step.process(doc(chrome)))).toMatchObject({
      kind: 'reject',
      reason: 'quality:boilerplate_lines',
      detail: { rule: 'boilerplate_lines', lines_removed: '5' },
    });
    const lenient = cleanLinesStep({ scope: 'all', maxRemovedShare: null });
    expect(sync(lenient.process(doc(chrome)))).toMatchObject({
      kind: 'keep',
      doc: { text: sentences(3).join('\n') },
    });
  });
});

describe('counting removed lines', () => {
  it('sums them per step, in the stats and in /metrics', async () => {
    const metrics = createIngestMetrics();
    const tally = new Tally(emptyStats(), metrics);
    const runner = new StepRunner({
      decode: decodeStep(),
      steps: [cleanLinesStep({ scope: 'html', maxRemovedShare: 0.05 })],
      deadLetters: async () => ({ delivered: Promise.resolve() }),
      tally,
      log: createLogger('quality-test', 'silent'),
    });
    await runner.run(doc(`${clean}\n\nShare this\n12 comments`, { html: false }));
    await runner.run(doc(`Read more\n\n${demo[1]}`, { html: false }));
    await runner.run(doc(demo[2] as string, { html: false }));
    await runner.run(doc(`${demo[3]}\nRead more`)); // not extracted from HTML: kept as given
    expect(tally.stats.steps.lines).toMatchObject({
      in: 4,
      out: 4,
      kept: { cleaned: 2, unchanged: 1 },
      amounts: { lines_removed: 3 },
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('ipt_ingest_step_amount_total{step="lines",what="lines_removed"} 3');
  });
});

describe('the settings', () => {
  it('turn the steps and the boilerplate drop on and off', () => {
    expect(qualityOptions({})).toEqual({
      quality: { skip: [], thresholds: T },
      cleanLines: { scope: 'html', maxRemovedShare: 0.05 },
    });
    expect(qualityOptions({ quality: false })).toEqual({
      cleanLines: { scope: 'html', maxRemovedShare: null },
    });
    expect(
      qualityOptions({ quality: { skip: ['boilerplate_lines'] }, cleanLines: 'all' }).cleanLines,
    ).toEqual({
      scope: 'all',
      maxRemovedShare: null,
    });
    expect(qualityOptions({ cleanLines: 'off' }).cleanLines).toBeUndefined();
    expect(qualityOptions({ quality: { thresholds: { minWords: 20 } } }).quality?.thresholds).toEqual({
      ...T,
      minWords: 20,
    });
  });
});
