// A large, deterministic mixed corpus for holding a tokenizer to its reference: real prose (the
// demo corpus), real code (this repository's own sources, CRLF and tabs included), and generated
// texts that stress what BPE implementations get wrong — punctuation runs, space runs of every
// length, byte-fallback characters, CJK, emoji with modifiers, combining marks, stray `▁`,
// control characters, and the `<s>` / `</s>` markers the prompts carry.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../core/prng.ts';

const ROOT = join(import.meta.dirname, '../..');

function prose(): string[] {
  return readFileSync(join(ROOT, 'demo/corpus/sample.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { text: string }).text);
}

function code(): string[] {
  const out: string[] = [];
  for (const dir of ['core', 'services/ingest', 'triton', 'bench']) {
    for (const f of readdirSync(join(ROOT, dir)).sort()) {
      if (!/\.(ts|py)$/.test(f)) continue;
      out.push(readFileSync(join(ROOT, dir, f), 'utf8'));
    }
  }
  return out;
}

const PUNCT = '()[]{}<>.,;:!?\'"`-_=+*/\\|&^%$#@~';
const UNICODE = [
  'é',
  'e\u0301',
  'ß',
  'Ω',
  'ж',
  'ש',
  'ع',
  'न',
  'ि',
  '日本語',
  '中文',
  '한국어',
  'カタカナ',
  '🙂',
  '👍🏽',
  '👩‍💻',
  '🇫🇷',
  '\u00a0',
  '\u3000',
  '\u200b',
  '\u2581',
  '\ufeff',
  '\u0007',
  '\t',
  '\r\n',
  '\n',
  '\u2028',
  '𝔘𝔫𝔦',
  '\ue000',
  '½',
  'ﬁ',
];
const WORDS = 'the of and to in is was for on that with as by at from it an be this are'.split(' ');

function generated(rng: Rng): string {
  const parts: string[] = [];
  for (let k = 1 + rng.int(60); k > 0; k--) {
    const kind = rng.weighted({ word: 5, punct: 3, spaces: 2, unicode: 2, number: 1, marker: 0.3 });
    if (kind === 'word') parts.push(rng.pick(WORDS));
    else if (kind === 'punct') {
      let p = '';
      for (let n = 1 + rng.int(8); n > 0; n--) p += rng.pick([...PUNCT]);
      parts.push(p);
    } else if (kind === 'spaces') parts.push(' '.repeat(1 + rng.int(20)));
    else if (kind === 'unicode') parts.push(rng.pick(UNICODE));
    else if (kind === 'number') parts.push(String(rng.int(1_000_000)));
    else parts.push(rng.pick(['<s>', '</s>', '<unk>', '<s', 's>', '</']));
    parts.push(rng.pick(['', ' ', ' ', ' ', '  ', '\n']));
  }
  return parts.join('');
}

/** `n` texts (≥ all prose and code texts), the same on every call. */
export function mixedCorpus(n: number, seed = 17): string[] {
  const rng = new Rng(seed);
  const texts = [...prose(), ...code()];
  // Slices of the real texts at random offsets: words cut anywhere, leading/trailing spaces.
  const real = texts.slice();
  while (texts.length < n / 2) {
    const t = rng.pick(real);
    const at = rng.int(t.length);
    texts.push(t.slice(at, at + 1 + rng.int(400)));
  }
  while (texts.length < n) texts.push(generated(rng));
  return texts;
}
