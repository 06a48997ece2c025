import { describe, expect, it } from 'vitest';
import { parseOutput, parseOutputDetailed, pyStrip } from '../../core/parse.ts';

describe('output parser (ARCHITECTURE.md §2)', () => {
  it('parses well-formed pairs', () => {
    const out = '<QUE> What rises? <ANS> The tide. </END>\n\n<QUE> Why? <ANS> The moon. </END>';
    expect(parseOutput(out)).toEqual([
      { question: 'What rises?', answer: 'The tide.' },
      { question: 'Why?', answer: 'The moon.' },
    ]);
  });

  it('drops the last piece when the output is cut off mid-pair', () => {
    const out = '<QUE> A? <ANS> yes </END>\n\n<QUE> B? <ANS> because the mo';
    const r = parseOutputDetailed(out);
    expect(r.pairs).toEqual([{ question: 'A?', answer: 'yes' }]);
    expect(r.rejected).toEqual([{ piece: '\n\n<QUE> B? <ANS> because the mo', reason: 'cut_off' }]);
  });

  it('drops a cut-off last piece even when it looks complete', () => {
    // Without the closing </END> the model may still have been writing the answer.
    expect(parseOutput('<QUE> A? <ANS> yes </END><QUE> B? <ANS> no')).toEqual([
      { question: 'A?', answer: 'yes' },
    ]);
  });

  it('keeps every complete pair; a whitespace tail is the dropped last piece', () => {
    expect(parseOutput('<QUE> A? <ANS> yes </END>')).toHaveLength(1);
    expect(parseOutput('<QUE> A? <ANS> yes </END>\n')).toHaveLength(1);
    expect(parseOutput('<QUE> A? <ANS> yes </END>\n<QUE> B? <ANS> no </END> ')).toHaveLength(2);
  });

  it('rejects a piece with <ANS> twice', () => {
    const r = parseOutputDetailed('<QUE> A? <ANS> x <ANS> y </END><QUE> B? <ANS> z </END>');
    expect(r.pairs).toEqual([{ question: 'B?', answer: 'z' }]);
    expect(r.rejected.map((x) => x.reason)).toEqual(['ans_count']);
  });

  it('rejects a piece without <ANS>', () => {
    expect(parseOutputDetailed('<QUE> A? yes </END>').rejected.map((x) => x.reason)).toEqual(['ans_count']);
  });

  it('rejects an empty (or whitespace-only) answer', () => {
    const r = parseOutputDetailed('<QUE> A? <ANS> </END><QUE> B? <ANS>\n\t </END><QUE> C? <ANS> c </END>');
    expect(r.pairs).toEqual([{ question: 'C?', answer: 'c' }]);
    expect(r.rejected.map((x) => x.reason)).toEqual(['empty_answer', 'empty_answer']);
  });

  it('requires the stripped question part to start with <QUE>', () => {
    const r = parseOutputDetailed('Sure! <QUE> A? <ANS> a </END>\n\n  <QUE> B? <ANS> b </END>');
    expect(r.pairs).toEqual([{ question: 'B?', answer: 'b' }]);
    expect(r.rejected.map((x) => x.reason)).toEqual(['no_que_prefix']);
  });

  it('removes every <QUE> marker from the question', () => {
    expect(parseOutput('<QUE> <QUE> A <QUE>B? <ANS> ok </END>')).toEqual([
      { question: 'A B?', answer: 'ok' },
    ]);
  });

  it('drops later questions that differ only in case, keeping the first', () => {
    const out =
      '<QUE> What is X? <ANS> first </END><QUE> what is x? <ANS> second </END><QUE> WHAT IS X? <ANS> third </END>';
    const r = parseOutputDetailed(out);
    expect(r.pairs).toEqual([{ question: 'What is X?', answer: 'first' }]);
    expect(r.rejected.map((x) => x.reason)).toEqual(['duplicate_question', 'duplicate_question']);
  });

  it('dedupes on the question after marker removal and stripping', () => {
    expect(parseOutput('<QUE> A? <ANS> 1 </END><QUE><QUE>  a?  <ANS> 2 </END>')).toHaveLength(1);
  });

  it('keeps multi-line questions and answers (options, chain-of-thought)', () => {
    const out =
      "<QUE> Is it wet?\nOptions:\n- yes\n- no\nLet's think step by step. <ANS> It rained.\nTherefore, the answer is yes </END>";
    expect(parseOutput(out)).toEqual([
      {
        question: "Is it wet?\nOptions:\n- yes\n- no\nLet's think step by step.",
        answer: 'It rained.\nTherefore, the answer is yes',
      },
    ]);
  });

  it('returns nothing for empty or marker-free output', () => {
    expect(parseOutput('')).toEqual([]);
    expect(parseOutput('I cannot help with that.')).toEqual([]);
    expect(parseOutput('</END>')).toEqual([]);
  });

  it('strips like Python str.strip()', () => {
    expect(pyStrip('\u001f a \u0085')).toBe('a');
    expect(pyStrip('\ufeffa')).toBe('\ufeffa');
    expect(pyStrip(' \t\n\r\u000b\u000c\u00a0\u3000x y\u2028')).toBe('x y');
  });
});
