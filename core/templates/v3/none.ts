// The answers that the reference (LMOps read_compre_pt.py) accepts as "no option is right" for a
// multiple-choice pair, to the letter: a pair whose answer is none of its options is kept only
// when the answer is exactly one of these strings, or one of them lower-cased (no other case, no
// stripping beyond what parsing did). The reference builds the list from literals with one missing
// comma, so two of its entries are glued into one string and neither half matches on its own; we
// keep that, since matching what the reference matches is the rule. These are the synthesizer's
// answers (data the rule reads), not wording of ours; how a text states the answer is in
// NONE_WORDINGS.

const LISTED: readonly string[] = [
  'None of the above choices',
  'None',
  'None of the provided choices meet the criteria',
  'No option among those listed fulfills the requirements',
  'There is no suitable choice among the options presented',
  'Not one of the options provided can adequately respond',
  'None of the selections offered provide a valid solution',
  'No option listed is sufficient to answer the question',
  'None of the given alternatives satisfy the conditions',
  'There are no appropriate choices among the options given',
  'Not a single option among those provided offers a valid response',
  'None of the choices given align with the requirements',
  'No option provided adequately addresses the question at hand',
  'None of the options presented offer a viable solution',
  'Not one of the provided options is applicable to the question',
  'None of the choices listed can sufficiently address the question',
  'There is no option provided that meets the necessary criteria',
  'None of the options available are suitable for the question posed',
  'Not a single choice among those offered meets the specified criteria',
  'None of the alternatives provided adequately fulfill the requirements',
  'No option among those presented adequately resolves the question',
  // The glued entry (a missing comma in the reference's list).
  'None of the available choices adequately meet the specified conditionsNone of the options fit',
  'No option works',
  'Nothing fits',
  'No suitable choice',
  'No viable option',
  'No answer among these',
  'None are right',
  'Nothing applies',
  'No match',
  'No valid choice',
  'None of the options meet the criteria',
  'No option satisfies the conditions',
  'Nothing matches the requirements',
  'No suitable answer',
  'No appropriate choice',
  'No correct option',
  'None of these options fit',
  'No answer provided',
  'No valid response',
  'No matching selection',
];

/** Every accepted "no option fits" answer: each listed one as written and lower-cased. */
export const NONE_ANSWERS: ReadonlySet<string> = new Set([...LISTED, ...LISTED.map((s) => s.toLowerCase())]);

/** Whether an answer says that no option is right, as the reference decides it (exact match). */
export const isNoneAnswer = (answer: string): boolean => NONE_ANSWERS.has(answer);
