import { describe, expect, it } from 'vitest';
import { DEFAULT_BUDGET, maxTextTokens, promptTokenModel } from '../../core/budget.ts';
import { chunkText } from '../../core/chunk.ts';
import { mistralTokenizer } from '../../core/mistral.ts';
import type { TokenCounter } from '../../core/tokens.ts';

// One token per whitespace-separated word (and per newline run) keeps the expectations readable.
const words: TokenCounter = { count: (t) => t.split(/\s+/).filter(Boolean).length };
const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();

describe('chunkText', () => {
  it('returns a fitting text unchanged', () => {
    expect(chunkText('a b c', 3, words)).toEqual(['a b c']);
  });

  it('splits at paragraphs first, packing whole paragraphs', () => {
    const text = 'a b c.\n\nd e f.\n\ng h i.';
    expect(chunkText(text, 6, words)).toEqual(['a b c.\n\nd e f.', 'g h i.']);
  });

  it('then at sentences inside a paragraph that is too long', () => {
    const text = 'One two three. Four five six! Seven eight nine?\n\nTen.';
    expect(chunkText(text, 4, words)).toEqual([
      'One two three.',
      'Four five six!',
      'Seven eight nine?\n\nTen.',
    ]);
    expect(chunkText('One two. Three four. Five six.', 4, words)).toEqual([
      'One two. Three four.',
      'Five six.',
    ]);
  });

  it('then at words, and at characters for a single overlong word', () => {
    expect(chunkText('a b c d e', 2, words)).toEqual(['a b', 'c d', 'e']);
    const chars: TokenCounter = { count: (t) => t.length };
    expect(chunkText('abcdefg', 3, chars)).toEqual(['abc', 'def', 'g']);
  });

  it('with the real tokenizer: every chunk fits and no word is lost', () => {
    const tok = mistralTokenizer();
    const para = (i: number): string =>
      Array.from({ length: 40 }, (_, j) => `Sentence ${i}.${j} talks about tides, moons and the sea.`).join(
        ' ',
      );
    const text = Array.from({ length: 12 }, (_, i) => para(i)).join('\n\n');
    const max = maxTextTokens(DEFAULT_BUDGET, promptTokenModel(tok));
    expect(tok.count(text)).toBeGreaterThan(max);
    const chunks = chunkText(text, max, tok);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(tok.count(c)).toBeLessThanOrEqual(max);
    expect(squash(chunks.join(' '))).toBe(squash(text));
    // Paragraph boundaries are preferred: no chunk starts mid-paragraph here.
    for (const c of chunks) expect(c.startsWith('Sentence ') && /^Sentence \d+\.0 /.test(c)).toBe(true);
  });
});
