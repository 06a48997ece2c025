// A run's tokenizer loaded from a file (lib/tokenizer-file.ts): a Hugging Face tokenizer.json or
// a SentencePiece .model, held to the Python references. The second tokenizer is Mistral's v3
// SentencePiece model (32 768 pieces, different ids) as the mistral-common wheel ships it.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MISTRAL_TOKENIZER_NAME, mistralReferenceTokenizer } from '../../core/mistral.ts';
import {
  DEFAULT_TOKENIZER,
  loadTokenizer,
  parseSentencePieceModel,
  parseTokenizerJson,
  TokenizerFileError,
} from '../../lib/tokenizer-file.ts';
import { stackConfig } from '../../stack/config.ts';
import { mixedCorpus } from '../helpers/mixed-corpus.ts';

const ROOT = join(import.meta.dirname, '../..');
// The project venv, which the integration suite's global setup creates with the stack.
const VENV = stackConfig().venvDir;
const PYTHON = join(VENV, 'bin/python');
const SCRIPT = join(ROOT, 'triton/tools/tokenizer_reference.py');
const DATA = join(VENV, 'lib/python3.11/site-packages/mistral_common/data');
const V1 = join(DATA, 'tokenizer.model.v1');
const V3 = join(DATA, 'mistral_instruct_tokenizer_240323.model.v3');
const dir = mkdtempSync(join(tmpdir(), 'ipt-tokfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const texts = mixedCorpus(3000);
const input = texts.map((text) => JSON.stringify({ text })).join('\n');
const python = (...args: string[]) =>
  execFileSync(PYTHON, [SCRIPT, ...args], { input, maxBuffer: 1 << 30 })
    .toString()
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { hf: number[]; sp: number[] | null });
const v3Json = join(dir, 'v3-tokenizer.json');
const v1Json = join(dir, 'v1-tokenizer.json');
execFileSync(PYTHON, [SCRIPT, '--model', V3, '--write-json', v3Json]);
execFileSync(PYTHON, [SCRIPT, '--write-json', v1Json]);
const v3Reference = python('--model', V3);

const same = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, k) => x === b[k]);
const differing = (f: (text: string, i: number) => boolean) => texts.filter((t, i) => f(t, i)).length;

describe('tokenizer files', { timeout: 120_000 }, () => {
  it('names Mistral-7B-v0.1 the default', () => {
    expect(loadTokenizer().name).toBe(MISTRAL_TOKENIZER_NAME);
    expect(loadTokenizer(DEFAULT_TOKENIZER).count('<s> Hello world!')).toBe(1 + 4); // <s>, ▁, ▁Hello, ▁world, !
  });

  it.each([
    ['SentencePiece .model', V1],
    ['tokenizer.json', v1Json],
  ])('reads Mistral-7B-v0.1 from a %s exactly as the built-in tokenizer', (_kind, path) => {
    const t = loadTokenizer(path);
    const builtIn = mistralReferenceTokenizer();
    expect(differing((text) => !same(t.encode(text), builtIn.encode(text)))).toBe(0);
    expect(differing((text) => t.count(text) !== builtIn.count(text))).toBe(0);
  });

  it.each([
    ['SentencePiece .model', V3],
    ['tokenizer.json', v3Json],
  ])(
    'reads a second, different tokenizer (Mistral v3) from a %s and matches its references',
    (_kind, path) => {
      const t = loadTokenizer(path);
      expect(t.name).toMatch(/ sha256:[0-9a-f]{64}$/);
      expect(differing((text, i) => !same(t.encode(text), v3Reference[i]?.hf ?? []))).toBe(0);
      expect(differing((text, i) => t.count(text) !== v3Reference[i]?.hf.length)).toBe(0);
      const sp = v3Reference.filter((r) => r.sp !== null);
      expect(sp.length).toBeGreaterThan(2000);
      expect(sp.every((r) => same(r.sp ?? [], r.hf))).toBe(true);
      // It is a different tokenizer: most texts count differently from Mistral-7B-v0.1.
      const v1 = mistralReferenceTokenizer();
      expect(differing((text) => !same(t.encode(text), v1.encode(text)))).toBeGreaterThan(texts.length / 2);
      expect(t.count('[INST] hi [/INST]')).toBe(1 + t.count(' hi ') + 1); // its control tokens are markers
    },
  );

  it('refuses files it cannot count exactly, saying why', () => {
    const byteLevel = JSON.stringify({
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel' },
      model: { type: 'BPE', vocab: { a: 0 }, merges: [] },
    });
    expect(() => parseTokenizerJson(byteLevel)).toThrow(TokenizerFileError);
    expect(() => parseTokenizerJson(JSON.stringify({ model: { type: 'Unigram' } }))).toThrow(/not BPE/);
    expect(() => parseSentencePieceModel(Uint8Array.from([0xff, 0xff, 0xff]))).toThrow(TokenizerFileError);
    const bad = join(dir, 'bad.model');
    writeFileSync(bad, Buffer.from('not a model'));
    expect(() => loadTokenizer(bad)).toThrow(TokenizerFileError);
  });
});
