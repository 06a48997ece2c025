import { describe, expect, it } from 'vitest';
import { charsetOfContentType, charsetOfHtmlHead, htmlToText } from '../../services/ingest/html.ts';
import { crawlTimeMs, DEFAULT_JSON_FIELDS, documentFromJson } from '../../services/ingest/json-doc.ts';
import { splitLines } from '../../services/ingest/lines.ts';
import {
  hasGlobSyntax,
  sniffCompression,
  sniffFormat,
  stripCompressionSuffix,
} from '../../services/ingest/sniff.ts';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('format sniffing', () => {
  it('knows compression by magic number, not by name', () => {
    expect(sniffCompression(Uint8Array.from([0x1f, 0x8b, 8, 0]))).toBe('gzip');
    expect(sniffCompression(Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd]))).toBe('zstd');
    expect(sniffCompression(b('{"text":1}'))).toBe('none');
  });

  it('lets content win over the name', () => {
    expect(sniffFormat('x.txt', b('PAR1\x15\x04'))).toBe('parquet');
    expect(sniffFormat('x.jsonl', b('WARC/1.0\r\nWARC-Type: warcinfo'))).toBe('warc');
  });

  it('tells WET from WARC by name, through a compression suffix', () => {
    expect(sniffFormat('CC-MAIN-x.warc.wet.gz', b('WARC/1.0\r\n'))).toBe('wet');
    expect(sniffFormat('CC-MAIN-x.warc.gz', b('WARC/1.0\r\n'))).toBe('warc');
  });

  it('uses the name where bytes cannot tell', () => {
    expect(sniffFormat('notes.txt', b('{ not json, a note }'))).toBe('text');
    expect(sniffFormat('docs.ndjson.zst', b('{"text":"x"}'))).toBe('jsonl');
    expect(sniffFormat('shard.parquet', b(''))).toBe('parquet');
  });

  it('falls back to JSON Lines for a leading "{" and to text otherwise', () => {
    expect(sniffFormat('stdin', Buffer.from('\ufeff  \n{"text":"x"}', 'utf8'))).toBe('jsonl');
    expect(sniffFormat('stdin', b('Once upon a time'))).toBe('text');
  });

  it('strips compression suffixes and recognizes globs', () => {
    expect(stripCompressionSuffix('a.jsonl.gz')).toBe('a.jsonl');
    expect(stripCompressionSuffix('a.jsonl.zst')).toBe('a.jsonl');
    expect(hasGlobSyntax('data/*.jsonl')).toBe(true);
    expect(hasGlobSyntax('data/a.jsonl')).toBe(false);
  });
});

async function* chunks(...parts: string[]) {
  for (const p of parts) yield Buffer.from(p);
}
async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('line splitting', () => {
  it('splits across chunk boundaries and strips CR', async () => {
    const lines = await all(splitLines(chunks('ab', 'c\r\nde', 'f\n', 'g'), 100, 10));
    expect(lines.map((l) => (l.kind === 'line' ? l.bytes.toString() : l.kind))).toEqual(['abc', 'def', 'g']);
    expect(lines.map((l) => l.number)).toEqual([1, 2, 3]);
  });

  it('caps a long line: keeps only a head and the length, then goes on', async () => {
    const lines = await all(
      splitLines(chunks('short\n', 'x'.repeat(30), 'y'.repeat(30), '\nafter\n'), 50, 8),
    );
    expect(lines[0]).toMatchObject({ kind: 'line' });
    expect(lines[1]).toMatchObject({ kind: 'too_long', number: 2, length: 60 });
    expect(lines[1]?.kind === 'too_long' && lines[1].head.toString()).toBe('xxxxxxxx');
    expect(lines[2]?.kind === 'line' && lines[2].bytes.toString()).toBe('after');
  });
});

describe('JSON documents', () => {
  const where = { source: 'jsonl:t', origin: 'line 1', original: () => Buffer.from('{}') };

  it('takes the first present text field and the configured url and id fields', () => {
    const doc = documentFromJson(
      { content: 'hi', link: 'http://a', key: 7 },
      { text: ['text', 'content'], url: 'link', id: 'key' },
      where,
    );
    expect(doc).toMatchObject({ kind: 'doc', text: 'hi', url: 'http://a', id: '7' });
  });

  it('reads RefinedWeb crawl fields when present', () => {
    const doc = documentFromJson(
      { text: 'x', dump: 'CC-MAIN-2023-06', segment: '1674764499470.19', timestamp: '2023-02-01T10:00:00Z' },
      DEFAULT_JSON_FIELDS,
      where,
    );
    expect(doc).toMatchObject({
      crawlDump: 'CC-MAIN-2023-06',
      crawlSegment: '1674764499470.19',
      crawlTime: 1675245600000,
    });
  });

  it.each([
    ['a non-string text', { text: 12 }, 'wrong_field_type'],
    ['a non-string url', { text: 'x', url: ['a'] }, 'wrong_field_type'],
    ['an object id', { text: 'x', id: {} }, 'wrong_field_type'],
    ['no text field', { body: 'x' }, 'missing_field'],
    ['an array instead of an object', ['x'], 'wrong_field_type'],
    ['a bad timestamp', { text: 'x', timestamp: 'yesterday' }, 'wrong_field_type'],
  ])('rejects %s', (_name, value, reason) => {
    expect(documentFromJson(value, DEFAULT_JSON_FIELDS, where)).toMatchObject({ kind: 'reject', reason });
  });

  it('reads crawl timestamps in any unit', () => {
    expect(crawlTimeMs(1675245600)).toBe(1675245600000);
    expect(crawlTimeMs(1675245600000)).toBe(1675245600000);
    expect(crawlTimeMs(1675245600000000n)).toBe(1675245600000);
    expect(crawlTimeMs(new Date(1675245600000))).toBe(1675245600000);
    expect(crawlTimeMs(null)).toBe(null);
  });
});

describe('HTML to visible text', () => {
  it('keeps what a reader sees and drops scripts, styles, images and hrefs', () => {
    const html =
      '<html><head><title>t</title><style>p{}</style></head><body><h1>Heading</h1>' +
      '<p>One <a href="http://x">link</a>.</p><script>var a=1</script><img src="i.png" alt="pic"><noscript>n</noscript></body></html>';
    expect(htmlToText(html)).toBe('Heading\n\nOne link.');
  });

  it('finds the declared charset in the header or the document head', () => {
    expect(charsetOfContentType('text/html; charset="ISO-8859-1"')).toBe('ISO-8859-1');
    expect(charsetOfContentType('text/html')).toBe(null);
    expect(charsetOfHtmlHead(b('<html><head><meta charset="windows-1252">'))).toBe('windows-1252');
    expect(charsetOfHtmlHead(b('<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'))).toBe(
      'koi8-r',
    );
  });
});
