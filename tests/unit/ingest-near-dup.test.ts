// MinHash + LSH near-duplicate detection, pure: signatures estimate Jaccard similarity; the dedup
// stage's rules (run in one process) find near-duplicates (small edits, different boilerplate) and
// name the kept document, keep different documents, honour the threshold; on the demo corpus they
// drop none.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LocalDedup } from '../../services/dedup/local.ts';
import { dedupSettings } from '../../services/dedup/main.ts';
import { plainDoc } from '../../services/ingest/events.ts';
import { contentHash } from '../../services/ingest/ids.ts';
import {
  candidateProbability,
  DEFAULT_MINHASH,
  lshShape,
  shingleHashes,
  signature,
  signatureBytes,
  signatureFromBytes,
  similarity,
} from '../../services/ingest/minhash.ts';
import { candidateOf } from '../../services/ingest/steps/produce.ts';
import type { Doc } from '../../services/ingest/steps/step.ts';

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

  it('ignore case and punctuation, and round-trip through bytes', () => {
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

describe("the stage's near-duplicate rules, decided in one process (as --explain does)", () => {
  const candidate = (id: string, text: string) => {
    const d = doc(id, text);
    d.minhash = signature(text);
    return candidateOf(d, id, contentHash(text), []);
  };
  const local = (threshold = 0.8) => new LocalDedup(dedupSettings({ nearDupThreshold: threshold }));

  it('drops small edits and boilerplate differences, naming the kept document', () => {
    const dedup = local();
    expect(dedup.decide(candidate('kept', article))).toEqual({ kind: 'kept' });
    const variants = [
      edited(article, 80),
      `Home | News | Sport | Weather\n${article}\nCopyright 2026 News Example. All rights reserved.`,
      article.replace(/\n/g, ' ').toUpperCase(),
    ];
    for (const [i, text] of variants.entries()) {
      const verdict = dedup.decide(candidate(`v${i}`, text));
      expect(verdict).toMatchObject({ kind: 'near_duplicate', keptDocId: 'kept' });
      if (verdict.kind === 'near_duplicate') expect(verdict.similarity).toBeGreaterThanOrEqual(0.8);
    }
    expect(dedup.decide(candidate('copy', article))).toMatchObject({ kind: 'duplicate', keptDocId: 'kept' });
  });

  it('keeps different documents and heavy edits', () => {
    const dedup = local();
    dedup.decide(candidate('a', article));
    expect(dedup.decide(candidate('b', other))).toEqual({ kind: 'kept' });
    expect(jaccard(article, edited(article, 4))).toBeLessThan(0.5);
    expect(dedup.decide(candidate('c', edited(article, 4)))).toEqual({ kind: 'kept' });
  });

  it('honours the threshold', () => {
    const b = edited(article, 12);
    const j = jaccard(article, b);
    const strict = local(0.99);
    strict.decide(candidate('a', article));
    expect(strict.decide(candidate('b', b))).toEqual({ kind: 'kept' });
    const loose = local(Math.max(0.05, j - 0.2));
    loose.decide(candidate('a', article));
    expect(loose.decide(candidate('b', b))).toMatchObject({ kind: 'near_duplicate', keptDocId: 'a' });
  });

  it('finds no near-duplicates in the demo corpus', () => {
    const dedup = local();
    const drops = demo.filter((d) => dedup.decide(candidate(d.id, d.text)).kind !== 'kept');
    expect(drops.map((d) => d.id)).toEqual([]);
  });
});
