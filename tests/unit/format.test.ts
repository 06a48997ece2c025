import { describe, expect, it } from 'vitest';
import { buildPrompt, finishedRound, pairBlock, pairBlocks, readingBlock } from '../../core/format.ts';

describe('prompt format (ARCHITECTURE.md §2, byte for byte)', () => {
  it('reading block', () => {
    expect(readingBlock('Tides rise.')).toBe('<s> <CON> Tides rise. </CON>\n\n');
  });

  it('empty text gives just <s>', () => {
    expect(readingBlock('')).toBe('<s>');
  });

  it('pair block and joined pairs', () => {
    const a = { question: 'Why?', answer: 'Because.' };
    const b = { question: 'When?', answer: 'Now.' };
    expect(pairBlock(a)).toBe('<QUE> Why? <ANS> Because. </END>');
    expect(pairBlocks([a, b])).toBe('<QUE> Why? <ANS> Because. </END>\n\n<QUE> When? <ANS> Now. </END>');
    expect(pairBlocks([])).toBe('');
  });

  it('finished round', () => {
    expect(finishedRound('T', [{ question: 'Q', answer: 'A' }])).toBe(
      '<s> <CON> T </CON>\n\n<QUE> Q <ANS> A </END></s>',
    );
  });

  it('prompt: history oldest first, then the reading block', () => {
    const h = [
      { text: 'one', pairs: [{ question: 'q1', answer: 'a1' }] },
      { text: 'two', pairs: [{ question: 'q2', answer: 'a2' }] },
    ];
    expect(buildPrompt(h, 'three')).toBe(
      '<s> <CON> one </CON>\n\n<QUE> q1 <ANS> a1 </END></s>' +
        '<s> <CON> two </CON>\n\n<QUE> q2 <ANS> a2 </END></s>' +
        '<s> <CON> three </CON>\n\n',
    );
    expect(buildPrompt([], 'three')).toBe('<s> <CON> three </CON>\n\n');
  });
});
