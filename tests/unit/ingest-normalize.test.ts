import { describe, expect, it } from 'vitest';
import {
  codePointLength,
  DEFAULT_NORMALIZE,
  decodeCharset,
  decodeUtf8,
  NORMALIZE_STEPS,
  type NormalizeStep,
  normalizeText,
  normalizeWhitespace,
  parseNormalizeSteps,
} from '../../services/ingest/normalize.ts';

const opts = { ...DEFAULT_NORMALIZE, minChars: 1, maxChars: 50 };

describe('UTF-8: rejected, never repaired', () => {
  it('decodes valid UTF-8 exactly', () => {
    const text = 'héllo — 世界 🙂';
    expect(decodeUtf8(Buffer.from(text))).toEqual({ ok: true, text });
  });

  it.each([
    ['a lone continuation byte', [0x61, 0x80, 0x62]],
    ['a truncated sequence', [0x61, 0xe4, 0xb8]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['Latin-1 bytes', [...Buffer.from('caf'), 0xe9]],
  ])('rejects %s as invalid_utf8', (_name, bytes) => {
    const result = decodeUtf8(Uint8Array.from(bytes));
    expect(result).toMatchObject({ ok: false, reason: 'invalid_utf8' });
  });

  it('calls bytes with NUL binary, before trying to decode them', () => {
    expect(decodeUtf8(Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0xff]))).toMatchObject({
      ok: false,
      reason: 'binary',
    });
  });

  it('rejects lone surrogates from JSON escapes as invalid_utf8', () => {
    expect(normalizeText(JSON.parse('"abc \\ud800 def"'), opts)).toMatchObject({
      ok: false,
      reason: 'invalid_utf8',
    });
    // A proper pair is fine.
    expect(normalizeText(JSON.parse('"abc \\ud83d\\ude42"'), opts)).toEqual({
      ok: true,
      text: 'abc 🙂',
      steps: [],
    });
  });

  it('decodes a declared charset strictly, and refuses unknown ones', () => {
    expect(decodeCharset(Uint8Array.from([0x63, 0x61, 0x66, 0xe9]), 'windows-1252')).toEqual({
      ok: true,
      text: 'café',
    });
    expect(decodeCharset(Uint8Array.from([0x61]), 'x-no-such-charset')).toMatchObject({
      ok: false,
      reason: 'unsupported_charset',
    });
    expect(decodeCharset(Uint8Array.from([0x61, 0xff]), 'utf-8')).toMatchObject({
      ok: false,
      reason: 'invalid_utf8',
    });
  });
});

describe('texts as given, normalization opt-in', () => {
  const odd = '\t Cafe\u0301\u00a0x\u200by\u0007 \r\n\r\n\r\n\u2028z\u3000  \n\n\n';
  const long = { ...opts, maxChars: 1000, maxControlRatio: 0.5 };

  it('keeps a valid text byte for byte by default: odd whitespace, NFD, a stray control', () => {
    const result = normalizeText(odd, long);
    expect(result).toEqual({ ok: true, text: odd, steps: [] });
    if (result.ok) expect(Buffer.from(result.text).equals(Buffer.from(odd))).toBe(true);
  });

  const each: [NormalizeStep, string, string][] = [
    ['nfc', 'Cafe\u0301', 'Caf\u00e9'],
    ['line-breaks', 'a\r\nb\rc\u0085d\u2028e\u2029f\u000bg\u000ch', 'a\nb\nc\nd\ne\nf\ng\nh'],
    ['spaces', 'a\u00a0b\u3000c\u2009d', 'a b c d'],
    ['invisible', 'a\u200bb\ufeffc\u2060d\u200de', 'abcd\u200de'],
    ['controls', 'a\u0007b\u001bc\td', 'abc\td'],
    ['trailing-spaces', 'a \t\nb  \nc', 'a\nb\nc'],
    ['blank-lines', 'a\n\n\n\nb\n\nc', 'a\n\nb\n\nc'],
    ['trim', ' \n a b \t\n', 'a b'],
  ];
  it.each(each)('step %s does what it says, and only that', (step, input, output) => {
    expect(normalizeText(input, { ...long, steps: [step] })).toEqual({
      ok: true,
      text: output,
      steps: [step],
    });
    // No other step does this one's work.
    const rest = normalizeText(input, { ...long, steps: NORMALIZE_STEPS.filter((s) => s !== step) });
    expect(rest.ok && rest.text).not.toBe(output);
  });

  it('names only the steps that changed the text', () => {
    expect(normalizeText('Cafe\u0301 ok', { ...long, steps: ['nfc', 'trim', 'blank-lines'] })).toEqual({
      ok: true,
      text: 'Caf\u00e9 ok',
      steps: ['nfc'],
    });
  });

  it('parses a step list in any order into the fixed order; all, none; refuses unknown names', () => {
    expect(parseNormalizeSteps('trim, nfc')).toEqual(['nfc', 'trim']);
    expect(parseNormalizeSteps('all')).toEqual([...NORMALIZE_STEPS]);
    expect(parseNormalizeSteps('')).toEqual([]);
    expect(parseNormalizeSteps('none')).toEqual([]);
    expect(() => parseNormalizeSteps('nfc,nfkc')).toThrow(/unknown normalization step "nfkc"/);
  });

  it('all steps together are the whitespace clean-up HTML extraction uses', () => {
    expect(normalizeText(odd, { ...long, steps: [...NORMALIZE_STEPS] })).toMatchObject({
      ok: true,
      text: normalizeWhitespace(odd),
    });
  });
});

describe('whitespace clean-up (every step)', () => {
  it('unifies line breaks and odd spaces, drops invisible and trailing space, keeps paragraphs and indentation', () => {
    const input =
      '\ufeff  Title\r\n\r\n\r\n\r\nfirst\u00a0line   \r  indented\tcode\u2028x\u200by\u000b\n\n\n';
    expect(normalizeWhitespace(input)).toBe('Title\n\nfirst line\n  indented\tcode\nxy');
  });

  it('composes to NFC so two spellings of the same text are one text', () => {
    expect(normalizeWhitespace('Cafe\u0301')).toBe(normalizeWhitespace('Caf\u00e9'));
  });

  it('is idempotent', () => {
    const once = normalizeWhitespace(' a \r\n\r\n\r\n b\u3000c \n');
    expect(normalizeWhitespace(once)).toBe(once);
  });
});

describe('validation', () => {
  it('rejects empty and whitespace-only text as empty_text (no step needed)', () => {
    expect(normalizeText('', opts)).toMatchObject({ ok: false, reason: 'empty_text' });
    expect(normalizeText(' \n\t\u00a0\r\n\u200b ', opts)).toMatchObject({ ok: false, reason: 'empty_text' });
  });

  it('enforces min and max length in code points', () => {
    expect(normalizeText('abc', { ...opts, minChars: 4 })).toMatchObject({ ok: false, reason: 'too_short' });
    expect(normalizeText('🙂'.repeat(50), opts)).toMatchObject({ ok: true });
    expect(normalizeText('🙂'.repeat(51), opts)).toMatchObject({
      ok: false,
      reason: 'too_long',
      detail: { limit: '50', length: '51' },
    });
  });

  it('calls text that is mostly control characters binary', () => {
    expect(normalizeText('ab\u0001\u0002\u0003cd\u0004', opts)).toMatchObject({
      ok: false,
      reason: 'binary',
    });
    expect(normalizeText('ab\u0000cd', opts)).toMatchObject({ ok: false, reason: 'binary' });
  });

  it('counts code points, not UTF-16 units', () => {
    expect(codePointLength('a🙂b')).toBe(3);
    expect('a🙂b'.length).toBe(4);
  });
});
