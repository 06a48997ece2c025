// Fidelity of the template set to the reference (LMOps instruction_pretrain, read_compre_pt.py):
// `node bin/run-ts.js bench/templates.ts [--chains=10000] [--write]` (--write: replace its block
// in bench/RESULTS.md).
//
// Renders synthetic chains (1–3 rounds, 0–5 pairs a round, inheritance as synth records it) whose
// pairs are drawn from a fixed mix of kinds, including the malformed ones the rules drop, with
// ipt-templates-2 (pinned; ipt-templates-3 has bench/templates-fidelity.ts), and compares what the
// renderer did with what the reference's rules and weights say it should do: framing shares per pair-count class, pairs kept and dropped per
// rule, multiple choice shown with and without options, "none" answers, inline reasoning, opener
// and separator shares, distinct patterns used per family. Exit status 1 if a figure is outside
// its tolerance. Deterministic apart from the timing line.

import { Rng } from '../core/prng.ts';
import { templateSeed } from '../core/templates/segments.ts';
import {
  COMPREHENSION_OPENERS,
  DIALOG_HEADINGS,
  INLINE_EXPLAINED,
  INLINE_PLAIN,
  NEXT_TURN_FRAMES,
  NUMBERED_FRAMES,
  PAIRS_FIRST_OPENERS,
  READING_OPENERS,
  ROUND_SEPARATORS,
  SPEAKER_STYLES,
  TEXT_AFTER_PAIRS,
} from '../core/templates/v2/framings.ts';
import { OPTION_HEADINGS, OPTION_ITEM_STYLES } from '../core/templates/v2/options.ts';
import {
  COT_PATTERNS,
  OPTION_COT_PATTERNS,
  OPTION_PATTERNS,
  PLAIN_PATTERNS,
} from '../core/templates/v2/pairs.ts';
import { type Family, renderChainV2Traced, type SegmentTrace } from '../core/templates/v2/render.ts';

/** This bench measures ipt-templates-2 (bench/templates-fidelity.ts measures ipt-templates-3). */
const VERSION = 'ipt-templates-2';

import type { QAPair } from '../core/types.ts';
import { machine } from './proc.ts';
import { fmt, ranLine, writeResultsBlock } from './results.ts';

const arg = (name: string, fallback: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const CHAINS = arg('chains', 10_000);
const WRITE = process.argv.includes('--write');

// ---- synthetic chains

const TRIGGER = "\nLet's think step by step.";
const CONCLUSION = '\nTherefore, the answer is ';
type PairCase =
  | 'plain'
  | 'mc'
  | 'mc_none'
  | 'mc_unmatched'
  | 'mc_two_markers'
  | 'cot'
  | 'cot_three_parts'
  | 'cot_trigger_inside'
  | 'cot_no_trigger'
  | 'mc_cot'
  | 'mc_cot_unmatched';
/** Relative frequency of each kind of pair in the synthetic outputs (not measured on real ones). */
const MIX: Record<PairCase, number> = {
  plain: 50,
  mc: 12,
  mc_none: 3,
  mc_unmatched: 4,
  mc_two_markers: 1,
  cot: 12,
  cot_three_parts: 2,
  cot_trigger_inside: 2,
  cot_no_trigger: 1,
  mc_cot: 6,
  mc_cot_unmatched: 1,
};
/** What the reference's rules do with each kind. */
const RULE: Record<PairCase, string> = {
  plain: 'kept as plain',
  mc: 'kept as multiple choice',
  mc_none: 'kept as multiple choice, "none" answer',
  mc_unmatched: 'dropped: no matching option',
  mc_two_markers: 'dropped: options marker twice',
  cot: 'kept as chain-of-thought',
  cot_three_parts: 'dropped: conclusion twice',
  cot_trigger_inside: 'dropped: trigger not at the end',
  cot_no_trigger: 'dropped: conclusion without trigger',
  mc_cot: 'kept as multiple choice + chain-of-thought',
  mc_cot_unmatched: 'dropped: no matching option',
};

const rng = new Rng(20261202);
const WORDS =
  'tide moon sun water plant leaf river stone city bridge light energy cell river harbour market law'.split(
    ' ',
  );
const words = (n: number) => Array.from({ length: n }, () => rng.pick(WORDS)).join(' ');
const options = () => Array.from({ length: 2 + rng.int(4) }, (_, i) => `${words(1 + rng.int(3))} ${i}`);

function makePair(kind: PairCase): QAPair {
  const q = `${words(3 + rng.int(6))}?`;
  const a = `${words(1 + rng.int(8))}.`;
  const opts = options();
  const listed = `${q}\nOptions:\n- ${opts.join('\n- ')}`;
  const right = rng.pick(opts);
  switch (kind) {
    case 'plain':
      return { question: q, answer: a };
    case 'mc':
      return { question: listed, answer: right };
    case 'mc_none':
      return {
        question: listed,
        answer: rng.pick(['None', 'None of the above', 'none of these', 'Not listed']),
      };
    case 'mc_unmatched':
      return { question: listed, answer: 'something else' };
    case 'mc_two_markers':
      return { question: `${listed}\nOptions:\n- again`, answer: right };
    case 'cot':
      return { question: q + TRIGGER, answer: `${a}${CONCLUSION}${words(2)}` };
    case 'cot_three_parts':
      return { question: q + TRIGGER, answer: `${a}${CONCLUSION}${words(2)}${CONCLUSION}${words(1)}` };
    case 'cot_trigger_inside':
      return {
        question: `${q}${TRIGGER}\nOptions:\n- ${opts.join('\n- ')}`,
        answer: `${a}${CONCLUSION}${right}`,
      };
    case 'cot_no_trigger':
      return { question: q, answer: `${a}${CONCLUSION}${words(2)}` };
    case 'mc_cot':
      return { question: listed + TRIGGER, answer: `${a}${CONCLUSION}${right}` };
    case 'mc_cot_unmatched':
      return { question: listed + TRIGGER, answer: `${a}${CONCLUSION}a different one` };
  }
}

const generated: Record<PairCase, number> = Object.fromEntries(Object.keys(MIX).map((k) => [k, 0])) as Record<
  PairCase,
  number
>;
function makeChain() {
  const rounds = Array.from({ length: 1 + rng.int(3) }, () => {
    const n = rng.pick([0, 1, 1, 2, 2, 3, 3, 4, 5]);
    const pairs = Array.from({ length: n }, () => {
      const kind = rng.weighted(MIX);
      generated[kind]++;
      return makePair(kind);
    });
    return { text: `${words(10 + rng.int(30))}.`, pairs, inherit_from_prev: false };
  });
  // As synth records it: a round inherits when the previous round had pairs, it has some, and
  // the history fitted (here: 80 % of the time).
  rounds.forEach((r, i) => {
    const prev = rounds[i - 1];
    r.inherit_from_prev = i > 0 && !!prev && prev.pairs.length > 0 && r.pairs.length > 0 && rng.chance(0.8);
  });
  return rounds;
}

// ---- render

const chains = Array.from({ length: CHAINS }, makeChain);
const traces: SegmentTrace[] = [];
let texts = 0;
let plainTexts = 0;
const started = process.hrtime.bigint();
chains.forEach((rounds, i) => {
  const out = renderChainV2Traced(rounds, templateSeed(`bench/templates/${i}`, VERSION));
  texts += out.texts.length;
  plainTexts += out.texts.filter((t) => t.framing === 'plain').length;
  traces.push(...out.segments);
});
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

// ---- compare

const failures: string[] = [];
const check = (what: string, ok: boolean) => {
  if (!ok) failures.push(what);
  return ok ? 'yes' : '**no**';
};
const pct = (x: number) => `${fmt(100 * x, 2)} %`;

/** Binomial tolerance: 4 standard errors (a false alarm about once in 16 000 figures). */
const within = (observed: number, expected: number, n: number) =>
  Math.abs(observed - expected) <= 4 * Math.sqrt((expected * (1 - expected)) / Math.max(1, n)) + 1e-9;

const lines: string[] = [];
const say = (s = '') => lines.push(s);

const templated = traces.filter((t) => t.framing !== 'plain');
const few = templated.filter((t) => t.minPairs < 2);
const many = templated.filter((t) => t.minPairs >= 2);
const FRAMING_EXPECTED = {
  few: {
    classic: 0.95 * 0.95,
    pairs_first: 0.95 * 0.05,
    dialog: 0.05,
    numbered: 0,
    fewshot: 0,
    next_turn: 0,
  },
  many: {
    classic: 0.8 * 0.95,
    pairs_first: 0.8 * 0.05,
    dialog: 0.05,
    numbered: 0.05,
    fewshot: 0.05,
    next_turn: 0.05,
  },
};
say('### Framings');
say();
say(
  `${CHAINS} chains → ${templated.length} templated texts (+ ${plainTexts} plain: rounds without pairs, or left without any by the rules); ${texts} texts in all. ` +
    'Reference: with fewer than 2 pairs in some round of the segment, classic 95 % / dialog 5 %; otherwise classic 80 %, dialog, numbered, inline few-shot, next turn 5 % each; pairs before the text in 5 % of classic segments. Tolerance: 4 standard errors.',
);
say();
say('| segments | framing | texts | share | reference | within |');
say('| --- | --- | --- | --- | --- | --- |');
for (const [label, group, expected] of [
  ['< 2 pairs', few, FRAMING_EXPECTED.few],
  ['≥ 2 pairs', many, FRAMING_EXPECTED.many],
] as const) {
  for (const [framing, e] of Object.entries(expected)) {
    const n = group.filter((t) => t.framing === framing).length;
    const share = n / group.length;
    say(
      `| ${label} (${group.length}) | ${framing} | ${n} | ${pct(share)} | ${pct(e)} | ${check(`${label} ${framing}`, within(share, e, group.length))} |`,
    );
  }
}

// Pairs: generated per kind → what the rules say → what the renderer kept and dropped.
const sum = (f: (t: SegmentTrace) => number) => traces.reduce((n, t) => n + f(t), 0);
const g = generated;
const expectedKept = {
  plain: g.plain,
  options: g.mc + g.mc_none,
  cot: g.cot,
  options_cot: g.mc_cot,
};
const expectedDropped = {
  no_matching_option: g.mc_unmatched + g.mc_cot_unmatched,
  options_malformed: g.mc_two_markers,
  cot_malformed: g.cot_three_parts + g.cot_trigger_inside + g.cot_no_trigger,
};
say();
say('### Pairs kept and dropped');
say();
say(
  'Pairs generated per kind, what the reference’s rules do with them, and what the renderer did (counted from its per-segment record).',
);
say();
say('| kind | generated | rule |');
say('| --- | --- | --- |');
for (const k of Object.keys(MIX) as PairCase[]) say(`| ${k} | ${g[k]} | ${RULE[k]} |`);
say();
say('| outcome | by the rules | by the renderer | equal |');
say('| --- | --- | --- | --- |');
for (const [k, e] of Object.entries(expectedKept)) {
  const o = sum((t) => t.pairs[k as keyof SegmentTrace['pairs']]);
  say(`| kept as ${k} | ${e} | ${o} | ${check(`kept ${k}`, o === e)} |`);
}
for (const [k, e] of Object.entries(expectedDropped)) {
  const o = sum((t) => t.dropped[k as keyof SegmentTrace['dropped']]);
  say(`| dropped: ${k} | ${e} | ${o} | ${check(`dropped ${k}`, o === e)} |`);
}
const mcGenerated = g.mc + g.mc_none + g.mc_unmatched + g.mc_two_markers + g.mc_cot + g.mc_cot_unmatched;
const mcKept = expectedKept.options + expectedKept.options_cot;
const cotGenerated =
  g.cot + g.cot_three_parts + g.cot_trigger_inside + g.cot_no_trigger + g.mc_cot + g.mc_cot_unmatched;
const cotKept = sum((t) => t.pairs.cot + t.pairs.options_cot);
say();
say(
  `Multiple choice: ${sum((t) => t.pairs.options + t.pairs.options_cot)} of ${mcGenerated} kept (${pct(sum((t) => t.pairs.options + t.pairs.options_cot) / mcGenerated)}; the rules keep ${pct(mcKept / mcGenerated)} of this mix). ` +
    `Chain-of-thought (trigger or conclusion present): ${cotKept} of ${cotGenerated} kept (${pct(cotKept / cotGenerated)}; the rules: ${pct((g.cot + g.mc_cot) / cotGenerated)}).`,
);
// The options pattern is drawn per segment, so its share is counted over segments.
const withMc = traces.filter((t) => t.optionsListed + t.optionsAlone > 0);
const aloneShare = withMc.filter((t) => t.optionsAlone > 0).length / withMc.length;
say();
say('| figure | observed | reference | within |');
say('| --- | --- | --- | --- |');
say(
  `| segments writing multiple choice (no reasoning) without its options | ${pct(aloneShare)} of ${withMc.length} | 50 % | ${check('options left out', within(aloneShare, 0.5, withMc.length))} |`,
);
const noneWritten = sum((t) => t.noneAnswers);
say(
  `| "none" answers kept | ${noneWritten} | ${g.mc_none} generated | ${check('none answers', noneWritten === g.mc_none)} |`,
);
const fewshotRounds = sum((t) => t.fewshotRounds);
say(
  `| inline few-shot rounds whose examples show reasoning | ${sum((t) => t.explained)} of ${fewshotRounds} | those whose every pair has it (unit-tested) | — |`,
);

// Openers and separators (classic segments; separators where a text joins ≥ 2 rounds).
const classic = templated.filter((t) => t.framing === 'classic');
const bare = classic.filter((t) => t.used.reading_opener === undefined).length / classic.length;
const noCompre = classic.filter((t) => t.used.comprehension_opener === undefined).length / classic.length;
say(
  `| classic texts starting with the text itself | ${pct(bare)} of ${classic.length} | 50 % | ${check('bare reading', within(bare, 0.5, classic.length))} |`,
);
say(
  `| classic texts without a comprehension opener | ${pct(noCompre)} | 50 % | ${check('no comprehension opener', within(noCompre, 0.5, classic.length))} |`,
);
const joined = traces.filter((t) => t.used.round_separator !== undefined);
const total = ROUND_SEPARATORS.reduce((s, [, w]) => s + w, 0);
for (const [i, [sep, w]] of ROUND_SEPARATORS.entries()) {
  const share = joined.filter((t) => t.used.round_separator === i).length / joined.length;
  say(
    `| between rounds: ${JSON.stringify(sep)} | ${pct(share)} of ${joined.length} | ${pct(w / total)} | ${check(`separator ${JSON.stringify(sep)}`, within(share, w / total, joined.length))} |`,
  );
}

// Distinct patterns used per family.
const FAMILIES: [Family, number, number, string][] = [
  ['plain', PLAIN_PATTERNS.length, 79, 'plain Q/A'],
  ['options', OPTION_PATTERNS.length, 48, 'multiple choice (half without options)'],
  ['cot', COT_PATTERNS.length, 210, 'chain-of-thought'],
  ['options_cot', OPTION_COT_PATTERNS.length, 240, 'multiple choice + chain-of-thought'],
  ['numbered', NUMBERED_FRAMES.length, 11, 'numbered questions'],
  ['next_turn', NEXT_TURN_FRAMES.length, 15, 'next turn'],
  ['inline_explained', INLINE_EXPLAINED.length, 10, 'inline few-shot, explained'],
  ['inline_plain', INLINE_PLAIN.length, 10, 'inline few-shot, answers only'],
  ['reading_opener', READING_OPENERS.length, 100, 'reading openers (+ the text alone, 50 %)'],
  ['comprehension_opener', COMPREHENSION_OPENERS.length, 168, 'comprehension openers (+ none, 50 %)'],
  ['speakers', SPEAKER_STYLES.length, 50, 'dialog speaker styles'],
  ['option_items', OPTION_ITEM_STYLES.length, 87, 'option item styles'],
  ['option_headings', OPTION_HEADINGS.length, 16, 'option headings'],
  ['pairs_first_opener', PAIRS_FIRST_OPENERS.length, 42, 'pairs-first openers'],
  ['text_after_pairs', TEXT_AFTER_PAIRS.length, 60, 'text-after-pairs openers'],
  ['dialog_heading', DIALOG_HEADINGS.length, 15, 'dialog headings'],
];
say();
say('### Patterns per family');
say();
say(
  'Distinct patterns ipt-templates-2 has per family, the reference’s list length (read_compre_pt.py; some of its lists repeat entries, e.g. its 100 reading openers are 50 worded ones plus the bare text 50 times), and how many distinct ones these texts used.',
);
say();
say('| family | ours | reference | used here | ours ≥ reference |');
say('| --- | --- | --- | --- | --- |');
for (const [family, ours, reference, label] of FAMILIES) {
  const used = new Set(traces.flatMap((t) => (t.used[family] === undefined ? [] : [t.used[family]]))).size;
  say(`| ${label} | ${ours} | ${reference} | ${used} | ${check(`${label} count`, ours >= reference)} |`);
}
say();
say(
  `Rendering speed: ${fmt(CHAINS / seconds, 0)} chains/s on one core (${fmt(seconds, 2)} s for ${CHAINS}).`,
);

const m = machine();
const head = [
  `## Templates (bench/templates.ts) — ${new Date().toISOString().slice(0, 10)}`,
  '',
  `Machine: ${m.cores} cores, ${m.cpu}, Node ${m.node}. Template version ${VERSION}. ${ranLine('bench/templates.ts')}`,
].join('\n');
const report = `${head}\n\n${lines.join('\n')}\n`;
console.log(report);
console.log(failures.length ? `outside tolerance: ${failures.join('; ')}` : 'every figure within tolerance');
if (WRITE) writeResultsBlock('templates-bench', report, true);
process.exitCode = failures.length ? 1 : 0;
