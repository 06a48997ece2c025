// Output parsing exactly as ARCHITECTURE.md §2 prescribes. The rules are deliberately literal
// (no "helpful" repair): a pair the rules reject is dropped, never guessed at.

import { ANS, END, QUE } from './format.ts';
import type { QAPair } from './types.ts';

/** Why a piece of output was not taken as a pair; useful for metrics and debugging. */
export type RejectReason = 'cut_off' | 'ans_count' | 'no_que_prefix' | 'empty_answer' | 'duplicate_question';

export interface ParseResult {
  pairs: QAPair[];
  rejected: { piece: string; reason: RejectReason }[];
}

// The reference implementation is Python; str.strip() there removes exactly the characters
// for which str.isspace() holds. JS trim() differs (it strips U+FEFF, keeps U+001C–U+001F and
// U+0085), so spell the Python set out to stay byte-identical on odd model output.
const PY_WS =
  '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_STRIP = new RegExp(`^[${PY_WS}]+|[${PY_WS}]+$`, 'g');
export const pyStrip = (s: string): string => s.replace(PY_STRIP, '');
const strip = pyStrip;

export function parseOutputDetailed(output: string): ParseResult {
  const pieces = output.split(END);
  const rejected: ParseResult['rejected'] = [];
  // split() leaves a trailing "" when the output ends with </END>; otherwise the last
  // piece is whatever the model was writing when it hit max_new_tokens.
  const last = pieces.pop() ?? '';
  if (!output.endsWith(END) && last.length > 0) rejected.push({ piece: last, reason: 'cut_off' });

  const pairs: QAPair[] = [];
  const seen = new Set<string>();
  for (const piece of pieces) {
    const parts = piece.split(ANS);
    if (parts.length !== 2) {
      rejected.push({ piece, reason: 'ans_count' });
      continue;
    }
    const questionPart = strip(parts[0] ?? '');
    const answer = strip(parts[1] ?? '');
    if (!questionPart.startsWith(QUE)) {
      rejected.push({ piece, reason: 'no_que_prefix' });
      continue;
    }
    if (answer.length === 0) {
      rejected.push({ piece, reason: 'empty_answer' });
      continue;
    }
    const question = strip(questionPart.split(QUE).join(''));
    const key = question.toLowerCase();
    if (seen.has(key)) {
      rejected.push({ piece, reason: 'duplicate_question' });
      continue;
    }
    seen.add(key);
    pairs.push({ question, answer });
  }
  return { pairs, rejected };
}

/** The instruction–response pairs of one model output. */
export function parseOutput(output: string): QAPair[] {
  return parseOutputDetailed(output).pairs;
}
