// ipt-templates-3: the wording around a round's pairs, per framing. Every list has the length of
// the reference's list it stands for (LMOps read_compre_pt.py), since a replayed draw's index
// depends only on the list's length (./draws.ts) and the reference's frequencies come from which
// kind of entry sits at which index: half the reading openers are the bare text, half the
// comprehension openers are empty, the first 23 option item styles are bullets. The wording is
// ipt's (most of it ipt-templates-2's, whose lists stay as they are).

import * as v2 from '../v2/framings.ts';
import {
  BULLET_STYLES,
  ENUMERATED_STYLES,
  type ItemStyle,
  OPTION_HEADINGS as V2_HEADINGS,
} from '../v2/options.ts';
import { joinersOf, LIST_SHAPES, ordersOf } from './layout.ts';

/** Framing weights, in the reference's order (classic, dialog[, numbered, inline few-shot, next turn]). */
type Mode = 'classic' | 'dialog' | 'numbered' | 'fewshot' | 'next_turn';
export const FEW_PAIR_FRAMINGS: readonly (readonly [Mode, number])[] = [
  ['classic', 95],
  ['dialog', 5],
];
export const MANY_PAIR_FRAMINGS: readonly (readonly [Mode, number])[] = [
  ['classic', 80],
  ['dialog', 5],
  ['numbered', 5],
  ['fewshot', 5],
  ['next_turn', 5],
];
/** Pairs written before the text: [yes, no] weights. */
export const PAIRS_FIRST_WEIGHTS = [5, 95] as const;

const everyOther = <T>(items: readonly T[]): T[] => items.filter((_, i) => i % 2 === 0);
const times = <T>(n: number, item: T): T[] => Array.from({ length: n }, () => item);

/** Half the entries are the bare text, as in the reference (100 entries). */
export const READING_OPENERS: readonly string[] = [
  ...times(50, '{text}'),
  ...everyOther(v2.READING_OPENERS).slice(0, 50),
];
export const READ_ENDS: readonly string[] = v2.READ_ENDS;
/** Half the entries are empty: the text goes straight to the pairs (168 entries). */
export const COMPREHENSION_OPENERS: readonly string[] = [
  ...everyOther(v2.COMPREHENSION_OPENERS).slice(0, 84),
  ...times(84, ''),
];

/** Pairs first: an opener around the pairs (42), an end (8), the text's opener (60). */
export const PAIRS_FIRST_OPENERS: readonly string[] = v2.PAIRS_FIRST_OPENERS.slice(0, 42);
export const PAIRS_FIRST_ENDS: readonly string[] = v2.PAIRS_FIRST_ENDS;
export const TEXT_AFTER_PAIRS: readonly string[] = v2.TEXT_AFTER_PAIRS.slice(0, 60);

/** Dialogue: join (4) + heading (15) after the text; speakers (50); question end (3); turn separator (2). */
export const DIALOG_JOINS: readonly string[] = v2.DIALOG_JOINS;
export const DIALOG_HEADINGS: readonly string[] = v2.DIALOG_HEADINGS.slice(0, 15);
export const SPEAKER_STYLES: readonly v2.SpeakerStyle[] = v2.SPEAKER_STYLES.slice(0, 50);
export const DIALOG_ENDS: readonly string[] = v2.DIALOG_ENDS;
export const DIALOG_SEPARATORS: readonly string[] = v2.DIALOG_SEPARATORS;

/** Option headings (16, the first none) and item styles (87: 23 bullets, then 64 enumerated). */
export const OPTION_HEADINGS: readonly string[] = V2_HEADINGS.slice(0, 16);
export const OPTION_ITEM_STYLES: readonly ItemStyle[] = [
  ...BULLET_STYLES.slice(0, 23),
  ...ENUMERATED_STYLES.slice(0, 64),
];
/** Numbered questions (64 enumerated styles). */
export const QUESTION_ITEM_STYLES: readonly ItemStyle[] = ENUMERATED_STYLES.slice(0, 64);

/** A frame with an input and an output side, written input + delimiter + output. */
export interface Frame {
  order: string;
  inputs: string;
  delimiter: string;
  targets: string;
  separator: string;
}

const framesOf = (
  shape: (typeof LIST_SHAPES)[keyof typeof LIST_SHAPES],
  wordings: readonly (readonly [string, string])[],
): Frame[] => {
  const orders = ordersOf(shape);
  const joiners = joinersOf(shape);
  if (wordings.length !== orders.length) throw new Error('one wording per position of the shape');
  return wordings.map(([inputs, targets], k) => ({
    order: orders[k] as string,
    inputs,
    targets,
    ...(joiners[k] as { delimiter: string; separator: string }),
  }));
};

/** Numbered questions: {text}, {qs} and {as} (each item starts with its own lead), 11 frames. */
export const NUMBERED_FRAMES: readonly Frame[] = framesOf(LIST_SHAPES.NUMBERED, [
  ['{text}\n\nQuestions:{qs}', 'Answers:{as}'],
  ['Questions first:{qs}\n\nAnswer them after reading this text: {text}', '{as}'],
  ['{text}\n\nAnswer each question below.{qs}', '{as}'],
  ['Read the passage and answer the numbered questions.\n{text}{qs}', 'Numbered answers:{as}'],
  ['Use the text to answer the questions at the end.\n\n{text}\n\n{qs}\n\nAnswers in order:', '{as}'],
  ['{text}{qs}\nAnswer them in a numbered list.', '{as}'],
  ['{text}\n\nHere are some answers:{as}\n\nWrite the numbered questions they answer:', '{qs}'],
  ['Answer the questions with help from the article. {text}{qs}', '{as}'],
  ['{text}{qs}\nReply with one numbered answer per question.', '{as}'],
  ['Text: {text}\nQuiz:{qs}', 'Answer key:{as}'],
  ['{text} Questions on this text:{qs}', '{as}'],
]);

/** Next turn: {history} the earlier exchanges, {turn} the last one; 9 history-first, 6 last-turn-first. */
export const NEXT_TURN_FRAMES: readonly Frame[] = framesOf(LIST_SHAPES.NEXT_TURN, [
  ['Continue this conversation with the next turn.{history}', '{turn}'],
  ['Reply as the next speaker would.{history}', 'Next turn:{turn}'],
  ['Here is a chat about the text; what is said next?{history}', '{turn}'],
  ['Conversation so far:{history}', 'It goes on:{turn}'],
  ['Predict the next exchange.{history}', '{turn}'],
  ['Dialogue history:{history}', 'Continuation:{turn}'],
  ['Read the exchange and add one more turn.{history}', '{turn}'],
  ['Two readers talk about the text.{history}', 'Then:{turn}'],
  ['Earlier turns:{history}', 'Following turn:{turn}'],
  ['Here is the last exchange of a conversation:{turn}', 'Write the turns that came before it:{history}'],
  ['Final turn:{turn}', 'Earlier turns:{history}'],
  ['This exchange ends a dialogue about the text.{turn}', 'How the dialogue started:{history}'],
  ['Last turn first:{turn}', 'Then the rest, from the start:{history}'],
  ['Work backwards from this closing exchange.{turn}', '{history}'],
  ['The conversation ends like this:{turn}', 'Reconstruct what came before:{history}'],
]);

/** Inline few-shot (10 + 10): examples explain their answers only when every pair has reasoning. */
export const INLINE_EXPLAINED: readonly v2.InlinePattern[] = v2.INLINE_EXPLAINED.slice(0, 10);
export const INLINE_PLAIN: readonly v2.InlinePattern[] = v2.INLINE_PLAIN.slice(0, 10);
