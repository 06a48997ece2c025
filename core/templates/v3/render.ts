// ipt-templates-3: a chain's connected segments rendered the way the reference's code does it
// (LMOps instruction_pretrain, cook_pt_entries + read_compre_pt.py), in ipt's wording. Per
// segment: judge every pair (./rules.ts; dropped pairs are left out, a round left without pairs
// stands alone as its plain text, after the segment's text), choose every pattern with draws that
// replay the chain's seed (./draws.ts), so all segments of a chain share their choices, and write
// each round with them, rounds joined by one separator drawn from the next seed.

import { type Framing, type Rendered, type RenderRound, segmentsOf } from '../segments.ts';
import { fill } from '../v2/fill.ts';
import { NONE_WORDINGS } from '../v2/none.ts';
import { citedLabel, ITEM_ENDS, optionBlock } from '../v2/options.ts';
import { ReplayedDraws } from './draws.ts';
import * as F from './framings.ts';
import {
  COT_PATTERNS,
  OPTION_COT_PATTERNS,
  OPTION_PATTERNS,
  type PairPattern,
  PLAIN_PATTERNS,
  showsOptions,
} from './pairs.ts';
import { type DropReason, judgePair, type KeptPair, matchOption, type PairKind } from './rules.ts';

/** What was chosen for a segment (indexes into the lists); equal in every segment of a chain. */
export interface Choices {
  mode: 'classic' | 'dialog' | 'numbered' | 'fewshot' | 'next_turn';
  inverted: boolean;
  plain: number;
  options: number;
  cot: number;
  optionsCot: number;
  reading: number;
  readEnd: number;
  comprehension: number;
  pairsFirst: number;
  pairsFirstEnd: number;
  textAfter: number;
  dialogJoin: number;
  dialogHeading: number;
  speakers: number;
  dialogEnd: number;
  dialogSep: number;
  numbered: number;
  questionItems: number;
  questionEnd: number;
  nextTurn: number;
  inline: number;
  optionHeading: number;
  optionItems: number;
  itemEnd: number;
  none: number;
}

/** How one pair was written. */
export interface PairTrace {
  kind: PairKind;
  none: boolean;
  /** The slot order of the pattern it was written with (`q|ra`, `a|q`, …). */
  order: string;
  optionsShown: boolean;
  /** For listed options: the answer as cited (its label, the option's text, a "none" wording). */
  cited: 'label' | 'text' | 'none' | null;
}
export interface RoundTrace {
  pairs: PairTrace[];
  /** Between two pairs of the round (classic, dialogue, pairs first), when it has two or more. */
  pairSeparator: string | null;
  /** The slot order of the numbered or next-turn frame (`cq|a`, `a|d`, …). */
  frameOrder: string | null;
}
export interface SegmentTrace {
  /** `plain` when no pair of the segment was kept (nothing rendered from it but its rounds). */
  framing: Framing;
  choices: Choices | null;
  rounds: RoundTrace[];
  /** Classic segments with the text first: whether an opener stood before / after the text. */
  readingOpener: boolean | null;
  comprehensionOpener: boolean | null;
  dropped: Record<DropReason, number>;
  /** Rounds that had pairs, all dropped (rendered alone as plain text). */
  emptied: number;
}

const at = <T>(items: readonly T[], i: number): T => items[i] as T;

function choose(seed: number, minPairs: number): Choices {
  const d = new ReplayedDraws(seed);
  const i = (items: readonly unknown[]) => d.index(items.length);
  const modes = minPairs >= 2 ? F.MANY_PAIR_FRAMINGS : F.FEW_PAIR_FRAMINGS;
  return {
    mode: at(modes, d.weighted(modes.map(([, w]) => w)))[0],
    inverted: d.weighted(F.PAIRS_FIRST_WEIGHTS) === 0,
    plain: i(PLAIN_PATTERNS),
    options: i(OPTION_PATTERNS),
    cot: i(COT_PATTERNS),
    optionsCot: i(OPTION_COT_PATTERNS),
    reading: i(F.READING_OPENERS),
    readEnd: i(F.READ_ENDS),
    comprehension: i(F.COMPREHENSION_OPENERS),
    pairsFirst: i(F.PAIRS_FIRST_OPENERS),
    pairsFirstEnd: i(F.PAIRS_FIRST_ENDS),
    textAfter: i(F.TEXT_AFTER_PAIRS),
    dialogJoin: i(F.DIALOG_JOINS),
    dialogHeading: i(F.DIALOG_HEADINGS),
    speakers: i(F.SPEAKER_STYLES),
    dialogEnd: i(F.DIALOG_ENDS),
    dialogSep: i(F.DIALOG_SEPARATORS),
    numbered: i(F.NUMBERED_FRAMES),
    questionItems: i(F.QUESTION_ITEM_STYLES),
    questionEnd: i(ITEM_ENDS),
    nextTurn: i(F.NEXT_TURN_FRAMES),
    inline: i(F.INLINE_PLAIN),
    optionHeading: i(F.OPTION_HEADINGS),
    optionItems: i(F.OPTION_ITEM_STYLES),
    itemEnd: i(ITEM_ENDS),
    none: i(NONE_WORDINGS),
  };
}

/** A pair written with one pattern: its input and output sides and the whole. */
interface Written {
  pair: KeptPair;
  pattern: PairPattern;
  input: string;
  output: string;
  whole: string;
}

/** The pattern of a pair's kind; inline few-shot writes reasoning pairs with their plain kind's. */
function patternFor(pair: KeptPair, c: Choices, inline: boolean): PairPattern {
  switch (pair.kind) {
    case 'plain':
      return at(PLAIN_PATTERNS, c.plain);
    case 'cot':
      return inline ? at(PLAIN_PATTERNS, c.plain) : at(COT_PATTERNS, c.cot);
    case 'options':
      return at(OPTION_PATTERNS, c.options);
    case 'options_cot':
      return inline ? at(OPTION_PATTERNS, c.options) : at(OPTION_COT_PATTERNS, c.optionsCot);
  }
}

/** Each pair's options in their own order (the synthesizer tends to put the right one early). */
const shuffleSeed = (seed: number, pairIndex: number): number =>
  (seed ^ Math.imul(pairIndex + 1, 0x9e3779b9)) >>> 0;

function writePair(pair: KeptPair, pairIndex: number, seed: number, c: Choices, trace: RoundTrace): Written {
  const dialogue = c.mode === 'dialog' || c.mode === 'next_turn';
  let pattern = patternFor(pair, c, c.mode === 'fewshot');
  if (dialogue) {
    const s = at(F.SPEAKER_STYLES, c.speakers);
    const end = at(F.DIALOG_ENDS, c.dialogEnd);
    const sep = at(F.DIALOG_SEPARATORS, c.dialogSep);
    pattern = { ...pattern, inPrefix: s.q, outPrefix: s.a, delimiter: end, separator: sep };
  }
  const shown = pair.options !== null && showsOptions(pattern);
  let o = '';
  let a = pair.answer;
  let cited: PairTrace['cited'] = null;
  if (pair.options !== null && shown) {
    const options = new ReplayedDraws(shuffleSeed(seed, pairIndex)).shuffle(pair.options);
    const style = at(F.OPTION_ITEM_STYLES, c.optionItems);
    o = optionBlock(options, at(F.OPTION_HEADINGS, c.optionHeading), style, at(ITEM_ENDS, c.itemEnd));
    if (pair.none) [a, cited] = [at(NONE_WORDINGS, c.none), 'none'];
    else if (style.enumerated) [a, cited] = [citedLabel(style, matchOption(options, pair.answer)), 'label'];
    else cited = 'text';
  }
  const slots = { q: pair.question, o, a, r: pair.reasoning ?? '' };
  const input = fill(pattern.inputs, slots);
  const output = fill(pattern.targets, slots);
  trace.pairs.push({ kind: pair.kind, none: pair.none, order: pattern.order, optionsShown: shown, cited });
  const whole = pattern.inPrefix + input + pattern.delimiter + pattern.outPrefix + output;
  return { pair, pattern, input, output, whole };
}

function writeRound(
  text: string,
  ws: readonly Written[],
  c: Choices,
  t: SegmentTrace,
  r: RoundTrace,
): string {
  const sep = (ws[ws.length - 1] as Written).pattern.separator;
  const demos = ws.map((w) => w.whole).join(sep);
  if (ws.length > 1 && (c.mode === 'classic' || c.mode === 'dialog')) r.pairSeparator = sep;
  if ((c.mode === 'classic' || c.mode === 'dialog') && c.inverted) {
    const pairs = fill(at(F.PAIRS_FIRST_OPENERS, c.pairsFirst), { pairs: demos });
    return (
      pairs + at(F.PAIRS_FIRST_ENDS, c.pairsFirstEnd) + fill(at(F.TEXT_AFTER_PAIRS, c.textAfter), { text })
    );
  }
  switch (c.mode) {
    case 'classic': {
      const comprehension = at(F.COMPREHENSION_OPENERS, c.comprehension);
      t.readingOpener = at(F.READING_OPENERS, c.reading) !== '{text}';
      t.comprehensionOpener = comprehension !== '';
      const end = comprehension === '' ? '' : at(F.READ_ENDS, c.readEnd);
      return fill(at(F.READING_OPENERS, c.reading), { text }) + end + comprehension + sep + demos;
    }
    case 'dialog':
      return text + at(F.DIALOG_JOINS, c.dialogJoin) + at(F.DIALOG_HEADINGS, c.dialogHeading) + sep + demos;
    case 'next_turn': {
      const frame = at(F.NEXT_TURN_FRAMES, c.nextTurn);
      r.frameOrder = frame.order;
      const slots = {
        history: ws
          .slice(0, -1)
          .map((w) => w.pattern.separator + w.whole)
          .join(''),
        turn: (ws[ws.length - 1] as Written).whole,
      };
      return (
        text + frame.separator + fill(frame.inputs, slots) + frame.delimiter + fill(frame.targets, slots)
      );
    }
    case 'numbered': {
      const frame = at(F.NUMBERED_FRAMES, c.numbered);
      r.frameOrder = frame.order;
      const style = at(F.QUESTION_ITEM_STYLES, c.questionItems);
      const end = at(ITEM_ENDS, c.questionEnd);
      const list = (side: (w: Written) => string) =>
        ws.map((w, i) => style.marker(i) + side(w) + end).join('');
      const slots = { text, qs: list((w) => w.input), as: list((w) => w.output) };
      return fill(frame.inputs, slots) + frame.delimiter + fill(frame.targets, slots);
    }
    case 'fewshot': {
      const explained = ws.every((w) => w.pair.reasoning !== null);
      const ip = at(explained ? F.INLINE_EXPLAINED : F.INLINE_PLAIN, c.inline);
      const io = (w: Written) => ({ x: w.input, y: w.output, r: w.pair.reasoning ?? '' });
      const examples = ws
        .slice(0, -1)
        .map((w) => fill(ip.exIn, io(w)) + fill(ip.exOut, io(w)) + ip.sep)
        .join('');
      const test = io(ws[ws.length - 1] as Written);
      return fill(ip.intro, { text }) + examples + fill(ip.testIn, test) + fill(ip.testOut, test);
    }
  }
}

const framingOf = (c: Choices): Framing =>
  (c.mode === 'classic' || c.mode === 'dialog') && c.inverted ? 'pairs_first' : c.mode;

const emptyTrace = (): SegmentTrace => ({
  framing: 'plain',
  choices: null,
  rounds: [],
  readingOpener: null,
  comprehensionOpener: null,
  dropped: { cot_malformed: 0, options_malformed: 0, no_matching_option: 0 },
  emptied: 0,
});

/** ipt-templates-3 with what was chosen and written per segment. */
export function renderChainV3Traced(
  rounds: readonly RenderRound[],
  seed: number,
): { texts: Rendered[]; segments: SegmentTrace[] } {
  const texts: Rendered[] = [];
  const segments: SegmentTrace[] = [];
  const roundSep = at(
    PLAIN_PATTERNS,
    new ReplayedDraws((seed + 1) >>> 0).index(PLAIN_PATTERNS.length),
  ).separator;
  for (const idx of segmentsOf(rounds)) {
    const t = emptyTrace();
    const verdicts = idx.map((i) => (rounds[i] as RenderRound).pairs.map(judgePair));
    for (const vs of verdicts) for (const v of vs) if (!v.keep) t.dropped[v.reason]++;
    const kept = verdicts.map((vs) => vs.map((v) => (v.keep ? v.pair : null)));
    const has = (k: number) => (kept[k] as (KeptPair | null)[]).some((p) => p !== null);
    const withPairs = idx.filter((_, k) => has(k));
    const alone = idx.filter((_, k) => !has(k));
    if (withPairs.length > 0) {
      const c = choose(seed, Math.min(...kept.map((ks) => ks.filter((p) => p !== null).length)));
      t.framing = framingOf(c);
      t.choices = c;
      const parts = idx.flatMap((i, k) => {
        if (!has(k)) return [];
        const r: RoundTrace = { pairs: [], pairSeparator: null, frameOrder: null };
        t.rounds.push(r);
        const written = (kept[k] as (KeptPair | null)[]).flatMap((p, j) =>
          p ? [writePair(p, j, seed, c, r)] : [],
        );
        return [writeRound((rounds[i] as RenderRound).text, written, c, t, r)];
      });
      texts.push({ text: parts.join(roundSep), round_indexes: withPairs, framing: t.framing });
    }
    t.emptied = alone.filter((i) => (rounds[i] as RenderRound).pairs.length > 0).length;
    segments.push(t);
    for (const i of alone)
      texts.push({ text: (rounds[i] as RenderRound).text, round_indexes: [i], framing: 'plain' });
  }
  return { texts, segments };
}

/** ipt-templates-3: pre-training texts of a chain. Pure. */
export function renderChainV3(rounds: readonly RenderRound[], seed: number): Rendered[] {
  return renderChainV3Traced(rounds, seed).texts;
}
