// `ipt ingest`'s quality flags: Gopher's document and repetition rules (all on, or some skipped, or
// none), and which texts lose their boilerplate lines.

import { type Command, InvalidArgumentError, Option } from 'commander';
import { CLEAN_LINES_SCOPES, type CleanLinesScope } from '../services/ingest/steps/clean-lines.ts';
import { parseQualityRules, type QualitySettings } from '../services/ingest/steps/quality.ts';
import { QUALITY_RULES, type QualityRule } from '../services/ingest/steps/quality-rules.ts';

export interface QualityFlags {
  /** false with --no-quality. */
  quality: boolean;
  qualitySkip: QualityRule[];
  cleanLines: CleanLinesScope;
}

function rules(value: string): QualityRule[] {
  try {
    return parseQualityRules(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

export function addQualityOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--no-quality',
        "no quality step: Gopher's rules are not applied (nor RefinedWeb's boilerplate-share drop)",
      ).env('IPT_INGEST_NO_QUALITY'),
    )
    .addOption(
      new Option(
        '--quality-skip <rules>',
        `quality rules not applied, comma-separated (${QUALITY_RULES.join(', ')})`,
      )
        .argParser(rules)
        .default([], 'none: every rule')
        .env('IPT_INGEST_QUALITY_SKIP'),
    )
    .addOption(
      new Option(
        '--clean-lines <scope>',
        'drop boilerplate lines (Read more, Share this, counters, menus) from: html (text extracted from pages), all texts, or off',
      )
        .choices(CLEAN_LINES_SCOPES)
        .default('html')
        .env('IPT_INGEST_CLEAN_LINES'),
    );
}

export function qualitySettings(flags: QualityFlags): QualitySettings {
  return { quality: flags.quality ? { skip: flags.qualitySkip } : false, cleanLines: flags.cleanLines };
}
