// Fidelity of ipt-templates-3 to the reference (LMOps instruction_pretrain): `node bin/run-ts.js
// bench/templates-fidelity.ts [--chains=20000] [--write]`.
//
// Synthetic chains (1–3 rounds, 0–5 pairs a round: plain, multiple choice, chain of thought, both,
// malformed, and "no option fits" answers in the spellings the reference keeps and drops) go
// through a model of the reference written from its code (bench/reference/: its rules and its
// draws, CPython's random.Random per draw, seed = chain index + 12345 as its README does) and
// through the ipt-templates-3 renderer itself (core/templates/v3/render.ts with ipt's chain seeds;
// its figures are read from the trace of what it wrote: each pair's pattern order, the cited
// answer, the separators, openers and frames). Reports each figure with a two-proportion z-test,
// and every pair whose keep/drop decision differs. Exit status 1 on a keep/drop disagreement or a
// gap over 1 point with p < 0.001.

import { Rng } from '../core/prng.ts';
import { templateSeed } from '../core/templates/segments.ts';
import { joinersOf, LIST_SHAPES, ordersOf } from '../core/templates/v3/layout.ts';
import {
  type Choices,
  type PairTrace,
  renderChainV3Traced,
  type SegmentTrace,
} from '../core/templates/v3/render.ts';
import { judgePair } from '../core/templates/v3/rules.ts';
import type { QAPair } from '../core/types.ts';
import { machine } from './proc.ts';
import { pythonDraw, type RefSegment, referenceChain, referenceKeeps } from './reference/model.ts';
import { REFERENCE_NONE } from './reference/none-answers.ts';
import { fmt, ranLine, writeResultsBlock } from './results.ts';

const arg = (name: string, fallback: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const CHAINS = arg('chains', 20_000);
const WRITE = process.argv.includes('--write');

// ---- synthetic chains

const rng = new Rng(20261206);
const WORDS =
  'tide moon sun water plant leaf river stone city bridge light energy cell harbour market law'.split(' ');
const words = (n: number) => Array.from({ length: n }, () => rng.pick(WORDS)).join(' ');
const T = "\nLet's think step by step.";
const C = '\nTherefore, the answer is ';
/** "No option fits" spellings: kept by the reference, dropped by it, and near misses. */
const NONE_SPELLINGS = [
  'None',
  'none',
  'None of the above choices',
  'No option works',
  'None are right',
  'nothing fits',
  'None of the above',
  'None of these',
  'Not listed',
  'Unknown',
  'Neither',
  'NONE',
  'None of the options fit',
  ' None',
  'None.',
  'NO OPTION WORKS',
];

function makePair(): QAPair {
  const q = `${words(3 + rng.int(6))}?`;
  const a = `${words(1 + rng.int(8))}.`;
  const opts = Array.from({ length: 2 + rng.int(4) }, (_, i) => `${words(1 + rng.int(3))} ${i}`);
  const listed = `${q}\nOptions:\n- ${opts.join('\n- ')}`;
  const right = rng.pick(opts);
  switch (rng.weighted({ plain: 45, mc: 14, none: 6, bad_mc: 5, cot: 14, bad_cot: 6, mc_cot: 10 })) {
    case 'plain':
      return { question: q, answer: a };
    case 'mc':
      return { question: listed, answer: rng.chance(0.2) ? ` ${right} ` : right };
    case 'none':
      return { question: listed, answer: rng.pick(NONE_SPELLINGS) };
    case 'bad_mc':
      return rng.chance(0.5)
        ? { question: listed, answer: 'something else' }
        : { question: `${listed}\nOptions:\n- again`, answer: right };
    case 'cot':
      return { question: q + T, answer: `${a}${C}${words(2)}` };
    case 'bad_cot':
      return rng.pick([
        { question: q + T, answer: `${a}${C}x${C}y` },
        { question: `${q}${T} more`, answer: `${a}${C}y` },
        { question: q, answer: `${a}${C}y` },
      ]);
    default:
      return { question: listed + T, answer: `${a}${C}${right}` };
  }
}

const makeChain = () => {
  const rounds = Array.from({ length: 1 + rng.int(3) }, () => ({
    text: words(12),
    pairs: Array.from({ length: rng.pick([0, 1, 1, 2, 2, 3, 3, 4, 5]) }, makePair),
    inherit_from_prev: false,
  }));
  rounds.forEach((r, i) => {
    r.inherit_from_prev =
      i > 0 && (rounds[i - 1]?.pairs.length ?? 0) > 0 && r.pairs.length > 0 && rng.chance(0.8);
  });
  return rounds;
};

const chains = Array.from({ length: CHAINS }, makeChain);

// ---- keep/drop

let pairs = 0;
let disagreements = 0;
const chainsDiffering = new Set<number>();
const examples = new Set<string>();
chains.forEach((rounds, c) => {
  for (const r of rounds)
    for (const p of r.pairs) {
      pairs++;
      const ref = referenceKeeps(p, REFERENCE_NONE);
      const ours = judgePair(p);
      const same =
        ref === null ? !ours.keep : ours.keep && ours.pair.kind === ref.kind && ours.pair.none === ref.none;
      if (!same) {
        disagreements++;
        chainsDiffering.add(c);
        if (examples.size < 5) examples.add(JSON.stringify(p.answer));
      }
    }
});

// ---- figures

const ORDERS = {
  plain: ordersOf(LIST_SHAPES.PLAIN),
  option: ordersOf(LIST_SHAPES.OPTIONS),
  cot: ordersOf(LIST_SHAPES.COT),
  optionCot: ordersOf(LIST_SHAPES.OPTIONS_COT),
  numbered: ordersOf(LIST_SHAPES.NUMBERED),
  nextTurn: ordersOf(LIST_SHAPES.NEXT_TURN),
};
const SEPS = {
  plain: joinersOf(LIST_SHAPES.PLAIN),
  option: joinersOf(LIST_SHAPES.OPTIONS),
  cot: joinersOf(LIST_SHAPES.COT),
  optionCot: joinersOf(LIST_SHAPES.OPTIONS_COT),
};
const before = (order: string, x: string, y: string) => {
  const o = order.replace('|', '');
  return o.includes(x) && (!o.includes(y) || o.indexOf(x) < o.indexOf(y));
};

type Tally = [hits: number, of: number];
type Figures = Record<string, Tally>;
const ROWS: [key: string, label: string, issue: string][] = [
  ['plainAnswerFirst', 'plain pair: answer written before its question', '13.0 %'],
  ['plainQuestionOnly', 'plain pair: question-only patterns', '6.3 %'],
  ['cotOtherOrder', 'chain of thought: orders other than question → reasoning → answer', '49.7 %'],
  ['mcCotBefore', 'multiple choice + reasoning: options or reasoning before the question', '23.7 %'],
  ['mcOptionsFirst', 'multiple choice (options listed): options before the question', '12.8 %'],
  ['nextTurnLastFirst', 'next-turn framing: the last turn written first', '40.8 %'],
  ['numberedAnswersFirst', 'numbered framing: answers before their questions', '21.9 %'],
  ['citedByLabel', 'listed options: the answer cited by its label', '52.5 %'],
  ['sepTwoNewlines', 'between pairs: two newlines', '44.0 %'],
  ['sepRule', 'between pairs: a rule line', '5.3 %'],
  ['readingOpener', 'classic framing: reading opener', '53.3 %'],
  ['comprehensionOpener', 'classic framing: comprehension opener', '46.5 %'],
  ['sameDraws', 'every segment of a chain rendered with the same draws', '100 %'],
];

type Count = (k: string, hit: boolean) => void;
function tallies(): { f: Figures; count: Count } {
  const f: Figures = Object.fromEntries(ROWS.map(([k]) => [k, [0, 0]]));
  const count = (k: string, hit: boolean) => {
    const t = f[k] as Tally;
    t[0] += hit ? 1 : 0;
    t[1]++;
  };
  return { f, count };
}

function referenceFigures(): Figures {
  const { f, count } = tallies();
  chains.forEach((rounds, c) => {
    const segs = referenceChain(rounds, c + 12345, REFERENCE_NONE, pythonDraw).filter((s) =>
      s.rounds.some((r) => r.length),
    );
    if (segs.length > 1)
      count(
        'sameDraws',
        segs.every((s) => signature(s) === signature(segs[0] as RefSegment)),
      );
    for (const s of segs) tallySegment(s, count);
  });
  return f;
}

const signature = (s: RefSegment) =>
  [s.inverted, s.basic, s.option, s.cot, s.optionCot, s.optionItems].join();

function tallySegment(s: RefSegment, count: (k: string, hit: boolean) => void): void {
  const inline = s.mode === 'inline';
  if (s.mode === 'classic' && !s.inverted) {
    count('readingOpener', s.readStart >= 50);
    count('comprehensionOpener', s.compreStart < 84);
  }
  for (const round of s.rounds) {
    if (round.length === 0) continue;
    if (s.mode === 'next_turn')
      count('nextTurnLastFirst', (ORDERS.nextTurn[s.nextTurn] as string).startsWith('a'));
    if (s.mode === 'numbered')
      count('numberedAnswersFirst', before(ORDERS.numbered[s.numbered] as string, 'a', 'q'));
    for (const p of round) tallyPair(s, p.kind, p.none, inline, count);
    if (s.mode === 'classic' && round.length >= 2) {
      const last = round[round.length - 1]?.kind;
      const sep = sepOf(s, last, inline);
      count('sepTwoNewlines', sep === '\n\n');
      count('sepRule', /[-*=+]/.test(sep));
    }
  }
}

function sepOf(s: RefSegment, kind: string | undefined, inline: boolean): string {
  if (kind === 'plain') return SEPS.plain[s.basic]?.separator as string;
  if (kind === 'cot') return SEPS.cot[s.cot]?.separator as string;
  if (kind === 'options') return SEPS.option[s.option]?.separator as string;
  return (inline ? SEPS.option[s.option] : SEPS.optionCot[s.optionCot])?.separator as string;
}

function tallyPair(
  s: RefSegment,
  kind: string,
  none: boolean,
  inline: boolean,
  count: (k: string, hit: boolean) => void,
) {
  const plain = ORDERS.plain[s.basic] as string;
  if (kind === 'plain') {
    count('plainAnswerFirst', before(plain, 'a', 'q'));
    count('plainQuestionOnly', !plain.includes('a'));
  } else if (kind === 'cot' && !inline) {
    count('cotOtherOrder', ORDERS.cot[s.cot] !== 'q|ra');
  }
  const order =
    kind === 'options' || (kind === 'options_cot' && inline)
      ? ORDERS.option[s.option]
      : kind === 'options_cot'
        ? ORDERS.optionCot[s.optionCot]
        : undefined;
  if (order === undefined) return;
  if (kind === 'options_cot' && !inline)
    count('mcCotBefore', before(order, 'o', 'q') || before(order, 'r', 'q'));
  if (!order.includes('o')) return;
  if (kind === 'options' || inline) count('mcOptionsFirst', before(order, 'o', 'q'));
  if (!none) count('citedByLabel', s.optionItems >= 23);
}

// ---- compare

const failures: string[] = [];

// ---- the same figures from what the ipt-templates-3 renderer wrote

let written = 0;
let referenceKept = 0;
const signatureOf = (c: Choices) =>
  [c.inverted, c.plain, c.options, c.cot, c.optionsCot, c.optionItems].join();

function renderedFigures(): Figures {
  const { f, count } = tallies();
  chains.forEach((rounds, c) => {
    const seed = templateSeed(`bench/fidelity/${c}`, 'ipt-templates-3');
    const segs = renderChainV3Traced(rounds, seed).segments.filter((s) => s.choices !== null);
    if (segs.length > 1) {
      const first = signatureOf(segs[0]?.choices as Choices);
      count(
        'sameDraws',
        segs.every((s) => signatureOf(s.choices as Choices) === first),
      );
    }
    for (const s of segs) tallyRendered(s, count);
  });
  return f;
}

function tallyRendered(s: SegmentTrace, count: Count): void {
  const mode = (s.choices as Choices).mode;
  if (s.framing === 'classic') {
    count('readingOpener', s.readingOpener === true);
    count('comprehensionOpener', s.comprehensionOpener === true);
  }
  for (const round of s.rounds) {
    if (mode === 'next_turn') count('nextTurnLastFirst', (round.frameOrder as string).startsWith('a'));
    if (mode === 'numbered') count('numberedAnswersFirst', before(round.frameOrder as string, 'a', 'q'));
    if (mode === 'classic' && round.pairSeparator !== null) {
      count('sepTwoNewlines', round.pairSeparator === '\n\n');
      count('sepRule', /[-*=+]/.test(round.pairSeparator));
    }
    for (const p of round.pairs) tallyWrittenPair(p, mode === 'fewshot', count);
  }
}

function tallyWrittenPair(p: PairTrace, inline: boolean, count: Count): void {
  written++;
  if (p.kind === 'plain') {
    count('plainAnswerFirst', before(p.order, 'a', 'q'));
    count('plainQuestionOnly', !p.order.includes('a'));
  } else if (p.kind === 'cot' && !inline) count('cotOtherOrder', p.order !== 'q|ra');
  if (p.kind === 'options_cot' && !inline)
    count('mcCotBefore', before(p.order, 'o', 'q') || before(p.order, 'r', 'q'));
  if (!p.optionsShown) return;
  if (p.kind === 'options' || inline) count('mcOptionsFirst', before(p.order, 'o', 'q'));
  if (!p.none) count('citedByLabel', p.cited === 'label');
}

const started = process.hrtime.bigint();
const reference = referenceFigures();
const ours = renderedFigures();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
for (const rounds of chains)
  for (const r of rounds) for (const p of r.pairs) if (referenceKeeps(p, REFERENCE_NONE)) referenceKept++;
if (written !== referenceKept) failures.push('pairs written');

/** Two-sided p-value of a two-proportion z-test. */
function zTest([h1, n1]: Tally, [h2, n2]: Tally): { z: number; p: number } {
  const pooled = (h1 + h2) / Math.max(1, n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / Math.max(1, n1) + 1 / Math.max(1, n2)));
  const z = se === 0 ? 0 : (h1 / n1 - h2 / n2) / se;
  return { z, p: erfc(Math.abs(z) / Math.SQRT2) };
}
/** Complementary error function (Numerical Recipes' erfcc, relative error < 1.2e-7). */
function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const y =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? y : 2 - y;
}

const pct = ([h, n]: Tally) => (n === 0 ? '—' : `${fmt((100 * h) / n, 1)} % of ${n}`);
const lines = [
  '| what (share of the renderings where it applies) | issue (reference code) | reference model | ipt-templates-3 rendered | z | p | ok |',
  '| --- | --- | --- | --- | --- | --- | --- |',
];
for (const [key, label, issue] of ROWS) {
  const r = reference[key] as Tally;
  const o = ours[key] as Tally;
  const { z, p } = zTest(o, r);
  const gap = Math.abs(o[0] / Math.max(1, o[1]) - r[0] / Math.max(1, r[1]));
  const ok = gap <= 0.01 || p >= 0.001;
  if (!ok) failures.push(label);
  lines.push(
    `| ${label} | ${issue} | ${pct(r)} | ${pct(o)} | ${fmt(z, 2)} | ${p < 0.0001 ? '< 0.0001' : fmt(p, 4)} | ${ok ? 'yes' : '**no**'} |`,
  );
}
if (disagreements > 0) failures.push('keep/drop');
const m = machine();
const report = [
  `## Template fidelity (bench/templates-fidelity.ts) — ${new Date().toISOString().slice(0, 10)}`,
  '',
  `Machine: ${m.cores} cores, ${m.cpu}, Node ${m.node}. ${ranLine('bench/templates-fidelity.ts')} ${CHAINS} synthetic chains, ${pairs} pairs (1–3 rounds of 12 random words, 0–5 pairs a round: 45 % plain, 14 % multiple choice, 6 % "no option fits" answers in kept and dropped spellings, 5 % malformed multiple choice, 14 % chain of thought, 6 % malformed chain of thought, 10 % both; a round inherits with chance 0.8 when both have pairs).`,
  '',
  `Keep/drop: ${disagreements} of ${pairs} pairs decided differently from the reference model (${chainsDiffering.size} chains)${examples.size ? `, e.g. answers ${[...examples].join(', ')}` : ''}. Pairs written by the renderer: ${written}; kept by the reference model: ${referenceKept}.`,
  '',
  "Reference model: bench/reference/ (its rules; CPython random.Random per draw, seed = chain index + 12345). ipt column: the ipt-templates-3 renderer (core/templates/v3/render.ts, seed = templateSeed of the chain id), read from the trace of what it wrote (each pair's pattern order, how the answer was cited, the separator between pairs, the openers, the numbered and next-turn frames), not from the draws. The z-test compares ipt with the reference model on the same chains. The issue column used its own chain mix and definitions, so rows whose definition differs (options or reasoning first, cited by label, numbered, separators) are compared against the reference model only.",
  '',
  ...lines,
  '',
  `Ran in ${fmt(seconds, 1)} s.`,
].join('\n');
console.log(report);
console.log(failures.length ? `outside the goal: ${failures.join('; ')}` : 'every figure within the goal');
if (WRITE) writeResultsBlock('templates-fidelity-bench', `${report}\n`, true);
process.exitCode = failures.length ? 1 : 0;
