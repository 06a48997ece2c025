// quality: Gopher's document quality rules and repetition rules (./quality-rules.ts, thresholds as
// published), as RefinedWeb and DataTrove apply them after extraction. A document failing a rule is
// dead-lettered with reason `quality:<rule>` (the measured value and the limit in its context), so
// each rule has its own count in the summary, the step counters and ipt_ingest_rejected_total.
// Rules can be switched off one by one, or the step as a whole.

import { type CleanLinesOptions, type CleanLinesScope, DEFAULT_MAX_REMOVED_SHARE } from './clean-lines.ts';
import {
  checkQuality,
  GOPHER_THRESHOLDS,
  QUALITY_RULES,
  type QualityRule,
  type QualityThresholds,
  qualityReason,
} from './quality-rules.ts';
import { keep, type Step } from './step.ts';

export interface QualityOptions {
  /** Rules not applied; every rule is on by default. */
  skip: readonly QualityRule[];
  thresholds: QualityThresholds;
}

export const DEFAULT_QUALITY: Readonly<QualityOptions> = { skip: [], thresholds: GOPHER_THRESHOLDS };

/** Parses a comma-separated rule list (`stop_words,dup_lines`, `none` or empty). */
export function parseQualityRules(list: string): QualityRule[] {
  const names = list
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '' && s !== 'none');
  for (const name of names) {
    if (!(QUALITY_RULES as readonly string[]).includes(name))
      throw new Error(`unknown quality rule ${JSON.stringify(name)} (known: ${QUALITY_RULES.join(', ')})`);
  }
  return QUALITY_RULES.filter((rule) => names.includes(rule));
}

export function qualityStep(options: QualityOptions): Step {
  const skip = new Set(options.skip);
  // boilerplate_lines is the lines step's: it needs the lines that step dropped.
  const applied = String(QUALITY_RULES.filter((r) => r !== 'boilerplate_lines' && !skip.has(r)).length);
  return {
    name: 'quality',
    pure: true,
    process(doc) {
      const failed = checkQuality(doc.text, options.thresholds, skip);
      if (!failed) return keep(doc, undefined, { rules: applied });
      const { rule, value, limit, n } = failed;
      const what = n === undefined ? rule : `${rule} (n = ${n})`;
      return {
        kind: 'reject',
        reason: qualityReason(rule),
        message: `${doc.origin}: fails the quality rule ${what}: ${value} (limit ${limit})`,
        detail: { rule, value, limit, ...(n === undefined ? {} : { n: String(n) }) },
      };
    },
  };
}

/** How a user sets the quality and lines steps (IngestorOptions, the CLI). */
export interface QualitySettings {
  /** Gopher's rules: false turns the quality step off; `skip` names rules not applied. */
  quality?: false | { skip?: readonly QualityRule[]; thresholds?: Partial<QualityThresholds> };
  /** Which texts lose their boilerplate lines (default `html`: what ipt extracted from a page). */
  cleanLines?: CleanLinesScope;
}

/** The quality and lines steps' options from the user's settings; absent: that step is off. */
export function qualityOptions(settings: QualitySettings): {
  quality?: QualityOptions;
  cleanLines?: CleanLinesOptions;
} {
  const rules = settings.quality === false ? undefined : (settings.quality ?? {});
  const skip = rules?.skip ?? [];
  const scope = settings.cleanLines ?? 'html';
  const share = rules && !skip.includes('boilerplate_lines') ? DEFAULT_MAX_REMOVED_SHARE : null;
  return {
    ...(rules ? { quality: { skip, thresholds: { ...GOPHER_THRESHOLDS, ...rules.thresholds } } } : {}),
    ...(scope === 'off' ? {} : { cleanLines: { scope, maxRemovedShare: share } }),
  };
}
