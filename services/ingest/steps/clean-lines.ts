// lines: RefinedWeb's line-wise corrections (./boilerplate-lines.ts) on the text ipt extracted from
// an HTML page — what is left of the page's chrome ("Read more", "Share this", counters, cookie
// notices, upper-case menu lines). Other texts are kept as given unless the user opts in (`all`):
// the method hands the synthesizer the raw text. A document whose cleaned lines held more than 5 %
// of its words is dead-lettered `quality:boilerplate_lines` (RefinedWeb drops it) unless that rule
// is switched off — or the page's main content was found: its chrome went with extraction, and
// what the line rules still match there is the page's own (one-word and upper-case lines of code,
// tables and API listings), not chrome a bad extraction left. Each cleaned document is counted (`how`: cleaned) with the lines it lost.

import { dropBoilerplateLines, MAX_REMOVED_WORD_SHARE } from './boilerplate-lines.ts';
import { qualityReason } from './quality-rules.ts';
import { type Doc, keep, type Step, withText } from './step.ts';

/** Which texts are cleaned: those ipt extracted from HTML, every text, or none. */
export type CleanLinesScope = 'html' | 'all' | 'off';
export const CLEAN_LINES_SCOPES: readonly CleanLinesScope[] = ['html', 'all', 'off'];

export interface CleanLinesOptions {
  scope: Exclude<CleanLinesScope, 'off'>;
  /** Most share of words the dropped lines may hold; null: no document is dropped for it. */
  maxRemovedShare: number | null;
}

export const DEFAULT_MAX_REMOVED_SHARE = MAX_REMOVED_WORD_SHARE;

/**
 * The extract step turned this text out of an HTML page (it marks what it extracted `html: false`;
 * a text given as text has no `html`, whatever its metadata says).
 */
const extractedFromHtml = (doc: Doc): boolean => doc.html === false;

export function cleanLinesStep(options: CleanLinesOptions): Step {
  return {
    name: 'lines',
    pure: true,
    process(doc) {
      if (options.scope === 'html' && !extractedFromHtml(doc)) return keep(doc);
      const cleaned = dropBoilerplateLines(doc.text);
      if (cleaned.lines === 0) return { kind: 'keep', doc, how: 'unchanged', detail: { lines_removed: '0' } };
      const share = cleaned.words === 0 ? 0 : cleaned.wordsRemoved / cleaned.words;
      if (options.maxRemovedShare !== null && !doc.mainContent && share > options.maxRemovedShare) {
        const value = String(Math.round(share * 1000) / 1000);
        const limit = String(options.maxRemovedShare);
        return {
          kind: 'reject',
          reason: qualityReason('boilerplate_lines'),
          message: `${doc.origin}: ${cleaned.lines} boilerplate lines hold ${value} of the words (limit ${limit})`,
          detail: { rule: 'boilerplate_lines', value, limit, lines_removed: String(cleaned.lines) },
        };
      }
      const lines = String(cleaned.lines);
      const metadata = { ...doc.metadata, lines_removed: lines };
      return {
        kind: 'keep',
        doc: { ...withText(doc, cleaned.text), metadata },
        how: 'cleaned',
        detail: { lines_removed: lines },
        amounts: { lines_removed: cleaned.lines },
      };
    },
  };
}
