import { describe, expect, it } from 'vitest';
import { chunkDocId, contentHash, docIdFor, givenId, MAX_ID_LENGTH } from '../../services/ingest/ids.ts';
import { splitForBudget } from '../../services/ingest/tokenize.ts';

describe('document ids', () => {
  it('keeps the id a source gave', () => {
    expect(docIdFor('doc-42', 'http://a', 'text')).toBe('doc-42');
  });

  it('derives a stable id from url + text when none is given', () => {
    const a = docIdFor(null, 'http://example.com/a', 'Some text.');
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(docIdFor(null, 'http://example.com/a', 'Some text.')).toBe(a);
    expect(docIdFor(null, 'http://example.com/b', 'Some text.')).not.toBe(a);
    expect(docIdFor(null, 'http://example.com/a', 'Other text.')).not.toBe(a);
    expect(docIdFor(null, null, 'Some text.')).not.toBe(a);
  });

  it('does not let url and text run together', () => {
    expect(docIdFor(null, 'ab', 'c')).not.toBe(docIdFor(null, 'a', 'bc'));
  });

  it('names chunk i of a parent <parent>#<i>', () => {
    expect(chunkDocId('abc', 2)).toBe('abc#2');
  });

  it('accepts string and integer ids, treats empty as none, rejects the rest', () => {
    expect(givenId('  x1 ')).toEqual({ ok: true, id: 'x1' });
    expect(givenId(17)).toEqual({ ok: true, id: '17' });
    expect(givenId('')).toEqual({ ok: true, id: null });
    expect(givenId(null)).toEqual({ ok: true, id: null });
    expect(givenId(1.5)).toMatchObject({ ok: false, reason: 'wrong_field_type' });
    expect(givenId({ a: 1 })).toMatchObject({ ok: false, reason: 'wrong_field_type' });
    expect(givenId('x'.repeat(MAX_ID_LENGTH + 1))).toMatchObject({ ok: false, reason: 'invalid_id' });
    expect(givenId('a\nb')).toMatchObject({ ok: false, reason: 'invalid_id' });
  });

  it('hashes content as hex SHA-256 of the UTF-8 bytes', () => {
    expect(contentHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('splitting for the token budget', () => {
  // A stand-in counter: one token per word, so the expected pieces are easy to see.
  const words = { count: (t: string) => t.split(/\s+/).filter(Boolean).length };

  it('keeps a text that fits as one piece with its count', () => {
    expect(splitForBudget('a b c', 3, words)).toEqual({ tokens: 3, pieces: [{ text: 'a b c', tokens: 3 }] });
  });

  it('chunks a text over the budget, counting the whole once and each piece', () => {
    const split = splitForBudget('a b c d.\n\ne f g h.', 4, words);
    expect(split.tokens).toBe(8);
    expect(split.pieces).toEqual([
      { text: 'a b c d.', tokens: 4 },
      { text: 'e f g h.', tokens: 4 },
    ]);
  });
});
