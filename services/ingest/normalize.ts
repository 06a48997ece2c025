// Text validation and opt-in normalization for ingest: pure functions, no I/O.
//
// Texts as given: a valid text is stored byte for byte by default, because the method hands the
// synthesizer the raw text and any change alters its prompt. What validity needs is handled by
// rejecting, never by editing: invalid UTF-8 and lone surrogates (no UTF-8 form; Avro strings are
// UTF-8), NUL and mostly-control text (binary), empty or whitespace-only text, texts outside the
// length limits — each a dead letter with its reason, counted by reason in
// ipt_ingest_rejected_total. The one edit is a leading UTF-8 byte-order mark, which the decoder
// drops as the encoding's marker, not text. The old clean-ups are named steps a user opts into
// (`--normalize`); a record they touched says which in `metadata.normalized`.
//
// UTF-8 policy: invalid input is REJECTED, never repaired. A repaired text carries U+FFFD where the
// bytes were wrong; such text is noise to a language model and hides an upstream encoding bug, and
// a repaired copy would also dodge exact-duplicate detection against the clean original. So bytes
// that are not valid UTF-8, and JSON strings holding lone surrogates (escaped `\ud800`), both end in
// the DLQ as `invalid_utf8` with the original bytes. Inputs that declare another charset (WARC HTML
// with `charset=windows-1252`) are decoded from that charset, strictly; a byte invalid there is
// `invalid_encoding`.

import type { DeadLetterErrorClass } from '../../core/types.ts';
import { QUALITY_ERROR_CLASSES, type QualityReason } from './steps/quality-rules.ts';

/** Machine-readable reasons for rejecting an input (DeadLetter `context.reason`). */
export type RejectReason =
  | 'invalid_utf8'
  | 'invalid_encoding'
  | 'unsupported_charset'
  | 'binary'
  | 'empty_text'
  | 'too_short'
  | 'too_long'
  | 'malformed_json'
  /** JSON nested deeper than the limit (lib/json-depth.ts), refused before parsing. */
  | 'json_too_deep'
  | 'wrong_field_type'
  | 'missing_field'
  | 'invalid_id'
  | 'truncated_parquet'
  | 'malformed_parquet'
  | 'malformed_warc'
  | 'unsupported_format'
  | 'read_error'
  /** Too similar to a document produced recently (MinHash; the kept one's id in the context). */
  | 'near_duplicate'
  /** A pipeline step threw: a defect or an outage (the registry), not a fault of the input. */
  | 'step_failed'
  /** A Gopher/RefinedWeb quality rule the text fails (`quality:word_count`…; the quality and lines steps). */
  | QualityReason
  /** Not in an accepted language, or too unsure a one (the language step). */
  | 'language';

/** The DeadLetter error class each reason belongs to. */
export const ERROR_CLASS_OF: Record<RejectReason, DeadLetterErrorClass> = {
  invalid_utf8: 'REJECTED_TEXT',
  invalid_encoding: 'REJECTED_TEXT',
  unsupported_charset: 'REJECTED_TEXT',
  binary: 'REJECTED_TEXT',
  empty_text: 'REJECTED_TEXT',
  too_short: 'REJECTED_TEXT',
  too_long: 'REJECTED_TEXT',
  malformed_json: 'DESERIALIZATION',
  json_too_deep: 'DESERIALIZATION',
  truncated_parquet: 'DESERIALIZATION',
  malformed_parquet: 'DESERIALIZATION',
  malformed_warc: 'DESERIALIZATION',
  unsupported_format: 'DESERIALIZATION',
  read_error: 'DESERIALIZATION',
  wrong_field_type: 'VALIDATION',
  missing_field: 'VALIDATION',
  invalid_id: 'VALIDATION',
  near_duplicate: 'REJECTED_TEXT',
  step_failed: 'INTERNAL',
  ...QUALITY_ERROR_CLASSES,
  language: 'REJECTED_TEXT',
};

export interface Rejection {
  ok: false;
  reason: RejectReason;
  message: string;
  /** Extra machine-readable detail (limits, lengths, field names). */
  detail?: Record<string, string>;
}

export const reject = (reason: RejectReason, message: string, detail?: Record<string, string>): Rejection =>
  detail ? { ok: false, reason, message, detail } : { ok: false, reason, message };

/**
 * Opt-in normalization steps. They always run in this order, whatever order they are named in;
 * `all` is every step (what ingest did to every text before texts were kept as given).
 */
export const NORMALIZE_STEPS = [
  /** Unicode NFC, so composed and decomposed spellings are one text (and one dedup hash). */
  'nfc',
  /** CRLF, CR, NEL, U+2028/2029, \v and \f → `\n`. */
  'line-breaks',
  /** Every Unicode space separator except the plain space (NBSP, ideographic space…) → ` `. */
  'spaces',
  /** Zero-width spaces, word joiners and byte-order marks dropped (ZWJ/ZWNJ kept: they carry meaning). */
  'invisible',
  /** Control characters other than tab and line breaks dropped. */
  'controls',
  /** Spaces and tabs at the end of each line dropped. */
  'trailing-spaces',
  /** At most one blank line in a row (paragraph breaks survive). */
  'blank-lines',
  /** Whitespace at the start and end of the text dropped. */
  'trim',
] as const;
export type NormalizeStep = (typeof NORMALIZE_STEPS)[number];

/** Parses a comma-separated step list (`nfc,blank-lines`, `all`, `none` or empty). */
export function parseNormalizeSteps(list: string): NormalizeStep[] {
  const names = list
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '' && s !== 'none');
  if (names.includes('all')) return [...NORMALIZE_STEPS];
  for (const name of names) {
    if (!(NORMALIZE_STEPS as readonly string[]).includes(name))
      throw new Error(
        `unknown normalization step ${JSON.stringify(name)} (known: ${NORMALIZE_STEPS.join(', ')}, all)`,
      );
  }
  return NORMALIZE_STEPS.filter((step) => names.includes(step));
}

export interface NormalizeOptions {
  /** Fewest code points a text may have (≥ 1; an empty text is always `empty_text`). */
  minChars: number;
  /** Most code points a text may have; longer texts are `too_long`, not chunked. */
  maxChars: number;
  /** Largest share of control characters (other than tab and line breaks) before a text counts as binary. */
  maxControlRatio: number;
  /** Normalization steps to apply (none by default: texts are kept as given). */
  steps: readonly NormalizeStep[];
}

export const DEFAULT_NORMALIZE: Readonly<NormalizeOptions> = {
  minChars: 1,
  maxChars: 1_000_000,
  maxControlRatio: 0.01,
  steps: [],
};

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Decodes UTF-8 strictly; a NUL byte means binary (text formats never contain one). */
export function decodeUtf8(bytes: Uint8Array): { ok: true; text: string } | Rejection {
  if (bytes.includes(0)) return reject('binary', 'input contains NUL bytes');
  try {
    return { ok: true, text: strictUtf8.decode(bytes) };
  } catch {
    return reject('invalid_utf8', `input is not valid UTF-8 (${invalidUtf8Offset(bytes)})`);
  }
}

/** Where the first invalid UTF-8 sequence starts, for the rejection message. */
function invalidUtf8Offset(bytes: Uint8Array): string {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const need = continuationBytes(b);
    if (need < 0) return `bad byte 0x${b.toString(16)} at offset ${i}`;
    if (!continues(bytes, i, need)) return `bad sequence at offset ${i}`;
    i += need + 1;
  }
  return 'overlong or surrogate sequence';
}

/** How many continuation bytes a UTF-8 lead byte announces; -1 if it cannot lead a sequence. */
function continuationBytes(lead: number): number {
  if (lead < 0x80) return 0;
  if (lead >= 0xc2 && lead < 0xe0) return 1;
  if (lead >= 0xe0 && lead < 0xf0) return 2;
  if (lead >= 0xf0 && lead < 0xf5) return 3;
  return -1;
}

/** Whether the `need` bytes after `at` are all continuation bytes (10xxxxxx). */
function continues(bytes: Uint8Array, at: number, need: number): boolean {
  for (let k = 1; k <= need; k++) {
    const c = bytes[at + k];
    if (c === undefined || (c & 0xc0) !== 0x80) return false;
  }
  return true;
}

/** Decodes bytes in a declared charset, strictly. */
export function decodeCharset(bytes: Uint8Array, charset: string): { ok: true; text: string } | Rejection {
  const label = charset.trim().toLowerCase();
  if (label === 'utf-8' || label === 'utf8' || label === '') return decodeUtf8(bytes);
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(label, { fatal: true });
  } catch {
    return reject('unsupported_charset', `unknown charset ${JSON.stringify(charset)}`, { charset });
  }
  if (bytes.includes(0) && !label.startsWith('utf-16')) return reject('binary', 'input contains NUL bytes');
  try {
    return { ok: true, text: decoder.decode(bytes) };
  } catch {
    return reject('invalid_encoding', `input is not valid ${label}`, { charset: label });
  }
}

// Lone UTF-16 surrogates: what a JSON `\ud800` escape decodes to. They have no UTF-8 form.
const LONE_SURROGATE = /\p{Cs}/u;

/** A string from a structured source (JSON, Parquet) must be valid Unicode, like decoded bytes. */
export function checkWellFormed(text: string): true | Rejection {
  return LONE_SURROGATE.test(text)
    ? reject('invalid_utf8', 'text holds a lone UTF-16 surrogate (not encodable as UTF-8)')
    : true;
}

// Controls other than \t \n \v \f \r (those are whitespace handled below), plus DEL and C1.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f]/g;
// Unicode line/paragraph separators and NEL count as line breaks; \v and \f too.
// biome-ignore lint/suspicious/noControlCharactersInRegex: \v and \f are line breaks here
const LINE_BREAKS = /\r\n?|[\u000b\u000c\u0085\u2028\u2029]/g;
// Every space separator except the plain space (NBSP, en/em spaces, ideographic space…).
const ODD_SPACES = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g;
// Zero-width space and stray byte-order marks carry nothing; ZWJ/ZWNJ do (emoji, Indic scripts).
const INVISIBLE = /[\u200b\u2060\ufeff]/g;
const TRAILING_SPACE = /[ \t]+$/gm;
const BLANK_RUNS = /\n{3,}/g;

const APPLY: Record<NormalizeStep, (text: string) => string> = {
  nfc: (t) => t.normalize('NFC'),
  'line-breaks': (t) => t.replace(LINE_BREAKS, '\n'),
  spaces: (t) => t.replace(ODD_SPACES, ' '),
  invisible: (t) => t.replace(INVISIBLE, ''),
  controls: (t) => t.replace(CONTROL, ''),
  'trailing-spaces': (t) => t.replace(TRAILING_SPACE, ''),
  'blank-lines': (t) => t.replace(BLANK_RUNS, '\n\n'),
  trim: (t) => t.trim(),
};

/** Applies the named steps, in {@link NORMALIZE_STEPS} order. */
export function applySteps(text: string, steps: readonly NormalizeStep[]): string {
  let out = text;
  for (const step of NORMALIZE_STEPS) if (steps.includes(step)) out = APPLY[step](out);
  return out;
}

/**
 * Every step: NFC, line breaks → `\n`, odd spaces → ` `, invisible characters and stray controls
 * dropped, trailing spaces dropped, at most one blank line in a row, ends trimmed. Runs of spaces
 * inside a line and tabs are kept: indentation in code and tables is content. Text that ipt
 * extracts itself (from HTML) is cleaned this way; given text only when the user opts in.
 */
export function normalizeWhitespace(text: string): string {
  return applySteps(text, NORMALIZE_STEPS);
}

/** Code points, not UTF-16 units, so a limit means the same for every script. */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

function controlRatio(text: string): number {
  if (text.length === 0) return 0;
  const matches = text.match(CONTROL);
  return matches ? matches.length / text.length : 0;
}

/**
 * Is it text at all: NUL or too many control characters (binary), lone surrogates, or so long that
 * no normalization could bring it under `maxChars` (checked before the normalization passes, as a
 * cost bound: UTF-16 length bounds the code points from above, and the steps only shrink text
 * except NFC on rare scripts, by at most 3×).
 */
export function checkText(text: string, options: NormalizeOptions = DEFAULT_NORMALIZE): true | Rejection {
  if (text.includes('\u0000')) return reject('binary', 'text contains NUL characters');
  const ratio = controlRatio(text);
  if (ratio > options.maxControlRatio) {
    return reject('binary', `text is ${(ratio * 100).toFixed(1)}% control characters`, {
      control_ratio: ratio.toFixed(4),
    });
  }
  const wellFormed = checkWellFormed(text);
  if (wellFormed !== true) return wellFormed;
  if (text.length > options.maxChars * 3) {
    return reject(
      'too_long',
      `text has ${text.length} UTF-16 units (limit ${options.maxChars} code points)`,
      {
        limit: String(options.maxChars),
        length: String(text.length),
      },
    );
  }
  return true;
}

/** Applies the opted-in steps; `steps` names those that changed the text. */
export function applyNamedSteps(
  text: string,
  named: readonly NormalizeStep[],
): { text: string; steps: NormalizeStep[] } {
  const steps: NormalizeStep[] = [];
  let out = text;
  for (const step of NORMALIZE_STEPS) {
    if (!named.includes(step)) continue;
    const next = APPLY[step](out);
    if (next !== out) steps.push(step);
    out = next;
  }
  return { text: out, steps };
}

/** The stored text's size: not empty or whitespace-only, and within the code-point limits. */
export function checkLength(text: string, options: NormalizeOptions = DEFAULT_NORMALIZE): true | Rejection {
  if (!HAS_CONTENT.test(text)) return reject('empty_text', 'text is empty or only whitespace');
  const length = codePointLength(text);
  if (length < options.minChars) {
    return reject('too_short', `text has ${length} code points (minimum ${options.minChars})`, {
      limit: String(options.minChars),
      length: String(length),
    });
  }
  if (length > options.maxChars) {
    return reject('too_long', `text has ${length} code points (limit ${options.maxChars})`, {
      limit: String(options.maxChars),
      length: String(length),
    });
  }
  return true;
}

/**
 * Validates one decoded text and applies the opted-in steps: binary-looking text, lone surrogates,
 * empty or whitespace-only, too short and too long are rejected; everything else comes back as
 * given (or normalized as asked), with `steps` naming the steps that changed it. Ingest runs the
 * three parts as separate steps (validity, normalize, length); this is the same check in one call.
 */
export function normalizeText(
  text: string,
  options: NormalizeOptions = DEFAULT_NORMALIZE,
): { ok: true; text: string; steps: NormalizeStep[] } | Rejection {
  const valid = checkText(text, options);
  if (valid !== true) return valid;
  const normalized = applyNamedSteps(text, options.steps);
  const sized = checkLength(normalized.text, options);
  if (sized !== true) return sized;
  return { ok: true, ...normalized };
}

// Something other than whitespace, invisible characters and controls.
// biome-ignore lint/suspicious/noControlCharactersInRegex: controls are what it looks past
const HAS_CONTENT = /[^\s\u0000-\u001f\u007f-\u009f\u200b\u2060\ufeff]/u;
