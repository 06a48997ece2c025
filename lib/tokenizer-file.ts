// A run's tokenizer: Mistral-7B-v0.1 by default, or one loaded from a file when the synthesizer
// brings its own — a Hugging Face tokenizer.json or a SentencePiece .model. Both are read only for
// SentencePiece-style byte-fallback BPE (Llama, Mistral): each stretch between special tokens gets
// a `▁` prepended and its spaces as `▁`, then one BPE pass (core/bpe.ts); anything else is refused
// by name rather than counted wrongly.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import protobuf from 'protobufjs';
import { type BpeModel, bpeEncoder, mergesByScore, pieceEncoder } from '../core/bpe.ts';
import { mistralTokenizer } from '../core/mistral.ts';
import {
  markerAwareTokenizer,
  type RawEncoder,
  spacePieceCounter,
  type TextTokenizer,
} from '../core/tokens.ts';

/** The tokenizer a run uses when it names none. */
export const DEFAULT_TOKENIZER = 'mistral-7b-v0.1';

/** A parsed tokenizer file: the BPE model and its special tokens (one token each in text). */
export interface TokenizerSpec {
  model: BpeModel;
  specials: Record<string, number>;
}

export class TokenizerFileError extends Error {
  override readonly name = 'TokenizerFileError';
}

const SPACE_MARK = '\u2581';

interface HfTokenizerJson {
  normalizer?: { type: string; normalizers?: { type: string; [k: string]: unknown }[] } | null;
  pre_tokenizer?: unknown;
  model?: {
    type?: string;
    vocab?: Record<string, number>;
    merges?: (string | [string, string])[];
  };
  added_tokens?: { id: number; content: string }[];
}

/** The legacy Llama/Mistral layout: Prepend("▁") then Replace(" ", "▁"), no pre-tokenizer. */
function isSentencePieceLayout(json: HfTokenizerJson): boolean {
  const steps = json.normalizer?.type === 'Sequence' ? (json.normalizer.normalizers ?? []) : [];
  const [prepend, replace] = steps;
  return (
    steps.length === 2 &&
    prepend?.type === 'Prepend' &&
    prepend.prepend === SPACE_MARK &&
    replace?.type === 'Replace' &&
    (replace.pattern as { String?: string } | undefined)?.String === ' ' &&
    replace.content === SPACE_MARK &&
    (json.pre_tokenizer === null || json.pre_tokenizer === undefined)
  );
}

/** Reads a Hugging Face tokenizer.json (BPE, SentencePiece layout). */
export function parseTokenizerJson(text: string): TokenizerSpec {
  const json = JSON.parse(text) as HfTokenizerJson;
  if (json.model?.type !== 'BPE' || !json.model.vocab || !json.model.merges)
    throw new TokenizerFileError(`tokenizer.json model is ${json.model?.type ?? 'missing'}, not BPE`);
  if (!isSentencePieceLayout(json))
    throw new TokenizerFileError(
      'tokenizer.json is not laid out as a SentencePiece BPE (normalizer Prepend("▁") + Replace(" ", "▁"), no pre-tokenizer)',
    );
  const vocab: string[] = [];
  for (const [token, id] of Object.entries(json.model.vocab)) vocab[id] = token;
  const specials: Record<string, number> = {};
  for (const t of json.added_tokens ?? []) {
    vocab[t.id] ??= t.content;
    specials[t.content] = t.id;
  }
  for (let id = 0; id < vocab.length; id++) vocab[id] ??= '';
  const idOf = new Map(Object.entries(json.model.vocab));
  const merges = json.model.merges.map((m): [number, number] => {
    const [left, right] = typeof m === 'string' ? m.split(' ') : m;
    const a = idOf.get(left ?? '');
    const b = idOf.get(right ?? '');
    if (a === undefined || b === undefined)
      throw new TokenizerFileError(
        `tokenizer.json merge ${JSON.stringify(m)} names a token not in the vocabulary`,
      );
    return [a, b];
  });
  return { model: { vocab, merges }, specials };
}

// The fields of SentencePiece's ModelProto that decide how it encodes (field numbers and proto2
// defaults from sentencepiece_model.proto).
const SENTENCEPIECE = protobuf.Root.fromJSON({
  nested: {
    ModelProto: {
      fields: {
        pieces: { rule: 'repeated', type: 'Piece', id: 1 },
        trainerSpec: { type: 'TrainerSpec', id: 2 },
        normalizerSpec: { type: 'NormalizerSpec', id: 3 },
      },
    },
    Piece: {
      fields: {
        piece: { type: 'string', id: 1 },
        score: { type: 'float', id: 2 },
        type: { type: 'int32', id: 3, options: { default: 1 } },
      },
    },
    TrainerSpec: {
      fields: {
        modelType: { type: 'int32', id: 3, options: { default: 1 } },
        byteFallback: { type: 'bool', id: 35 },
      },
    },
    NormalizerSpec: {
      fields: {
        name: { type: 'string', id: 1 },
        precompiledCharsmap: { type: 'bytes', id: 2 },
        addDummyPrefix: { type: 'bool', id: 3, options: { default: true } },
        removeExtraWhitespaces: { type: 'bool', id: 4, options: { default: true } },
        escapeWhitespaces: { type: 'bool', id: 5, options: { default: true } },
      },
    },
  },
}).lookupType('ModelProto');

interface SentencePieceModel {
  pieces: { piece: string; score: number; type: number }[];
  trainerSpec: { modelType: number; byteFallback: boolean };
  normalizerSpec: {
    precompiledCharsmap: Uint8Array;
    addDummyPrefix: boolean;
    removeExtraWhitespaces: boolean;
    escapeWhitespaces: boolean;
  };
}

const PIECE_UNKNOWN = 2;
const PIECE_CONTROL = 3;
const PIECE_USER_DEFINED = 4;
const MODEL_BPE = 2;

/** Reads a SentencePiece .model (BPE, no text normalization, dummy prefix, spaces as `▁`). */
export function parseSentencePieceModel(bytes: Uint8Array): TokenizerSpec {
  let m: SentencePieceModel;
  try {
    m = SENTENCEPIECE.toObject(SENTENCEPIECE.decode(bytes), { defaults: true }) as SentencePieceModel;
  } catch (error) {
    throw new TokenizerFileError(`not a SentencePiece model: ${(error as Error).message}`);
  }
  const { trainerSpec: trainer, normalizerSpec: norm, pieces } = m;
  if (pieces.length === 0) throw new TokenizerFileError('SentencePiece model has no pieces');
  if (trainer?.modelType !== MODEL_BPE)
    throw new TokenizerFileError(`SentencePiece model type ${trainer?.modelType} is not BPE (2)`);
  if (norm && (norm.precompiledCharsmap.length > 0 || norm.removeExtraWhitespaces || !norm.escapeWhitespaces))
    throw new TokenizerFileError(
      'SentencePiece model normalizes text (charsmap or whitespace rules): not supported',
    );
  if (norm && !norm.addDummyPrefix)
    throw new TokenizerFileError('SentencePiece model has no dummy prefix: not supported');
  const vocab = pieces.map((p) => p.piece);
  const specials: Record<string, number> = {};
  pieces.forEach((p, id) => {
    // User-defined pieces are emitted whole, like the special tokens the converter makes of them.
    if (p.type === PIECE_UNKNOWN || p.type === PIECE_CONTROL || p.type === PIECE_USER_DEFINED)
      specials[p.piece] = id;
  });
  return {
    model: {
      vocab,
      merges: mergesByScore(
        vocab,
        pieces.map((p) => p.score),
      ),
    },
    specials,
  };
}

/**
 * A tokenizer over a parsed file: the piece-cached count when the vocabulary has no token with a
 * `▁` after another character (what makes counting word by word exact; see spacePieceCounter),
 * whole stretches otherwise.
 */
export function tokenizerOf(spec: TokenizerSpec, name: string): TextTokenizer {
  const full = bpeEncoder(spec.model);
  const raw: RawEncoder = { encode: (text) => full.encode(text) };
  const cuttable = !spec.model.vocab.some((t) => /[^\u2581]\u2581/.test(t));
  const stretches = cuttable ? spacePieceCounter(raw, {}, pieceEncoder(spec.model)) : undefined;
  const t = markerAwareTokenizer(raw, name, stretches, spec.specials);
  return { name: t.name, encode: t.encode, count: t.count };
}

/**
 * Whether a run that recorded tokenizer `recorded` was counted by the tokenizer named `name`:
 * the same name, or both the built-in Mistral-7B-v0.1 (whose name has changed with its package
 * over time, the vocabulary not).
 */
export function sameTokenizer(recorded: string, name: string): boolean {
  return recorded === name || (recorded.startsWith(DEFAULT_TOKENIZER) && name.startsWith(DEFAULT_TOKENIZER));
}

const loaded = new Map<string, TextTokenizer>();

/**
 * The tokenizer a run names: `mistral-7b-v0.1` (the default), or a path to a tokenizer.json or a
 * SentencePiece .model. Its name — for the run's metadata — is the file's base name and SHA-256,
 * so a record says exactly which vocabulary and merges counted it.
 */
export function loadTokenizer(spec: string = DEFAULT_TOKENIZER): TextTokenizer {
  if (spec === DEFAULT_TOKENIZER) return mistralTokenizer();
  const bytes = readFileSync(spec);
  const sha = createHash('sha256').update(bytes).digest('hex');
  const known = loaded.get(sha);
  if (known) return known;
  const parsed = spec.endsWith('.json')
    ? parseTokenizerJson(bytes.toString('utf8'))
    : parseSentencePieceModel(bytes);
  const t = tokenizerOf(parsed, `${basename(spec)} sha256:${sha}`);
  loaded.set(sha, t);
  return t;
}
