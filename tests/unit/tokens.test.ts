import { describe, expect, it } from 'vitest';
import { mistralTokenizer } from '../../core/mistral.ts';
import { markerAwareTokenizer } from '../../core/tokens.ts';

const tok = mistralTokenizer();

describe('Mistral-7B-v0.1 tokenizer', () => {
  it('gives the v0.1 ids', () => {
    expect(tok.encode('Hello world!', true)).toEqual([1, 22557, 1526, 28808]);
    expect(tok.encode('Hello world!')).toEqual([22557, 1526, 28808]);
    expect(tok.encode('Hello\n\nworld')).toEqual([22557, 13, 13, 9471]);
    expect(tok.encode('<QUE> a <ANS> b </END>')).toEqual([
      523, 20749, 28767, 264, 523, 1251, 28735, 28767, 287, 1867, 5000, 28767,
    ]);
  });

  it('reads <s> and </s> as one token each', () => {
    expect(tok.encode('<s>')).toEqual([1]);
    expect(tok.encode('</s>')).toEqual([2]);
    expect(tok.encode('</END></s><s>')).toEqual([1867, 5000, 28767, 2, 1]);
    expect(tok.count('<s> <CON> Hello </CON>\n\n')).toBe(1 + tok.count(' <CON> Hello </CON>\n\n'));
    expect(tok.encode('<s> <CON> Hello </CON>\n\n')).toEqual([
      1, 28705, 523, 3185, 28767, 22557, 1867, 3185, 28767, 13, 13,
    ]);
  });

  it('counts what it encodes', () => {
    for (const s of ['', 'x', 'héllo 日本語 🙂', '<s><s></s>', ' a </s> b '])
      expect(tok.count(s)).toBe(tok.encode(s).length);
  });
});

describe('markerAwareTokenizer', () => {
  it('splits around markers and encodes the stretches without BOS', () => {
    const calls: string[] = [];
    const t = markerAwareTokenizer(
      {
        encode: (s, bos) => {
          calls.push(s);
          return [...(bos ? [1] : []), ...Array.from(s, () => 7)];
        },
      },
      'fake',
    );
    expect(t.encode('ab<s>c</s>', true)).toEqual([1, 7, 7, 1, 7, 2]);
    expect(calls).toEqual(['ab', 'c']);
    expect(t.count('<unk>x')).toBe(2);
  });
});
