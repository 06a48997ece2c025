// language: which language the text is in, and how sure. eld (Nito-ELD, byte n-grams over 60
// languages) names it and scores it; both are recorded on the document (RawDocument.lang,
// .lang_score), and a text outside the accepted languages, or scored below `minScore`, is
// dead-lettered with reason `language`. RefinedWeb keeps English scored ≥ 0.65 by fastText's
// lid.176, a probability; eld's score is a different scale (an n-gram score squashed to 0–1, clean
// prose around 0.78), so the default threshold was calibrated on eld itself, for the same effect:
// above every generated near-garbage text (minified code, hex, base64, number tables,
// letter-shuffled words, identifier soup), below every clean English text of the labelled sample
// in bench/language-sample.ts (figures in bench/RESULTS.md).
//
// eld reads a text's first 1 000 characters: a page is judged by its beginning.

import { eld } from 'eld';
import { keep, type Step } from './step.ts';

type EldWithLoader = ReturnType<typeof eld.newInstance> & { load(size: string): Promise<unknown> };

/** The smallest of eld's databases whose accuracy on the sample matches the larger ones. */
export const LANGUAGE_DATABASE = 'small';
/** Languages accepted unless told otherwise: the synthesizer was tuned on English. */
export const DEFAULT_LANGUAGES: readonly string[] = ['en'];
/** eld's score at or above which a text counts as in its language (calibrated; see above). */
export const DEFAULT_MIN_LANGUAGE_SCORE = 0.72;

export interface LanguageGuess {
  /** ISO 639-1 code; '' when eld found no language (numbers, symbols). */
  lang: string;
  /** eld's score of that language, 0–1 (0 when none). */
  score: number;
}

export type LanguageDetector = (text: string) => LanguageGuess;

const loaded = new Map<string, Promise<LanguageDetector>>();

/**
 * eld with its database loaded (hundreds of ms, tens of MB): loaded once per process and database,
 * before the first text, and shared (detecting keeps no state).
 */
export function loadLanguageDetector(database = LANGUAGE_DATABASE): Promise<LanguageDetector> {
  let detector = loaded.get(database);
  if (!detector) {
    detector = load(database);
    loaded.set(database, detector);
    detector.catch(() => loaded.delete(database));
  }
  return detector;
}

async function load(database: string): Promise<LanguageDetector> {
  // The package's root entry is the dynamic one, whose instances load a database by name.
  const detector = eld.newInstance() as EldWithLoader;
  await detector.load(database);
  return (text) => {
    const result = detector.detect(text);
    return { lang: result.language, score: result.language ? (result.getScores()[result.language] ?? 0) : 0 };
  };
}

export interface LanguageOptions {
  detect: LanguageDetector;
  /** ISO 639-1 codes accepted; `all`: every language is recorded, none filtered. */
  accept: readonly string[] | 'all';
  /** Lowest score kept (applies to accepted languages; ignored with `all`). */
  minScore: number;
}

export interface LanguageSettings {
  /** Accepted ISO 639-1 codes (default `en`); `all`: recorded, not filtered; false: no language step. */
  languages?: readonly string[] | 'all' | false;
  /** Lowest score kept (default DEFAULT_MIN_LANGUAGE_SCORE). */
  minLanguageScore?: number;
}

/** The language step's options, the detector loaded; undefined when the step is off. */
export async function languageOptions(settings: LanguageSettings): Promise<LanguageOptions | undefined> {
  if (settings.languages === false) return undefined;
  return {
    detect: await loadLanguageDetector(),
    accept: settings.languages ?? DEFAULT_LANGUAGES,
    minScore: settings.minLanguageScore ?? DEFAULT_MIN_LANGUAGE_SCORE,
  };
}

/** `en,de` → ['en', 'de']; `all` (or nothing) → 'all'. */
export function parseLanguages(value: string): readonly string[] | 'all' {
  const codes = value
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter(Boolean);
  if (codes.length === 0 || codes.includes('all')) return 'all';
  const bad = codes.filter((c) => !/^[a-z]{2}$/.test(c));
  if (bad.length > 0) throw new Error(`not ISO 639-1 language codes: ${bad.join(', ')}`);
  return codes;
}

export function languageStep(options: LanguageOptions): Step {
  const accepted = options.accept === 'all' ? null : new Set(options.accept);
  return {
    name: 'language',
    pure: true,
    process(doc) {
      const { lang, score } = options.detect(doc.text);
      doc.lang = lang || undefined;
      doc.langScore = score;
      const detail = { language: lang || 'none', language_score: score.toFixed(3) };
      if (!accepted) return keep(doc, undefined, detail);
      if (!accepted.has(lang)) {
        return {
          kind: 'reject',
          reason: 'language',
          message: `${doc.origin}: language ${lang || 'none'} (score ${detail.language_score}) is not one of ${[...accepted].join(',')}`,
          detail,
        };
      }
      if (score < options.minScore) {
        return {
          kind: 'reject',
          reason: 'language',
          message: `${doc.origin}: ${lang} scored ${detail.language_score}, under ${options.minScore}`,
          detail: { ...detail, min_language_score: String(options.minScore) },
        };
      }
      return keep(doc, undefined, detail);
    },
  };
}
