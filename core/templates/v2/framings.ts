// ipt-templates-2: the wording around a round's pairs, per framing. Slots: {text} the round's
// text (always verbatim, once), {pairs} the written pairs, {qs}/{as} numbered questions and
// answers, {history}/{turn} dialogue turns. Lists built by combining sentence frames with nouns
// and layouts are distinct by construction (checked by the tests).

import { product } from './fill.ts';

const NOUNS: readonly string[] = ['article', 'passage', 'text', 'document'];
const withNouns = (frames: readonly string[]): string[] =>
  product(frames, NOUNS, (f, n) => f.replaceAll('{noun}', n));

/** Framing weights: with fewer than two pairs in some round of the segment, and with two or more. */
export const FEW_PAIR_FRAMINGS = { classic: 95, dialog: 5 } as const;
export const MANY_PAIR_FRAMINGS = { classic: 80, dialog: 5, numbered: 5, fewshot: 5, next_turn: 5 } as const;
/** Classic segments written pairs first, text after. */
export const PAIRS_FIRST_CHANCE = 0.05;

/** Between the rounds of one text: mostly blank lines, rarely a rule. */
export const ROUND_SEPARATORS: readonly (readonly [string, number])[] = [
  ['\n\n\n', 36],
  ['\n\n', 34],
  ['\n', 7],
  ['\n---\n', 1],
  ['\n-----\n', 1],
];

// ---- classic: [reading opener] text [read end] [comprehension opener] separator pairs

/** Half the classic texts start with the text itself. */
export const BARE_READING_CHANCE = 0.5;
export const READING_OPENERS: readonly string[] = [
  ...product(
    withNouns([
      'Read the {noun} below and answer the questions that follow',
      'Answer some questions about the following {noun}',
      'Here is the {noun}; questions about it come after',
      'Study this {noun}, then answer the questions',
      'Questions follow the {noun} below',
      'Go through the {noun} and respond to the questions after it',
      'Use the {noun} below to answer the questions',
      'Take a look at this {noun} and answer what follows',
      'The questions after this {noun} are about its content',
      'Read this {noun} carefully',
    ]),
    [':\n', ':\n\n', '\n'],
    (f, layout) => `${f}${layout}{text}`,
  ),
  ...product(
    ['Article', 'Passage', 'Text', 'Document', 'Context', 'Reading', 'Source', 'Material'],
    [': ', ':\n'],
    (label, layout) => `${label}${layout}{text}`,
  ),
];

/** Between the text and a comprehension opener (none when there is no opener). */
export const READ_ENDS: readonly string[] = [' ', '\n', '\n\n'];

/** Half the classic texts go from the text straight to the pairs. */
export const NO_COMPREHENSION_OPENER_CHANCE = 0.5;
export const COMPREHENSION_OPENERS: readonly string[] = product(
  withNouns([
    'Answer these questions about the {noun}',
    'Now answer the following questions about the {noun}',
    'Here are some questions on the {noun} above',
    'Use the {noun} above to answer the questions below',
    'Respond to the questions below using the {noun}',
    'Questions on the {noun}',
    'Test your understanding of the {noun} with these questions',
    'Check what you learned from the {noun}',
    'Find the answers to these questions in the {noun}',
    'Some questions and answers about the {noun}',
    'Based on the {noun}, answer the following',
    'The following questions refer to the {noun} above',
    'A short quiz on the {noun}',
    'Answer from the {noun}',
    'Reading comprehension questions for the {noun}',
  ]),
  [':', '.', ''],
  (f, end) => f + end,
);

// ---- pairs first: pairs opener, pairs end, text opener

export const PAIRS_FIRST_OPENERS: readonly string[] = [
  '{pairs}',
  ...withNouns([
    'Write the {noun} that these questions and answers are about',
    'Reconstruct the {noun} behind the following questions and answers',
    'The questions and answers below were written about the {noun} that follows them',
    'Read these questions and answers, then the {noun} they come from',
    'Here are questions and answers; the {noun} they cover comes after',
    'Before the {noun}, some questions and answers about it',
    'Questions and answers first, the {noun} second',
    'Keep these questions and answers in mind while reading the {noun}',
    'These questions and answers summarize the {noun} below',
    'A preview of the {noun}, as questions and answers',
    'Use these questions and answers to write out the {noun}',
  ]).map((f) => `${f}:\n{pairs}`),
];

/** After the pairs, before the text opener (blank lines most often). */
export const PAIRS_FIRST_ENDS: readonly string[] = [
  '\n\n',
  '\n',
  '\n\n',
  '\n\n\n',
  '\n\n',
  ' ',
  '\n',
  '\n\n',
];

export const TEXT_AFTER_PAIRS: readonly string[] = [
  '{text}',
  ...withNouns([
    'Now the {noun} itself:',
    'Here is the {noun}:',
    'Write the {noun}.',
    'The {noun} these questions come from:',
    'Source {noun}:',
    'Full {noun}:',
    'And the {noun} that answers them:',
    'Now write the {noun} they are based on.',
    'Reconstructed {noun}:',
    'The original {noun} reads:',
    'Read the {noun} now:',
    'Here is the {noun} they were drawn from.',
    'What the {noun} says:',
    'The complete {noun}:',
    'Now compose the {noun}.',
  ]).map((f) => `${f}\n{text}`),
];

// ---- dialog: text, join, heading, separator, turns

export const DIALOG_JOINS: readonly string[] = ['\n\n', '\n', ' ', ' | '];
export const DIALOG_HEADINGS: readonly string[] = [
  '',
  'Dialogue:',
  'Conversation:',
  'A conversation about the text:',
  'Two people discuss the text:',
  'Chat log:',
  'Transcript:',
  'Discussion:',
  'Talk:',
  'A dialogue between two readers:',
  'Exchange:',
  'Interview:',
  'Q&A session:',
  'Conversation between two people:',
  'Chat:',
  'DIALOGUE:',
];

/** What marks the asking and the answering speaker, lead included. */
export interface SpeakerStyle {
  q: string;
  a: string;
}
const NAMES: readonly (readonly [string, string])[] = [
  ['Speaker 1', 'Speaker 2'],
  ['Speaker A', 'Speaker B'],
  ['Person 1', 'Person 2'],
  ['Person A', 'Person B'],
  ['P1', 'P2'],
  ['Participant 1', 'Participant 2'],
  ['Voice 1', 'Voice 2'],
  ['User', 'Assistant'],
  ['Student', 'Teacher'],
  ['Reader', 'Writer'],
  ['Interviewer', 'Guest'],
  ['Friend 1', 'Friend 2'],
  ['X', 'Y'],
];
export const SPEAKER_STYLES: readonly SpeakerStyle[] = [
  ...product(NAMES, [': ', ') ', ' - '], ([q, a], p) => ({ q: `\n${q}${p}`, a: `\n${a}${p}` })),
  ...product(['\n', ' '], ['- ', '* ', '+ ', '• ', '– ', '> ', '-- ', '[-] '], (lead, b) => ({
    q: lead + b,
    a: lead + b,
  })),
];
/** After a question, before the answering speaker. */
export const DIALOG_ENDS: readonly string[] = ['', ';', '.'];
/** Between one exchange and the next (speaker markers already start on a new line or a space). */
export const DIALOG_SEPARATORS: readonly string[] = ['', '\n'];

// ---- numbered questions: {qs} and {as} start with their first item's lead

export const NUMBERED_FRAMES: readonly string[] = [
  '{text}\n\nAnswer the questions below.{qs}\n\nAnswers:{as}',
  'Questions:{qs}\n\nRead the text, then answer them: {text}\n\nAnswers:{as}',
  '{text}\n\nQuestions about the text:{qs}\nNumbered answers:{as}',
  'Read the passage and answer each numbered question.\n{text}\n{qs}\n\nAnswers:{as}',
  '{text}{qs}\nGive a numbered answer to each question.\n{as}',
  '{text}\n\nAnswer every question in order.{qs}\n\nIn order:{as}',
  'Text: {text}\nQuestions:{qs}\nAnswers:{as}',
  '{text}\n\nNumbered questions:{qs}\n\nNumbered answers:{as}',
  'Passage: {text}\n\nAnswer these:{qs}\n---\nAnswers:{as}',
  '{text}\n\nQuiz:{qs}\n\nAnswer key:{as}',
  '{text}\nHere are some questions about it.{qs}\nAnd their answers, in the same order.{as}',
  'Using the text below, answer the questions.\n\n{text}\n\nQuestions:{qs}\n\nAnswers:{as}',
];

// ---- next turn: {history} is the earlier exchanges, {turn} the last one, each marked by speaker

export const NEXT_TURN_FRAMES: readonly string[] = [
  '{text}\n\nContinue the conversation below with the next turn.{history}\nNext turn:{turn}',
  '{text}\n\nConversation so far:{history}\n\nWhat comes next?{turn}',
  '{text}\n\nRead the dialogue and write its next turn.{history}\n\nNext:{turn}',
  '{text}\nDialogue:{history}\nContinue it:{turn}',
  '{text}\n\n{history}\nOne more turn:{turn}',
  '{text}\n\nHere is part of a chat about the text.{history}\n\nThe chat goes on:{turn}',
  '{text}\n\nAdd the next exchange to this conversation.{history}\n\nNext exchange:{turn}',
  '{text}\n\nEarlier turns:{history}\n\nFollowing turn:{turn}',
  '{text}\n\nPredict the next turn of this dialogue.{history}\n\nPrediction:{turn}',
  '{text}\n\nTwo people talk about the text.{history}\n\nThen:{turn}',
  '{text}\n\nComplete the dialogue.{history}{turn}',
  '{text}\n\nConversation:{history}\n---{turn}',
  '{text}\n\nWrite the reply that continues this exchange.{history}\n\nReply:{turn}',
  '{text}\n\nDialogue history:{history}\n\nContinuation:{turn}',
  '{text}\n\nHow does the conversation continue?{history}\n\nIt continues:{turn}',
  '{text}\n\nSample conversation:{history}\n\nAnother turn:{turn}',
];

// ---- inline few-shot: intro with the text, worked examples, then the last pair as the exercise

export interface InlinePattern {
  intro: string;
  /** An example: input ({x}), output ({y}, and {r} when explained), then `sep`. */
  exIn: string;
  exOut: string;
  sep: string;
  testIn: string;
  testOut: string;
}

type InlineBase = Omit<InlinePattern, 'exOut'> & { exOut: string; why: string };
const INLINE_BASES: readonly InlineBase[] = [
  {
    intro: '{text}\n\nBelow are worked examples, then a new question.\n',
    exIn: 'Example: {x}',
    exOut: '\nAnswer: {y}',
    why: '\nWhy: {r}.',
    testIn: 'New question: {x}',
    testOut: '\nAnswer: {y}',
    sep: '\n\n',
  },
  {
    intro: 'Context:\n{text}\n\nSolved examples:\n',
    exIn: 'Q: {x}',
    exOut: '\nA: {y}',
    why: '\nReasoning: {r}.',
    testIn: 'Now solve: {x}',
    testOut: '\nA: {y}',
    sep: '\n\n',
  },
  {
    intro: '{text}\n\nFollow the pattern of these examples.\n',
    exIn: 'Input: {x}',
    exOut: '\nOutput: {y}',
    why: '\nExplanation: {r}.',
    testIn: 'Input: {x}',
    testOut: '\nOutput: {y}',
    sep: '\n',
  },
  {
    intro: 'First the background, then some examples.\n{text}\n\n',
    exIn: '{x}',
    exOut: '\nSolution: {y}',
    why: '\nBecause: {r}.',
    testIn: 'Your turn: {x}',
    testOut: '\nSolution: {y}',
    sep: '\n\n',
  },
  {
    intro: '{text}\nExamples of questions on this text:\n',
    exIn: 'Question: {x}',
    exOut: '\nAnswer: {y}',
    why: '\nHow we know: {r}.',
    testIn: 'Question: {x}',
    testOut: '\nAnswer: {y}',
    sep: '\n\n',
  },
  {
    intro: 'Part 1 - Text\n{text}\nPart 2 - Examples\n',
    exIn: '{x}',
    exOut: '\nAnswer: {y}',
    why: '\nExplanation: {r}',
    testIn: 'Part 3 - Exercise\n{x}',
    testOut: '\nAnswer: {y}',
    sep: '\n',
  },
  {
    intro: '{text}\n\nStudy how these are answered.\n',
    exIn: 'Sample: {x}',
    exOut: '\nSample answer: {y}',
    why: '\nWhy it is right: {r}.',
    testIn: 'Now this one: {x}',
    testOut: '\nAnswer: {y}',
    sep: '\n\n',
  },
  {
    intro: 'Teacher: Read this.\n{text}\nTeacher: Here are some examples.\n',
    exIn: '{x}',
    exOut: '\nAnswer: {y}',
    why: '\nReason: {r}.',
    testIn: 'Teacher: Now you try. {x}',
    testOut: '\nStudent: {y}',
    sep: '\n\n',
  },
  {
    intro: '{text}\n\n',
    exIn: 'Worked example: {x}',
    exOut: '\nResult: {y}',
    why: '\nWorking: {r}.',
    testIn: 'Exercise: {x}',
    testOut: '\nResult: {y}',
    sep: '\n\n',
  },
  {
    intro: 'Background: {text}\nSome tasks with solutions:\n',
    exIn: 'Task: {x}',
    exOut: '\nSolution: {y}',
    why: '\nNote: {r}.',
    testIn: 'Task: {x}',
    testOut: '\nSolution: {y}',
    sep: '\n\n',
  },
  {
    intro: '{text}\nA few solved questions first.\n',
    exIn: '- {x}',
    exOut: '\n  {y}',
    why: '\n  ({r})',
    testIn: 'Then: {x}',
    testOut: '\n  {y}',
    sep: '\n',
  },
  {
    intro: 'Read the text, look at the examples, then answer the last question.\n{text}\n\n',
    exIn: 'Q: {x}',
    exOut: '\nA: {y}',
    why: '\nExplained: {r}.',
    testIn: 'Last question: {x}',
    testOut: '\nA: {y}',
    sep: '\n\n',
  },
];

/** Used when every pair of the round has reasoning: the examples explain their answers. */
export const INLINE_EXPLAINED: readonly InlinePattern[] = INLINE_BASES.map(({ why, ...b }) => ({
  ...b,
  exOut: b.exOut + why,
}));
/** Used otherwise: answers only. */
export const INLINE_PLAIN: readonly InlinePattern[] = INLINE_BASES.map(({ why: _, ...b }) => b);
