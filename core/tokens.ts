// Token counting behind a tiny interface so callers (and tests) can inject any tokenizer;
// only core/mistral.ts knows about the real one.

/** Anything that can count tokens of a text. */
export interface TokenCounter {
  count(text: string): number;
}

/** A tokenizer with ids, for tests that pin ids and for callers that need them. */
export interface TextTokenizer extends TokenCounter {
  readonly name: string;
  encode(text: string, addBos?: boolean): number[];
}

/** The shape of a SentencePiece encoder that knows nothing about special tokens in text. */
export interface RawEncoder {
  encode(text: string, addBos: boolean, addEos: boolean): readonly number[];
}

/**
 * Special tokens the synthesizer's (HF) tokenizer reads as one token each when they appear in
 * the text. The prompts contain literal `<s>` / `</s>`; a plain SentencePiece encoder would split
 * them into three pieces each.
 */
export const SPECIAL_TOKENS: Readonly<Record<string, number>> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
const SPECIAL_RE = /<unk>|<s>|<\/s>/g;

/**
 * Wraps a raw encoder so special-token markers count as one token and the text between them
 * is encoded on its own. Encoding each stretch separately (dummy-prefix space included) is
 * also what the HF Llama/Mistral tokenizer does around special tokens in legacy mode.
 */
export function markerAwareTokenizer(raw: RawEncoder, name: string): TextTokenizer {
  const encode = (text: string, addBos = false): number[] => {
    const ids: number[] = addBos ? [1] : [];
    let last = 0;
    for (const m of text.matchAll(SPECIAL_RE)) {
      const at = m.index ?? 0;
      if (at > last) ids.push(...raw.encode(text.slice(last, at), false, false));
      ids.push(SPECIAL_TOKENS[m[0]] ?? 0);
      last = at + m[0].length;
    }
    if (last < text.length) ids.push(...raw.encode(text.slice(last), false, false));
    return ids;
  };
  const count = (text: string): number => {
    let n = 0;
    let last = 0;
    for (const m of text.matchAll(SPECIAL_RE)) {
      const at = m.index ?? 0;
      if (at > last) n += raw.encode(text.slice(last, at), false, false).length;
      n += 1;
      last = at + m[0].length;
    }
    if (last < text.length) n += raw.encode(text.slice(last), false, false).length;
    return n;
  };
  return { name, encode, count };
}
