// The short-piece BPE encoder must give exactly the whole-text encoder's ids: it replaces it for
// every cache miss in the token counts that budgets and records rely on. (Both against the
// serving stack's tokenizer: tests/integration/tokenizer-reference.test.ts.)

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bpeEncoder, mergesByScore, pieceEncoder } from '../../core/bpe.ts';
import { mistralBpeModel } from '../../core/mistral.ts';

const model = mistralBpeModel();
const encoder = pieceEncoder(model);
const whole = bpeEncoder(model);
const reference = (piece: string) => whole.encode(piece);

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

describe('pieceEncoder and bpeEncoder (core/bpe.ts) on the Mistral-7B-v0.1 model', () => {
  it('encodes every vocabulary token written as text exactly like the whole-text encoder', () => {
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

  it('encodes long texts with the heap as the quadratic scan does on its pieces', () => {
    const words = ['(()).', 'supercalifragilistic', '   ', '日本語', '🙂👍🏽', '\r\n', 'x'];
    const text = Array.from({ length: 400 }, (_, i) => words[(i * 7) % words.length]).join('');
    expect(text.length).toBeGreaterThan(encoder.maxLength);
    // No space inside, so the text is one piece: the heap must reproduce the scan's order exactly.
    const scan = pieceEncoder(model, text.length);
    expect(whole.encode(text)).toEqual(scan.ids(text));
  });

  it('ranks merges by piece score, then piece id, then the halves (tokenizer.json order)', () => {
    const vocab = ['<unk>', 'a', 'b', 'c', 'ab', 'bc', 'abc', '\u2581'];
    // "abc" scores best, so both of its splits come first, the one with the smaller left id first.
    expect(mergesByScore(vocab, [0, 0, 0, 0, -5, -6, -1, 0])).toEqual([
      [1, 5],
      [4, 3],
      [1, 2],
      [2, 3],
    ]);
    // Without "abc", whichever of "ab" / "bc" scores better takes the middle "b".
    const two = vocab.slice(0, 6).concat('\u2581');
    const abFirst = bpeEncoder({ vocab: two, merges: mergesByScore(two, [0, 0, 0, 0, -1, -2, 0]) });
    const bcFirst = bpeEncoder({ vocab: two, merges: mergesByScore(two, [0, 0, 0, 0, -2, -1, 0]) });
    expect(abFirst.encode('abc')).toEqual([6, 4, 3]);
    expect(bcFirst.encode('abc')).toEqual([6, 1, 5]);
    // A tie (the same pair twice) goes to the leftmost.
    expect(abFirst.encode('abab')).toEqual([6, 4, 4]);
  });

  it('refuses pieces longer than it was built for', () => {
    expect(() => encoder.count('x'.repeat(encoder.maxLength + 1))).toThrow(RangeError);
    expect(encoder.count('x'.repeat(encoder.maxLength))).toBe(
      reference('x'.repeat(encoder.maxLength)).length,
    );
  });
});
