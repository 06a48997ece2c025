// ipt's Mistral-7B-v0.1 token ids and counts against the tokenizers the model is served and was
// trained with, on a large mixed corpus: Hugging Face `tokenizers` laid out as the model
// repository's tokenizer.json (what vLLM loads) and SentencePiece itself, both from the project
// venv (triton/tools/tokenizer_reference.py reads mistral-common's copy of the model file).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mistralBpeModel, mistralReferenceTokenizer, newMistralTokenizer } from '../../core/mistral.ts';
import { stackConfig } from '../../stack/config.ts';
import { mixedCorpus } from '../helpers/mixed-corpus.ts';

const ROOT = join(import.meta.dirname, '../..');
// The project venv, which the integration suite's global setup creates with the stack.
const VENV = stackConfig().venvDir;
const PYTHON = join(VENV, 'bin/python');
const SCRIPT = join(ROOT, 'triton/tools/tokenizer_reference.py');

const texts = mixedCorpus(6000);
const reference = execFileSync(PYTHON, [SCRIPT], {
  input: texts.map((text) => JSON.stringify({ text })).join('\n'),
  maxBuffer: 1 << 30,
})
  .toString()
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as { hf: number[]; sp: number[] | null });

/** Indexes of the texts where `differs` holds, with the first few texts for the message. */
function disagreements(differs: (i: number) => boolean): { count: number; first: string[] } {
  const at = texts.map((_, i) => i).filter(differs);
  return { count: at.length, first: at.slice(0, 3).map((i) => JSON.stringify(texts[i]?.slice(0, 60))) };
}
const same = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, k) => x === b[k]);

describe('Mistral-7B-v0.1 tokenizer against the Python references', { timeout: 120_000 }, () => {
  it('has a corpus of 6 000 texts: prose, code, punctuation and space runs, Unicode, markers', () => {
    expect(reference).toHaveLength(texts.length);
    expect(texts.filter((t) => /\(\(|\)\)\./.test(t)).length).toBeGreaterThan(100);
    expect(texts.filter((t) => / {5}/.test(t)).length).toBeGreaterThan(500);
    expect(texts.filter((t) => /\p{Script=Han}|\p{Extended_Pictographic}/u.test(t)).length).toBeGreaterThan(
      500,
    );
    expect(texts.filter((t) => t.includes('\r\n')).length).toBeGreaterThan(100);
    expect(texts.filter((t) => /<\/?s>/.test(t)).length).toBeGreaterThan(100);
  });

  it('ranks merges exactly as the tokenizer.json built from the SentencePiece model', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipt-tokjson-'));
    try {
      execFileSync(PYTHON, [SCRIPT, '--write-json', join(dir, 'tokenizer.json')]);
      const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as {
        model: { merges: (string | [string, string])[] };
      };
      const theirs = json.model.merges.map((m) => (typeof m === 'string' ? m : m.join(' ')));
      const { vocab, merges } = mistralBpeModel();
      const ours = merges.map(([a, b]) => `${vocab[a]} ${vocab[b]}`);
      expect(ours.length).toBe(theirs.length);
      expect(ours.findIndex((m, k) => m !== theirs[k])).toBe(-1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives the Hugging Face tokenizer ids on every text (markers as one token each)', () => {
    const ipt = mistralReferenceTokenizer();
    expect(disagreements((i) => !same(ipt.encode(texts[i] as string), reference[i]?.hf ?? []))).toEqual({
      count: 0,
      first: [],
    });
  });

  it('counts like the Hugging Face tokenizer on every text, with the piece-cached count', () => {
    const fast = newMistralTokenizer();
    expect(disagreements((i) => fast.count(texts[i] as string) !== reference[i]?.hf.length)).toEqual({
      count: 0,
      first: [],
    });
  });

  it('agrees with SentencePiece itself on every text without markers', () => {
    const plain = reference.filter((r) => r.sp !== null).length;
    expect(plain).toBeGreaterThan(5000);
    expect(
      disagreements(
        (i) => reference[i]?.sp !== null && !same(reference[i]?.sp ?? [], reference[i]?.hf ?? []),
      ),
    ).toEqual({
      count: 0,
      first: [],
    });
  });
});
