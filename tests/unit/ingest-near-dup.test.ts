// MinHash + LSH near-duplicate detection, pure: signatures estimate Jaccard similarity, the window
// finds near-duplicates (small edits, different boilerplate) and names the kept document, keeps
// different documents, evicts past capacity, forgets on undo; and on the demo corpus drops none.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { plainDoc } from '../../services/ingest/events.ts';
import {
  candidateProbability,
  DEFAULT_MINHASH,
  shingleHashes,
  signature,
  signatureBytes,
  signatureFromBytes,
  similarity,
} from '../../services/ingest/minhash.ts';
import { lshShape, NearDupWindow } from '../../services/ingest/near-dup.ts';
import { nearDupStep } from '../../services/ingest/steps/near-dup.ts';
import type { Doc, Step, Verdict } from '../../services/ingest/steps/step.ts';

/** The near-dup step answers at once. */
const verdictOf = (step: Step, d: Doc): Verdict => step.process(d) as Verdict;

const demo = readFileSync(new URL('../../demo/corpus/sample.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as { id: string; text: string });

const article = demo[0]?.text ?? '';
const other = demo[1]?.text ?? '';

/** The exact Jaccard similarity of two texts' shingle sets. */
function jaccard(a: string, b: string): number {
  const x = shingleHashes(a, DEFAULT_MINHASH);
  const y = shingleHashes(b, DEFAULT_MINHASH);
  let both = 0;
  for (const h of x) if (y.has(h)) both++;
  return both / (x.size + y.size - both);
}

/** The article with every `n`th word changed. */
const edited = (text: string, n: number) =>
  text
    .split(' ')
    .map((w, i) => (i % n === n - 1 ? `${w}x` : w))
    .join(' ');

const doc = (id: string, text: string): Doc => plainDoc(text, { source: 'test', origin: id }, { id });

describe('MinHash signatures', () => {
  it('estimate the Jaccard similarity of word 5-gram sets', () => {
    for (const n of [15, 30, 60]) {
      const b = edited(article, n);
      const estimate = similarity(signature(article), signature(b));
      expect(Math.abs(estimate - jaccard(article, b))).toBeLessThan(0.12);
    }
    expect(similarity(signature(article), signature(article))).toBe(1);
    expect(similarity(signature(article), signature(other))).toBeLessThan(0.1);
  });

  it('ignore case and punctuation, and round-trip through header bytes', () => {
    expect(
      similarity(signature('The Cat, sat on the MAT today!'), signature('the cat sat on the mat today')),
    ).toBe(1);
    const sig = signature(article);
    expect(signatureFromBytes(signatureBytes(sig), DEFAULT_MINHASH)).toEqual(sig);
    expect(signatureFromBytes(Buffer.alloc(3), DEFAULT_MINHASH)).toBeNull();
  });

  it("take DataTrove's 14 × 8 bands for the default threshold 0.8", () => {
    const shape = lshShape(0.8);
    expect([shape.bands, shape.rows]).toEqual([14, 8]);
    expect(candidateProbability(0.9, shape)).toBeGreaterThan(0.99);
    expect(candidateProbability(0.5, shape)).toBeLessThan(0.06);
    const loose = lshShape(0.5);
    expect(loose.bands * loose.rows).toBe(112);
    expect(candidateProbability(0.5, loose)).toBeGreaterThan(0.8);
  });
});

describe('the near-duplicate window and step', () => {
  it('drops small edits and boilerplate differences, naming the kept document', () => {
    const step = nearDupStep(new NearDupWindow(100));
    expect(step.process(doc('kept', article))).toMatchObject({ kind: 'keep' });
    const variants = [
      edited(article, 80),
      `Home | News | Sport | Weather\n${article}\nCopyright 2026 News Example. All rights reserved.`,
      article.replace(/\n/g, ' ').toUpperCase(),
    ];
    for (const [i, text] of variants.entries()) {
      const verdict = verdictOf(step, doc(`v${i}`, text));
      expect(verdict).toMatchObject({ kind: 'reject', reason: 'near_duplicate' });
      if (verdict.kind !== 'reject') continue;
      expect(verdict.detail?.kept_doc_id).toBe('kept');
      expect(Number(verdict.detail?.similarity)).toBeGreaterThanOrEqual(0.8);
    }
  });

  it('keeps different documents and heavy edits, and records the signature for the header', () => {
    const step = nearDupStep(new NearDupWindow(100));
    const d = doc('a', article);
    step.process(d);
    expect(d.minhash).toEqual(signature(article));
    expect(step.process(doc('b', other))).toMatchObject({ kind: 'keep' });
    expect(jaccard(article, edited(article, 4))).toBeLessThan(0.5);
    expect(step.process(doc('c', edited(article, 4)))).toMatchObject({ kind: 'keep' });
  });

  it('honours the threshold, evicts the oldest past capacity and forgets on undo', () => {
    const b = edited(article, 12);
    const j = jaccard(article, b);
    const strict = new NearDupWindow(10, 0.99);
    strict.add('a', signature(article));
    expect(strict.match(signature(b))).toBeNull();
    const loose = new NearDupWindow(10, Math.max(0.05, j - 0.2));
    loose.add('a', signature(article));
    expect(loose.match(signature(b))?.docId).toBe('a');

    const w = new NearDupWindow(2);
    w.add('a', signature(article));
    w.add('b', signature(other));
    w.add('c', signature(demo[2]?.text ?? ''));
    expect([w.size, w.has('a'), w.match(signature(article))]).toEqual([2, false, null]);

    const step = nearDupStep(new NearDupWindow(10));
    const verdict = verdictOf(step, doc('x', article));
    if (verdict.kind !== 'keep') throw new Error('expected keep');
    verdict.undo?.();
    expect(step.process(doc('y', article))).toMatchObject({ kind: 'keep' });
  });

  it('finds no near-duplicates in the demo corpus', () => {
    const w = new NearDupWindow(1000);
    const drops = demo.filter((d) => {
      const sig = signature(d.text, w.params);
      if (w.match(sig)) return true;
      w.add(d.id, sig);
      return false;
    });
    expect(drops.map((d) => d.id)).toEqual([]);
    expect(w.size).toBe(demo.length);
  });
});
