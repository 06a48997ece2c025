// `ipt ingest`'s language flags: which languages are kept, how sure the identifier must be, or no
// language step at all.

import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  DEFAULT_LANGUAGES,
  DEFAULT_MIN_LANGUAGE_SCORE,
  type LanguageSettings,
  parseLanguages,
} from '../services/ingest/steps/language.ts';

export interface LanguageFlags {
  languages: readonly string[] | 'all';
  minLanguageScore: number;
  /** false with --no-language-filter. */
  languageFilter: boolean;
}

function languages(value: string): readonly string[] | 'all' {
  try {
    return parseLanguages(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function score(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError('must be a number from 0 to 1');
  return n;
}

export function addLanguageOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--languages <codes>',
        'languages kept, ISO 639-1 comma-separated (others dead-lettered, reason language); all: identified, none dropped',
      )
        .argParser(languages)
        .default(DEFAULT_LANGUAGES, DEFAULT_LANGUAGES.join(','))
        .env('IPT_INGEST_LANGUAGES'),
    )
    .addOption(
      new Option('--min-language-score <x>', "lowest language score kept (eld's 0-1 scale)")
        .argParser(score)
        .default(DEFAULT_MIN_LANGUAGE_SCORE)
        .env('IPT_INGEST_MIN_LANGUAGE_SCORE'),
    )
    .addOption(
      new Option('--no-language-filter', 'no language step: languages neither identified nor filtered').env(
        'IPT_INGEST_NO_LANGUAGE_FILTER',
      ),
    );
}

export function languageSettings(flags: LanguageFlags): LanguageSettings {
  return {
    languages: flags.languageFilter ? flags.languages : false,
    minLanguageScore: flags.minLanguageScore,
  };
}
