// The wording of ipt's templates. Written for ipt; variety matters more than any single
// phrasing, since the point is that pre-training sees instructions in many surface forms.

/** Plain Q/A layouts: `q` and `a` are placed as shown; at least 20 of them by design. */
export interface QaStyle {
  q: string;
  a: string;
  /** Between the question line and the answer line. */
  mid: string;
}

export const QA_STYLES: readonly QaStyle[] = [
  { q: 'Q: ', mid: '\n', a: 'A: ' },
  { q: 'Question: ', mid: '\n', a: 'Answer: ' },
  { q: 'Question: ', mid: '\n', a: 'Response: ' },
  { q: '', mid: '\n', a: '' },
  { q: 'Q. ', mid: '\n', a: 'A. ' },
  { q: 'Query: ', mid: '\n', a: 'Reply: ' },
  { q: 'Problem: ', mid: '\n', a: 'Solution: ' },
  { q: 'Input: ', mid: '\n', a: 'Output: ' },
  { q: '[Question] ', mid: '\n', a: '[Answer] ' },
  { q: 'Q — ', mid: '\n', a: 'A — ' },
  { q: '', mid: '\n', a: 'Answer: ' },
  { q: 'Question: ', mid: '\n', a: '' },
  { q: 'Prompt: ', mid: '\n', a: 'Completion: ' },
  { q: 'Instruction: ', mid: '\n', a: 'Response: ' },
  { q: 'Task: ', mid: '\n', a: 'Result: ' },
  { q: '', mid: ' ', a: '' },
  { q: 'Question: ', mid: ' ', a: 'Answer: ' },
  { q: 'Q: ', mid: ' ', a: 'A: ' },
  { q: '**Question:** ', mid: '\n', a: '**Answer:** ' },
  { q: 'Question:\n', mid: '\n\n', a: 'Answer:\n' },
  { q: '', mid: '\n→ ', a: '' },
  { q: 'Q) ', mid: '\n', a: 'A) ' },
  { q: '', mid: '\n\n', a: '' },
  { q: 'Exercise: ', mid: '\n', a: 'Answer key: ' },
  { q: 'Ask: ', mid: '\n', a: 'Answer: ' },
  { q: '> ', mid: '\n', a: '' },
];

/** Between consecutive pairs of one round. */
export const PAIR_SEPARATORS: readonly string[] = ['\n\n', '\n', '\n\n', '\n---\n'];

/** Between the rounds of one segment. */
export const ROUND_SEPARATORS: readonly string[] = ['\n\n', '\n\n\n', '\n\n', '\n\n***\n\n', '\n\n---\n\n'];

/** Classic framing: text, this line (possibly none), then the pairs. */
export const CLASSIC_INSTRUCTIONS: readonly string[] = [
  '',
  '',
  'Answer the questions below using the text above.',
  'Questions about the passage:',
  'Based on the article, respond to the following.',
  'Use what the text says to answer these.',
  'Check your understanding of the passage:',
  'Here are some questions on what you just read.',
  'Reading comprehension.',
  'Respond using information from the document above.',
  'Some things to think about after reading:',
  'Try these questions about the text.',
];

/** Pairs-before-text framing: heading before the pairs, heading before the text. */
export const PAIRS_FIRST_HEADINGS: readonly [string, string][] = [
  ['Questions and answers about the text that follows:', 'Text:'],
  ['Keep these in mind while reading the passage below.', 'Passage:'],
  ['What the following article covers, in questions:', 'Article:'],
  ['Preview questions (answered) for the reading:', ''],
];

/** Dialog framing: an intro line (possibly none) and two speakers. */
export const DIALOG_INTROS: readonly string[] = [
  '',
  'A conversation about the text:',
  'Two people discuss the passage.',
  'Dialogue based on the article above:',
  'Here is a chat about what the document says.',
];

export const SPEAKERS: readonly [string, string][] = [
  ['User', 'Assistant'],
  ['Student', 'Teacher'],
  ['Reader', 'Author'],
  ['Interviewer', 'Expert'],
  ['Alex', 'Sam'],
  ['Human', 'AI'],
  ['Customer', 'Agent'],
  ['Learner', 'Tutor'],
  ['Person A', 'Person B'],
];

/** Numbered framing: heading over the questions, heading over the answers. */
export const NUMBERED_HEADINGS: readonly [string, string][] = [
  ['Questions:', 'Answers:'],
  ['Answer each of the following:', 'Answers:'],
  ['Quiz on the passage:', 'Answer key:'],
  ['Exercises:', 'Solutions:'],
  ['Please respond to these questions.', 'Responses:'],
];

export type NumberStyle = (n: number) => string;
export const NUMBER_STYLES: readonly NumberStyle[] = [
  (n) => `${n}. `,
  (n) => `${n}) `,
  (n) => `(${n}) `,
  (n) => `Q${n}: `,
];

/** Inline few-shot framing: heading over the worked examples, heading over the test item. */
export const FEWSHOT_HEADINGS: readonly [string, string][] = [
  ['Examples:', 'Now answer this one:'],
  ['Worked examples from the text:', 'Next question:'],
  ['Here are some sample questions with answers.', 'Answer the next one in the same way.'],
  ['Study these examples.', 'Your turn:'],
  ['Demonstrations:', 'Test:'],
];

/** Next-turn dialog: heading over the earlier turns, and the request for the next reply. */
export const NEXT_TURN_FRAMES: readonly [string, (reply: string) => string][] = [
  ['Conversation so far:', (b) => `What does ${b} say next?`],
  ['Earlier in the chat:', (b) => `Continue as ${b}.`],
  ['Dialogue history:', (b) => `Write ${b}'s next message.`],
  ['', (b) => `${b}'s reply:`],
];

/** Multiple-choice option labels. `label` is how the option is listed, `bare` how it is cited. */
export interface LabelStyle {
  label: (i: number) => string;
  bare: (i: number) => string;
}

const ROMAN: readonly string[] = ['i', 'ii', 'iii', 'iv', 'v', 'vi', 'vii', 'viii', 'ix', 'x', 'xi', 'xii'];
const roman = (i: number): string => ROMAN[i] ?? String(i + 1);
const letter = (i: number): string => (i < 26 ? String.fromCharCode(65 + i) : String(i + 1));

export const LABEL_STYLES: readonly LabelStyle[] = [
  { label: (i) => `${letter(i)}.`, bare: letter },
  { label: (i) => `(${letter(i)})`, bare: letter },
  { label: (i) => `${letter(i)})`, bare: letter },
  { label: (i) => `(${i + 1})`, bare: (i) => String(i + 1) },
  { label: (i) => `${i + 1}.`, bare: (i) => String(i + 1) },
  { label: (i) => `${roman(i)}.`, bare: roman },
  { label: (i) => `(${roman(i)})`, bare: roman },
  { label: (i) => `${letter(i).toLowerCase()})`, bare: (i) => letter(i).toLowerCase() },
  { label: (i) => `[${letter(i)}]`, bare: letter },
];

export const OPTION_HEADINGS: readonly string[] = [
  'Options:',
  'Choices:',
  'Pick one:',
  'Select the correct option:',
  'Possible answers:',
  'Choose from:',
];

export const NONE_OPTIONS: readonly string[] = [
  'None of these',
  'None of the above',
  'None of the given options',
  'Not listed here',
];
export const NONE_OPTION_CHANCE = 0.15;

/** How a cited option appears in the answer; `l` is the bare label, `a` the answer text. */
export const OPTION_ANSWERS: readonly ((l: string, a: string) => string)[] = [
  (l, a) => `${l} — ${a}`,
  (l, a) => `(${l}) ${a}`,
  (l, a) => `${a} (${l})`,
  (l, a) => `Option ${l}: ${a}`,
  (l, a) => `The correct choice is ${l}: ${a}`,
];

/** Chain-of-thought: the trigger appended to the question, and how reasoning leads to the result. */
export const COT_TRIGGERS: readonly string[] = [
  "\nLet's think step by step.",
  '\nReason it through before answering.',
  '\nExplain your reasoning.',
  '\nWork it out one step at a time.',
  '',
];

export const COT_ANSWERS: readonly ((reasoning: string, final: string) => string)[] = [
  (r, f) => `${r}\nTherefore, the answer is ${f}`,
  (r, f) => `${r}\nSo the answer is: ${f}`,
  (r, f) => `Reasoning: ${r}\nFinal answer: ${f}`,
  (r, f) => `Step by step: ${r}\nConclusion: ${f}`,
  (r, f) => `${r} Hence, ${f}`,
];
