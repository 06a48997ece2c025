// ipt-templates-2: a chain's connected segments rendered the way the reference does it (LMOps
// instruction_pretrain), in ipt's wording. Per segment: judge every pair (rules.ts; dropped pairs
// are left out, and a round left without pairs stands alone as its plain text, after the
// segment's text), then draw one pattern set from the chain's PRNG stream and write each round
// with it, rounds joined by one separator. Every component is drawn whatever the framing, so the
// number of draws per segment is fixed; option orders are drawn per pair afterwards.

import { Rng } from '../../prng.ts';
import { type Framing, type Rendered, type RenderRound, segmentsOf } from '../segments.ts';
import { fill } from './fill.ts';
import {
  BARE_READING_CHANCE,
  COMPREHENSION_OPENERS,
  DIALOG_ENDS,
  DIALOG_HEADINGS,
  DIALOG_JOINS,
  DIALOG_SEPARATORS,
  FEW_PAIR_FRAMINGS,
  INLINE_EXPLAINED,
  INLINE_PLAIN,
  type InlinePattern,
  MANY_PAIR_FRAMINGS,
  NEXT_TURN_FRAMES,
  NO_COMPREHENSION_OPENER_CHANCE,
  NUMBERED_FRAMES,
  PAIRS_FIRST_CHANCE,
  PAIRS_FIRST_ENDS,
  PAIRS_FIRST_OPENERS,
  READ_ENDS,
  READING_OPENERS,
  ROUND_SEPARATORS,
  SPEAKER_STYLES,
  type SpeakerStyle,
  TEXT_AFTER_PAIRS,
} from './framings.ts';
import { NONE_WORDINGS } from './none.ts';
import {
  citedLabel,
  ITEM_ENDS,
  type ItemStyle,
  OPTION_HEADINGS,
  OPTION_ITEM_STYLES,
  optionBlock,
  QUESTION_ITEM_STYLES,
} from './options.ts';
import {
  COT_PATTERNS,
  OPTION_COT_PATTERNS,
  OPTION_PATTERNS,
  OPTION_PATTERNS_LISTED,
  type PairPattern,
  PLAIN_PATTERNS,
} from './pairs.ts';
import { type DropReason, judgePair, type KeptPair, matchOption, type PairKind } from './rules.ts';

/** What was drawn for one segment (indexes into the pattern lists); the fidelity bench reads it. */
export interface SegmentTrace {
  /** `plain` when no pair of the segment was kept (nothing drawn). */
  framing: Framing;
  /** Fewest kept pairs in a round of the segment (decides the framing weights). */
  minPairs: number;
  pairs: Record<PairKind, number>;
  dropped: Record<DropReason, number>;
  /** Multiple-choice pairs without reasoning written with their options listed / without. */
  optionsListed: number;
  optionsAlone: number;
  /** Multiple-choice pairs answered "none". */
  noneAnswers: number;
  /** Inline few-shot rounds, and those whose examples show their reasoning. */
  fewshotRounds: number;
  explained: number;
  /** Rounds left without pairs by the rules (rendered alone as plain text). */
  emptied: number;
  /** Pattern index per family, for the families this segment used. */
  used: Partial<Record<Family, number>>;
}

export type Family =
  | 'plain'
  | 'options'
  | 'cot'
  | 'options_cot'
  | 'numbered'
  | 'next_turn'
  | 'inline_explained'
  | 'inline_plain'
  | 'reading_opener'
  | 'comprehension_opener'
  | 'speakers'
  | 'option_items'
  | 'option_headings'
  | 'round_separator'
  | 'pairs_first_opener'
  | 'text_after_pairs'
  | 'dialog_heading';

interface PatternSet {
  framing: Framing;
  roundSep: number;
  plain: number;
  options: number;
  cot: number;
  optionsCot: number;
  optionHeading: number;
  optionItems: number;
  itemEnd: string;
  none: number;
  reading: number; // -1: the text alone
  readEnd: string;
  comprehension: number; // -1: none
  pairsFirst: number;
  pairsFirstEnd: string;
  textAfter: number;
  dialogJoin: string;
  dialogHeading: number;
  speakers: number;
  dialogEnd: string;
  dialogSep: string;
  numbered: number;
  questionItems: number;
  questionEnd: string;
  nextTurn: number;
  inline: number;
}

const pickIndex = (rng: Rng, items: readonly unknown[]): number => rng.int(items.length);

function pickWeighted(rng: Rng, items: readonly (readonly [string, number])[]): number {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let x = rng.float() * total;
  for (let i = 0; i < items.length; i++) {
    x -= (items[i] as readonly [string, number])[1];
    if (x < 0) return i;
  }
  return items.length - 1;
}

function drawPatternSet(rng: Rng, minPairs: number): PatternSet {
  const mode = rng.weighted<Framing>(minPairs >= 2 ? MANY_PAIR_FRAMINGS : FEW_PAIR_FRAMINGS);
  const inverted = rng.chance(PAIRS_FIRST_CHANCE);
  return {
    framing: mode === 'classic' && inverted ? 'pairs_first' : mode,
    roundSep: pickWeighted(rng, ROUND_SEPARATORS),
    plain: pickIndex(rng, PLAIN_PATTERNS),
    options: pickIndex(rng, OPTION_PATTERNS),
    cot: pickIndex(rng, COT_PATTERNS),
    optionsCot: pickIndex(rng, OPTION_COT_PATTERNS),
    optionHeading: pickIndex(rng, OPTION_HEADINGS),
    optionItems: pickIndex(rng, OPTION_ITEM_STYLES),
    itemEnd: rng.pick(ITEM_ENDS),
    none: pickIndex(rng, NONE_WORDINGS),
    reading: rng.chance(BARE_READING_CHANCE) ? -1 : pickIndex(rng, READING_OPENERS),
    readEnd: rng.pick(READ_ENDS),
    comprehension: rng.chance(NO_COMPREHENSION_OPENER_CHANCE) ? -1 : pickIndex(rng, COMPREHENSION_OPENERS),
    pairsFirst: pickIndex(rng, PAIRS_FIRST_OPENERS),
    pairsFirstEnd: rng.pick(PAIRS_FIRST_ENDS),
    textAfter: pickIndex(rng, TEXT_AFTER_PAIRS),
    dialogJoin: rng.pick(DIALOG_JOINS),
    dialogHeading: pickIndex(rng, DIALOG_HEADINGS),
    speakers: pickIndex(rng, SPEAKER_STYLES),
    dialogEnd: rng.pick(DIALOG_ENDS),
    dialogSep: rng.pick(DIALOG_SEPARATORS),
    numbered: pickIndex(rng, NUMBERED_FRAMES),
    questionItems: pickIndex(rng, QUESTION_ITEM_STYLES),
    questionEnd: rng.pick(ITEM_ENDS),
    nextTurn: pickIndex(rng, NEXT_TURN_FRAMES),
    inline: pickIndex(rng, INLINE_PLAIN),
  };
}

/** A kept pair ready to be written: its pattern and slot values. */
interface Written {
  pair: KeptPair;
  pattern: PairPattern;
  slots: Record<string, string>;
  /** The pattern and slots without reasoning, for inline few-shot examples. */
  bare: { pattern: PairPattern; slots: Record<string, string> };
}

const at = <T>(items: readonly T[], i: number): T => items[i] as T;

function writePair(pair: KeptPair, p: PatternSet, rng: Rng, trace: SegmentTrace): Written {
  trace.pairs[pair.kind]++;
  const plain = at(PLAIN_PATTERNS, p.plain);
  if (pair.options === null) {
    const slots = { q: pair.question, a: pair.answer, r: pair.reasoning ?? '' };
    if (pair.kind === 'cot') {
      trace.used.cot = p.cot;
      return { pair, pattern: at(COT_PATTERNS, p.cot), slots, bare: { pattern: plain, slots } };
    }
    trace.used.plain = p.plain;
    return { pair, pattern: plain, slots, bare: { pattern: plain, slots } };
  }
  // The options are shuffled for every pair (the synthesizer tends to put the right one early).
  const options = rng.shuffle(pair.options);
  const style: ItemStyle = at(OPTION_ITEM_STYLES, p.optionItems);
  const k = matchOption(options, pair.answer);
  const cited = pair.none ? at(NONE_WORDINGS, p.none) : style.enumerated ? citedLabel(style, k) : pair.answer;
  const listed = {
    q: pair.question,
    o: optionBlock(options, at(OPTION_HEADINGS, p.optionHeading), style, p.itemEnd),
    a: cited,
    r: pair.reasoning ?? '',
  };
  const alone = { q: pair.question, a: pair.answer, r: pair.reasoning ?? '' };
  const optionPattern = at(OPTION_PATTERNS, p.options);
  const optionSlots = p.options < OPTION_PATTERNS_LISTED.length ? listed : alone;
  trace.used.option_items = p.optionItems;
  trace.used.option_headings = p.optionHeading;
  if (pair.none) trace.noneAnswers++;
  if (pair.kind === 'options_cot') {
    trace.used.options_cot = p.optionsCot;
    return {
      pair,
      pattern: at(OPTION_COT_PATTERNS, p.optionsCot),
      slots: listed,
      bare: { pattern: optionPattern, slots: optionSlots },
    };
  }
  trace.used.options = p.options;
  if (optionSlots === listed) trace.optionsListed++;
  else trace.optionsAlone++;
  return {
    pair,
    pattern: optionPattern,
    slots: optionSlots,
    bare: { pattern: optionPattern, slots: optionSlots },
  };
}

const inputOf = (pattern: PairPattern, slots: Record<string, string>): string => fill(pattern.q, slots);
const outputOf = (pattern: PairPattern, slots: Record<string, string>): string => fill(pattern.a, slots);
const whole = (w: Written): string =>
  w.pattern.qp + inputOf(w.pattern, w.slots) + w.pattern.mid + w.pattern.ap + outputOf(w.pattern, w.slots);
const turn = (w: Written, s: SpeakerStyle, end: string): string =>
  s.q + inputOf(w.pattern, w.slots) + end + s.a + outputOf(w.pattern, w.slots);

function writeRound(text: string, ws: readonly Written[], p: PatternSet, trace: SegmentTrace): string {
  const last = ws[ws.length - 1] as Written;
  switch (p.framing) {
    case 'classic':
    case 'plain': {
      const sep = last.pattern.sep;
      const pairs = ws.map(whole).join(sep);
      const opener = p.reading < 0 ? text : fill(at(READING_OPENERS, p.reading), { text });
      const comprehension = p.comprehension < 0 ? '' : at(COMPREHENSION_OPENERS, p.comprehension);
      if (p.reading >= 0) trace.used.reading_opener = p.reading;
      if (p.comprehension >= 0) trace.used.comprehension_opener = p.comprehension;
      return opener + (comprehension === '' ? '' : p.readEnd) + comprehension + sep + pairs;
    }
    case 'pairs_first': {
      trace.used.pairs_first_opener = p.pairsFirst;
      trace.used.text_after_pairs = p.textAfter;
      const pairs = ws.map(whole).join(last.pattern.sep);
      return (
        fill(at(PAIRS_FIRST_OPENERS, p.pairsFirst), { pairs }) +
        p.pairsFirstEnd +
        fill(at(TEXT_AFTER_PAIRS, p.textAfter), { text })
      );
    }
    case 'dialog': {
      trace.used.speakers = p.speakers;
      trace.used.dialog_heading = p.dialogHeading;
      const s = at(SPEAKER_STYLES, p.speakers);
      const turns = ws.map((w) => turn(w, s, p.dialogEnd)).join(p.dialogSep);
      return text + p.dialogJoin + at(DIALOG_HEADINGS, p.dialogHeading) + p.dialogSep + turns;
    }
    case 'next_turn': {
      trace.used.speakers = p.speakers;
      trace.used.next_turn = p.nextTurn;
      const s = at(SPEAKER_STYLES, p.speakers);
      const history = ws
        .slice(0, -1)
        .map((w) => p.dialogSep + turn(w, s, p.dialogEnd))
        .join('');
      return fill(at(NEXT_TURN_FRAMES, p.nextTurn), { text, history, turn: turn(last, s, p.dialogEnd) });
    }
    case 'numbered': {
      trace.used.numbered = p.numbered;
      const style = at(QUESTION_ITEM_STYLES, p.questionItems);
      const list = (part: (w: Written) => string) =>
        ws.map((w, i) => style.marker(i) + part(w) + p.questionEnd).join('');
      return fill(at(NUMBERED_FRAMES, p.numbered), {
        text,
        qs: list((w) => inputOf(w.pattern, w.slots)),
        as: list((w) => outputOf(w.pattern, w.slots)),
      });
    }
    case 'fewshot': {
      // Reasoning is shown (after each example's answer) only if every pair of the round has it.
      const explained = ws.every((w) => w.pair.reasoning !== null);
      const family = explained ? 'inline_explained' : 'inline_plain';
      trace.used[family] = p.inline;
      trace.fewshotRounds++;
      if (explained) trace.explained++;
      const ip: InlinePattern = at(explained ? INLINE_EXPLAINED : INLINE_PLAIN, p.inline);
      const io = (w: Written) => ({
        x: inputOf(w.bare.pattern, w.bare.slots),
        y: outputOf(w.bare.pattern, w.bare.slots),
        r: w.pair.reasoning ?? '',
      });
      const examples = ws
        .slice(0, -1)
        .map((w) => fill(ip.exIn, io(w)) + fill(ip.exOut, io(w)) + ip.sep)
        .join('');
      const test = io(last);
      return fill(ip.intro, { text }) + examples + fill(ip.testIn, test) + fill(ip.testOut, test);
    }
  }
}

const emptyTrace = (framing: Framing, minPairs: number): SegmentTrace => ({
  framing,
  minPairs,
  pairs: { plain: 0, options: 0, cot: 0, options_cot: 0 },
  dropped: { cot_malformed: 0, options_malformed: 0, no_matching_option: 0 },
  optionsListed: 0,
  optionsAlone: 0,
  noneAnswers: 0,
  fewshotRounds: 0,
  explained: 0,
  emptied: 0,
  used: {},
});

/** ipt-templates-2 with what was drawn and decided per segment. */
export function renderChainV2Traced(
  rounds: readonly RenderRound[],
  seed: number,
): { texts: Rendered[]; segments: SegmentTrace[] } {
  const rng = new Rng(seed);
  const texts: Rendered[] = [];
  const segments: SegmentTrace[] = [];
  for (const idx of segmentsOf(rounds)) {
    const verdicts = idx.map((i) => (rounds[i] as RenderRound).pairs.map(judgePair));
    const kept = verdicts.map((vs) => vs.flatMap((v) => (v.keep ? [v.pair] : [])));
    const withPairs = idx.filter((_, k) => (kept[k] as KeptPair[]).length > 0);
    const alone = idx.filter((_, k) => (kept[k] as KeptPair[]).length === 0);
    const minPairs = Math.min(...kept.map((k) => k.length));
    let trace = emptyTrace('plain', minPairs);
    if (withPairs.length > 0) {
      const p = drawPatternSet(rng, minPairs);
      const t = emptyTrace(p.framing, minPairs);
      trace = t;
      const parts = idx.flatMap((i, k) => {
        const ks = kept[k] as KeptPair[];
        if (ks.length === 0) return [];
        const written = ks.map((pair) => writePair(pair, p, rng, t));
        return [writeRound((rounds[i] as RenderRound).text, written, p, t)];
      });
      const sep = at(ROUND_SEPARATORS, p.roundSep)[0];
      if (withPairs.length > 1) t.used.round_separator = p.roundSep;
      texts.push({ text: parts.join(sep), round_indexes: withPairs, framing: p.framing });
    }
    for (const vs of verdicts) for (const v of vs) if (!v.keep) trace.dropped[v.reason]++;
    trace.emptied = alone.filter((i) => (rounds[i] as RenderRound).pairs.length > 0).length;
    segments.push(trace);
    for (const i of alone)
      texts.push({ text: (rounds[i] as RenderRound).text, round_indexes: [i], framing: 'plain' });
  }
  return { texts, segments };
}

/** ipt-templates-2: pre-training texts of a chain. Pure. */
export function renderChainV2(rounds: readonly RenderRound[], seed: number): Rendered[] {
  return renderChainV2Traced(rounds, seed).texts;
}
