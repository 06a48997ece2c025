import { describe, expect, it } from 'vitest';
import {
  codePointLength,
  DEFAULT_NORMALIZE,
  decodeCharset,
  decodeUtf8,
  normalizeText,
  normalizeWhitespace,
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
    expect(normalizeText(JSON.parse('"abc \\ud83d\\ude42"'), opts)).toEqual({ ok: true, text: 'abc 🙂' });
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

describe('whitespace normalization', () => {
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

  it('drops a few stray control characters', () => {
    const text = `${'x'.repeat(25)}\u0007${'y'.repeat(24)}`; // 1 control in 50: under the 1 % threshold
    expect(normalizeText(text, { ...opts, maxControlRatio: 0.05 })).toEqual({
      ok: true,
      text: `${'x'.repeat(25)}${'y'.repeat(24)}`,
    });
  });
});

describe('validation', () => {
  it('rejects empty and whitespace-only text as empty_text', () => {
    expect(normalizeText('', opts)).toMatchObject({ ok: false, reason: 'empty_text' });
    expect(normalizeText(' \n\t\u00a0\r\n ', opts)).toMatchObject({ ok: false, reason: 'empty_text' });
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
