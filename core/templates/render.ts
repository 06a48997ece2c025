// Renders a synthesized chain into pre-training texts. A chain is cut into connected segments;
// each segment gets one pattern set drawn from a PRNG seeded per chain, so (rounds, seed,
// version) fully determine the output. The order of PRNG draws is part of the template version.
// This file holds ipt-templates-1 (kept byte for byte so old runs render as they did) and
// renderChain, which picks the version; ipt-templates-2 lives in ./v2/, ipt-templates-3 in ./v3/.

import { Rng } from '../prng.ts';
import type { QAPair } from '../types.ts';
import {
  CLASSIC_INSTRUCTIONS,
  COT_ANSWERS,
  COT_TRIGGERS,
  DIALOG_INTROS,
  FEWSHOT_HEADINGS,
  LABEL_STYLES,
  type LabelStyle,
  NEXT_TURN_FRAMES,
  NONE_OPTION_CHANCE,
  NONE_OPTIONS,
  NUMBER_STYLES,
  NUMBERED_HEADINGS,
  type NumberStyle,
  OPTION_ANSWERS,
  OPTION_HEADINGS,
  PAIR_SEPARATORS,
  PAIRS_FIRST_HEADINGS,
  QA_STYLES,
  type QaStyle,
  ROUND_SEPARATORS,
  SPEAKERS,
} from './patterns.ts';
import { type Framing, type Rendered, type RenderRound, segmentsOf } from './segments.ts';
import { analyzePair } from './structure.ts';
import { renderChainV2 } from './v2/render.ts';
import { renderChainV3 } from './v3/render.ts';
import {
  isTemplateVersion,
  TEMPLATE_VERSION,
  type TemplateVersion,
  unknownTemplateVersion,
} from './version.ts';

export { type Framing, type Rendered, type RenderRound, segmentsOf, templateSeed } from './segments.ts';

/** ipt-templates-1: relative frequency of each framing; the last three need ≥ 2 pairs in every round. */
export const FRAMING_WEIGHTS: Readonly<Record<Exclude<Framing, 'plain'>, number>> = {
  classic: 60,
  dialog: 10,
  numbered: 8,
  fewshot: 8,
  next_turn: 8,
  pairs_first: 4,
};
const MULTI_PAIR_FRAMINGS: ReadonlySet<Framing> = new Set(['numbered', 'fewshot', 'next_turn']);

interface PatternSet {
  framing: Framing;
  qa: QaStyle;
  pairSep: string;
  roundSep: string;
  instruction: string;
  pairsFirst: [string, string];
  dialogIntro: string;
  speakers: [string, string];
  numbered: [string, string];
  numberStyle: NumberStyle;
  fewshot: [string, string];
  nextTurn: (typeof NEXT_TURN_FRAMES)[number];
  labels: LabelStyle;
  optionHeading: string;
  noneWording: string;
  optionAnswer: (l: string, a: string) => string;
  cotTrigger: string;
  cotAnswer: (r: string, f: string) => string;
}

function drawPatternSet(rng: Rng, rounds: readonly RenderRound[]): PatternSet {
  const multi = rounds.every((r) => r.pairs.length >= 2);
  const weights: Partial<Record<Framing, number>> = {};
  for (const [k, w] of Object.entries(FRAMING_WEIGHTS) as [Framing, number][]) {
    if (multi || !MULTI_PAIR_FRAMINGS.has(k)) weights[k] = w;
  }
  // Draw every component unconditionally so the draw count never depends on the framing.
  const set: PatternSet = {
    framing: rng.weighted(weights),
    qa: rng.pick(QA_STYLES),
    pairSep: rng.pick(PAIR_SEPARATORS),
    roundSep: rng.pick(ROUND_SEPARATORS),
    instruction: rng.pick(CLASSIC_INSTRUCTIONS),
    pairsFirst: rng.pick(PAIRS_FIRST_HEADINGS),
    dialogIntro: rng.pick(DIALOG_INTROS),
    speakers: rng.pick(SPEAKERS),
    numbered: rng.pick(NUMBERED_HEADINGS),
    numberStyle: rng.pick(NUMBER_STYLES),
    fewshot: rng.pick(FEWSHOT_HEADINGS),
    nextTurn: rng.pick(NEXT_TURN_FRAMES),
    labels: rng.pick(LABEL_STYLES),
    optionHeading: rng.pick(OPTION_HEADINGS),
    noneWording: rng.pick(NONE_OPTIONS),
    optionAnswer: rng.pick(OPTION_ANSWERS),
    cotTrigger: rng.pick(COT_TRIGGERS),
    cotAnswer: rng.pick(COT_ANSWERS),
  };
  // Without a question prefix, a single newline between pairs would blur where one pair ends.
  if (set.qa.q === '' && set.pairSep === '\n') set.pairSep = '\n\n';
  return set;
}

/** A pair after multiple-choice and chain-of-thought rewriting: the strings framings place. */
interface Surface {
  q: string;
  a: string;
}

function surfaceOf(pair: QAPair, p: PatternSet, rng: Rng): Surface {
  const s = analyzePair(pair);
  if (!s.options && s.reasoning === null) return { q: pair.question, a: pair.answer };

  let q = s.stem;
  let final = s.final;
  if (s.options) {
    const order = rng.shuffle(s.options.map((_, i) => i));
    // A "none" option only when the answer names a listed option, so it is never the right one.
    const addNone = s.correct >= 0 && rng.chance(NONE_OPTION_CHANCE);
    const listed = order.map((i) => s.options?.[i] as string);
    if (addNone) listed.push(p.noneWording);
    q += `\n${p.optionHeading}\n${listed.map((o, i) => `${p.labels.label(i)} ${o}`).join('\n')}`;
    if (s.correct >= 0) final = p.optionAnswer(p.labels.bare(order.indexOf(s.correct)), s.final);
  }
  if (s.reasoning !== null) {
    q += p.cotTrigger;
    return { q, a: p.cotAnswer(s.reasoning, final) };
  }
  return { q, a: final };
}

const qaLine = (p: PatternSet, s: Surface): string => `${p.qa.q}${s.q}${p.qa.mid}${p.qa.a}${s.a}`;

function renderRound(round: RenderRound, p: PatternSet, rng: Rng): string {
  if (round.pairs.length === 0) return round.text;
  const surfaces = round.pairs.map((pair) => surfaceOf(pair, p, rng));
  const qa = (xs: Surface[]): string => xs.map((s) => qaLine(p, s)).join(p.pairSep);
  const withText = (body: string, heading: string): string =>
    heading === '' ? `${round.text}\n\n${body}` : `${round.text}\n\n${heading}\n${body}`;
  const [u, b] = p.speakers;

  switch (p.framing) {
    case 'classic':
    case 'plain':
      return withText(qa(surfaces), p.instruction);
    case 'pairs_first': {
      const [before, textHeading] = p.pairsFirst;
      const text = textHeading === '' ? round.text : `${textHeading}\n${round.text}`;
      return `${before}\n${qa(surfaces)}\n\n${text}`;
    }
    case 'dialog':
      return withText(surfaces.map((s) => `${u}: ${s.q}\n${b}: ${s.a}`).join('\n'), p.dialogIntro);
    case 'numbered': {
      const [qh, ah] = p.numbered;
      const qs = surfaces.map((s, i) => `${p.numberStyle(i + 1)}${s.q}`).join('\n');
      const as = surfaces.map((s, i) => `${p.numberStyle(i + 1)}${s.a}`).join('\n');
      return `${round.text}\n\n${qh}\n${qs}\n\n${ah}\n${as}`;
    }
    case 'fewshot': {
      const [eh, th] = p.fewshot;
      const last = surfaces[surfaces.length - 1] as Surface;
      return `${round.text}\n\n${eh}\n${qa(surfaces.slice(0, -1))}\n\n${th}\n${qaLine(p, last)}`;
    }
    case 'next_turn': {
      const [heading, ask] = p.nextTurn;
      const last = surfaces[surfaces.length - 1] as Surface;
      const turns = [
        ...surfaces.slice(0, -1).flatMap((s) => [`${u}: ${s.q}`, `${b}: ${s.a}`]),
        `${u}: ${last.q}`,
      ];
      return `${withText(turns.join('\n'), heading)}\n\n${ask(b)}\n${last.a}`;
    }
  }
}

/** ipt-templates-1. */
function renderChainV1(rounds: readonly RenderRound[], seed: number): Rendered[] {
  const rng = new Rng(seed);
  return segmentsOf(rounds).map((idx) => {
    const segment = idx.map((i) => rounds[i] as RenderRound);
    if (segment.every((r) => r.pairs.length === 0)) {
      return { text: segment.map((r) => r.text).join('\n\n'), round_indexes: idx, framing: 'plain' };
    }
    const p = drawPatternSet(rng, segment);
    return {
      text: segment.map((r) => renderRound(r, p, rng)).join(p.roundSep),
      round_indexes: idx,
      framing: p.framing,
    };
  });
}

/** The renderer of each template set: the one place a version is wired to its code. */
const RENDERERS: Readonly<
  Record<TemplateVersion, (rounds: readonly RenderRound[], seed: number) => Rendered[]>
> = {
  'ipt-templates-1': renderChainV1,
  'ipt-templates-2': renderChainV2,
  'ipt-templates-3': renderChainV3,
};

/**
 * Pre-training texts of a chain, rendered with template set `version`. Pure: the same (rounds,
 * seed, version) always gives the same texts. Throws for a version this build does not have.
 */
export function renderChain(
  rounds: readonly RenderRound[],
  seed: number,
  version: string = TEMPLATE_VERSION,
): Rendered[] {
  if (!isTemplateVersion(version)) throw new Error(unknownTemplateVersion(version));
  return RENDERERS[version](rounds, seed);
}
