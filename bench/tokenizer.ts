// Tokenizer throughput: `node bin/run-ts.js bench/tokenizer.ts [seconds-per-case]`.
// Measures what synth and ingest pay per text: counting ~4 KB texts with the Mistral-7B-v0.1
// tokenizer (special markers handled), and planning a prompt from per-part counts versus
// tokenizing the whole prompt.

import os from 'node:os';
import { DEFAULT_BUDGET, promptTokenModel } from '../core/budget.ts';
import { compactRound, planPrompt } from '../core/chain.ts';
import { mistralTokenizer } from '../core/mistral.ts';
import { Rng } from '../core/prng.ts';

const seconds = Number(process.argv[2] ?? 3);
const VOCAB =
  'the of and to in a is that for it as was with be by on not he this are or his from at which but have an they you were her she there one all we their can has been if more when will would who so no tides moon because however therefore protein market 1999 , . ; ( ) ? !'.split(
    ' ',
  );

function makeText(rng: Rng, bytes: number): string {
  let s = '';
  while (s.length < bytes) {
    s += `${rng.pick(VOCAB)}${rng.chance(0.06) ? '.\n\n' : ' '}`;
  }
  return s.slice(0, bytes).trim();
}

function timeIt(label: string, fn: () => number): { perSec: number; units: number; secs: number } {
  let units = 0;
  let calls = 0;
  const start = process.hrtime.bigint();
  let secs = 0;
  do {
    units += fn();
    calls++;
    secs = Number(process.hrtime.bigint() - start) / 1e9;
  } while (secs < seconds);
  const perSec = units / secs;
  console.log(
    `${label.padEnd(44)} ${Math.round(perSec).toLocaleString('en-US').padStart(12)} /s  (${calls} calls)`,
  );
  return { perSec, units, secs };
}

const tok = mistralTokenizer();
const model = promptTokenModel(tok);
const rng = new Rng(1);
const texts = Array.from({ length: 64 }, () => makeText(rng, 4096));
let k = 0;

console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${seconds} s per case`,
);
// Warm the JIT so the first case is not penalised.
for (const t of texts) tok.count(t);

let calls = 0;
const count = timeIt('count 4 KB texts: tokens', () => {
  calls++;
  return tok.count(texts[k++ % texts.length] as string);
});
const tokensPerText = count.units / calls;
console.log(
  `  → ${Math.round(count.perSec).toLocaleString('en-US')} tokens/s, ${(count.perSec / tokensPerText).toFixed(1)} texts/s, ${Math.round(tokensPerText)} tokens per 4 KB text`,
);

// A round-2 prompt: two 4 KB history rounds with pairs, plus a new 4 KB text.
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
timeIt('plan prompt from per-part counts: prompts', () => {
  planPrompt(history, next, DEFAULT_BUDGET, model);
  return 1;
});
timeIt('tokenize whole prompt: prompts', () => {
  tok.count(plan.prompt);
  return 1;
});
