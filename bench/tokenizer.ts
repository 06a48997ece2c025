// Tokenizer throughput: `node bin/run-ts.js bench/tokenizer.ts [seconds-per-case]`.
// Measures what synth and ingest pay per text: counting 2 KB and 4 KB English-like texts with the
// Mistral-7B-v0.1 tokenizer (special markers handled), once with the full encoder (the reference)
// and once with the piece-cached count that mistralTokenizer() uses — cold cache, warm cache, and
// a stream of never-seen words (every piece a miss) — plus the cache's size bound, and planning
// a prompt from per-part counts versus tokenizing the whole prompt. Both encode with core/bpe.ts:
// the fast count encodes cache misses with its short-piece scan, the reference whole stretches with
// its heap encoder.
//
// Texts: words drawn with Zipf's law (s = 1) from 200 000 word types — the demo corpus's 3 000
// real words by frequency, then made-up words — with capitals, punctuation, numbers and paragraph
// breaks, so the cache sees a long tail of rare words as it would on web text.

import os from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_BUDGET, promptTokenModel } from '../core/budget.ts';
import { compactRound, planPrompt } from '../core/chain.ts';
import { mistralReferenceTokenizer, newMistralTokenizer } from '../core/mistral.ts';
import { DEFAULT_PIECE_CACHE, type PieceCacheStats, type TokenCounter } from '../core/tokens.ts';
import { WebText } from './texts.ts';

const seconds = Number(process.argv[2] ?? 3);
// The texts and their random stream come from bench/texts.ts (shared with the pipeline bench).
const web = new WebText(1);
const makeText = (bytes: number, word: () => string) => web.make(bytes, word);
const zipfWord = web.zipfWord;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
let unique = 0;
const uniqueWord = () => `q${(unique++).toString(36)}x`;

function timeIt(fn: () => number): { perSec: number; units: number; calls: number } {
  let units = 0;
  let calls = 0;
  const start = process.hrtime.bigint();
  let secs = 0;
  do {
    units += fn();
    calls++;
    secs = Number(process.hrtime.bigint() - start) / 1e9;
  } while (secs < seconds);
  return { perSec: units / secs, units, calls: calls / secs };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
function report(label: string, r: { perSec: number; calls: number }, extra = ''): void {
  console.log(
    `${label.padEnd(52)} ${fmt(r.perSec).padStart(10)} tokens/s ${r.calls.toFixed(1).padStart(9)} texts/s${extra}`,
  );
}

/** Counts the texts in turn for `seconds`; returns tokens/s and texts/s. */
function countTexts(counter: TokenCounter, texts: readonly string[]) {
  let k = 0;
  return timeIt(() => counter.count(texts[k++ % texts.length] as string));
}

/** Counts each text once. */
function onePass(counter: TokenCounter, texts: readonly string[]) {
  const start = process.hrtime.bigint();
  let units = 0;
  for (const t of texts) units += counter.count(t);
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  return { perSec: units / secs, calls: texts.length / secs };
}

const hitRate = (
  s: PieceCacheStats,
  from: PieceCacheStats = { hits: 0, misses: 0, uncached: 0, entries: 0 },
) => {
  const hits = s.hits - from.hits;
  return (hits / (hits + s.misses - from.misses + s.uncached - from.uncached)).toFixed(3);
};

console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${seconds} s per timed case, ` +
    `cache ${fmt(DEFAULT_PIECE_CACHE.generationSize)} × 2 pieces of ≤ ${DEFAULT_PIECE_CACHE.maxPieceLength} units`,
);
const reference = mistralReferenceTokenizer();

// The cache's bound: fill it with unique words and measure the heap it holds (first, so no
// other case's garbage blurs it).
{
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  newMistralTokenizer().count('warm'); // the shared encoder tables are not part of the cache
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const t = newMistralTokenizer();
  // 2 × generationSize − 1 distinct words of 8–32 letters: the most the cache ever holds.
  for (let i = 0; i < 2 * DEFAULT_PIECE_CACHE.generationSize - 1; i++)
    t.count(`w${i.toString(36)}${LETTERS.slice(0, 2 + (i % 25))}`);
  gc();
  const bytes = process.memoryUsage().heapUsed - heap0;
  const s = t.pieceStats();
  console.log(
    `cache full of unique words: ${fmt(s.entries)} entries, ${(bytes / 2 ** 20).toFixed(1)} MiB heap (${fmt(bytes / s.entries)} B/entry)`,
  );
}

for (const bytes of [2048, 4096]) {
  const kb = `${bytes / 1024} KB`;
  // Distinct texts, each counted once by the fast counter (as ingest does), so hits come only
  // from words seen in earlier texts.
  const texts = Array.from({ length: 4000 }, () => makeText(bytes, zipfWord));
  for (const t of texts.slice(0, 20)) reference.count(t); // JIT warm-up
  const ref = countTexts(reference, texts);
  report(`reference (full encoder), ${kb}`, ref);

  // Cold: a fresh cache, the first 500 texts it ever sees.
  const cold = newMistralTokenizer();
  const coldRun = onePass(cold, texts.slice(0, 500));
  report(
    `fast, cold cache (its first 500 texts), ${kb}`,
    coldRun,
    `  hit rate ${hitRate(cold.pieceStats())}`,
  );

  // Warm: a cache that has already counted 2 000 texts, then 2 000 new texts of the same kind.
  const warm = newMistralTokenizer();
  for (const t of texts.slice(0, 2000)) warm.count(t);
  const before = warm.pieceStats();
  const warmRun = onePass(warm, texts.slice(2000));
  report(
    `fast, warm cache (next 2 000 texts), ${kb}`,
    warmRun,
    `  hit rate ${hitRate(warm.pieceStats(), before)}, ${(warmRun.perSec / ref.perSec).toFixed(0)}× reference`,
  );

  // Best case: one text over and over (every piece cached after the first time).
  const again = warm.pieceStats();
  const againRun = countTexts(warm, texts.slice(0, 1));
  report(`fast, one text over and over, ${kb}`, againRun, `  hit rate ${hitRate(warm.pieceStats(), again)}`);

  // Worst case: every word new, every piece a miss.
  const fresh = Array.from({ length: 100 }, () => makeText(bytes, uniqueWord));
  const missing = newMistralTokenizer();
  const missRun = onePass(missing, fresh);
  report(
    `fast, every word unseen (100 texts), ${kb}`,
    missRun,
    `  hit rate ${hitRate(missing.pieceStats())}`,
  );
}

// A round-2 prompt: two 4 KB history rounds with pairs, plus a new 4 KB text.
const tok = newMistralTokenizer();
const model = promptTokenModel(tok);
const texts = Array.from({ length: 3 }, () => makeText(4096, zipfWord));
const pairs = Array.from({ length: 4 }, (_, i) => ({
  question: `What does part ${i} say about tides?`,
  answer: 'It explains them.',
}));
const history = [0, 1].map((i) =>
  compactRound(
    {
      round_index: i,
      doc_id: `d${i}`,
      text: texts[i] as string,
      pairs,
      inherit_from_prev: i > 0,
      text_tokens: tok.count(texts[i] as string),
    },
    model,
  ),
);
const next = { text: texts[2] as string, text_tokens: tok.count(texts[2] as string) };
const plan = planPrompt(history, next, DEFAULT_BUDGET, model);
console.log(`prompt of ${plan.promptTokens} tokens, ${plan.historyRoundsUsed} history rounds`);
const per = (label: string, fn: () => void) => {
  const r = timeIt(() => {
    fn();
    return 1;
  });
  console.log(`${label.padEnd(52)} ${fmt(r.perSec).padStart(10)} prompts/s`);
};
per('plan prompt from per-part counts', () => planPrompt(history, next, DEFAULT_BUDGET, model));
per('tokenize whole prompt, reference', () => reference.count(plan.prompt));
per('tokenize whole prompt, fast (warm)', () => tok.count(plan.prompt));
