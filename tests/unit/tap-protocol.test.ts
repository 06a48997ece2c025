import { describe, expect, it } from 'vitest';
import type { AugmentedRecord, DeadLetter, RawDocument, SynthRound } from '../../core/types.ts';
import { topicsFor } from '../../lib/topics.ts';
import {
  type Facets,
  facetsOf,
  matches,
  ProtocolError,
  parseClientMessage,
  sampled,
  toJson,
  unitHash,
} from '../../services/tap/protocol.ts';

const topics = topicsFor('ns1');
const parse = (message: unknown) =>
  parseClientMessage(typeof message === 'string' ? message : JSON.stringify(message), topics);
const subscription = (message: Record<string, unknown>) => {
  const parsed = parse({ type: 'subscribe', ...message });
  if (parsed.type !== 'subscribe') throw new Error('not a subscription');
  return parsed.subscription;
};

describe('subscription messages', () => {
  it('defaults to every topic, from now, no filters, everything', () => {
    expect(subscription({})).toEqual({
      topics: ['raw', 'rounds', 'augmented', 'dlq'],
      from: 'now',
      filters: {},
      sample: 1,
    });
  });

  it('names topics by role, canonical name or the namespaced name', () => {
    expect(
      subscription({ topics: ['raw', 'ipt.synth.rounds', 'ns1.ipt.corpus.augmented', 'raw'] }).topics,
    ).toEqual(['raw', 'rounds', 'augmented']);
    expect(() => subscription({ topics: ['ns1.ipt.synth.state'] })).toThrow(/unknown topic/);
    expect(() => subscription({ topics: [] })).toThrow(/at least one/);
  });

  it('takes filters as strings or lists, drops empty ones, lower-cases domains; run at the top level', () => {
    const s = subscription({
      filters: { docId: 'doc-1', chainId: ['a/b', 'c'], url: '', domain: 'Example.COM.' },
      run: 'run-1',
    });
    expect(s.filters).toEqual({
      docId: ['doc-1'],
      chainId: ['a/b', 'c'],
      domain: ['example.com'],
      run: ['run-1'],
    });
  });

  it('parses every start position', () => {
    expect(subscription({ from: 'latest' }).from).toBe('now');
    expect(subscription({ from: 'earliest' }).from).toBe('earliest');
    expect(subscription({ from: { timestamp: 1_760_000_000_000 } }).from).toEqual({
      timestamp: 1_760_000_000_000,
    });
    expect(
      subscription({ from: { offsets: { raw: { '0': '12', 1: 3 }, 'ipt.dlq': { '0': '0' } } } }).from,
    ).toEqual({
      offsets: { raw: { '0': '12', '1': '3' }, dlq: { '0': '0' } },
    });
  });

  it('refuses malformed messages with a reason the client can act on', () => {
    const cases: [unknown, RegExp][] = [
      ['not json', /not JSON/],
      [[1, 2], /JSON object/],
      [{ type: 'hello' }, /"type"/],
      [{ type: 'subscribe', topic: 'raw' }, /unknown field "topic"/],
      [{ type: 'subscribe', sample: 0 }, /sample/],
      [{ type: 'subscribe', sample: 1.5 }, /sample/],
      [{ type: 'subscribe', sample: '0.5' }, /sample/],
      [{ type: 'subscribe', filters: { doc: 'x' } }, /unknown filter "doc"/],
      [{ type: 'subscribe', filters: { docId: 3 } }, /string or a list/],
      [{ type: 'subscribe', filters: { docId: Array(101).fill('x') } }, /over 100 values/],
      [{ type: 'subscribe', from: 'yesterday' }, /"from"/],
      [{ type: 'subscribe', from: { timestamp: -1 } }, /timestamp/],
      [{ type: 'subscribe', from: { offsets: { raw: { x: '1' } } } }, /bad partition/],
      [{ type: 'subscribe', from: { offsets: { raw: { '0': '-1' } } } }, /non-negative offset/],
    ];
    for (const [message, reason] of cases) {
      expect(() => parse(message), JSON.stringify(message)).toThrow(ProtocolError);
      expect(() => parse(message), JSON.stringify(message)).toThrow(reason);
    }
    expect(parse({ type: 'unsubscribe' })).toEqual({ type: 'unsubscribe' });
  });
});

const run = { run_id: 'run-1' } as SynthRound['run'];
const raw = (docId: string, url: string | null, parent: string | null = null) =>
  ({ doc_id: docId, url, parent_doc_id: parent }) as RawDocument;
const round = (docId: string, chainId: string) =>
  ({ doc_id: docId, chain_id: chainId, run, kind: 'ROUND' }) as SynthRound;
const augmented = (chainId: string, docIds: string[]) =>
  ({ chain_id: chainId, doc_ids: docIds, run }) as AugmentedRecord;

describe('facets and filters', () => {
  const urls = new Map([
    ['doc-1', 'https://www.example.com/a'],
    ['doc-2', 'https://other.org/b'],
  ]);
  const urlOf = (id: string) => urls.get(id);

  it('gathers the ids each kind of record concerns, with remembered URLs for rounds and records', () => {
    expect(facetsOf('raw', raw('p#1', 'https://x.io/', 'p'))).toEqual({
      docIds: ['p#1', 'p'],
      chainIds: [],
      urls: ['https://x.io/'],
      runs: [],
    });
    expect(facetsOf('rounds', round('doc-1', 'run-1/t/0/0/1'), urlOf)).toEqual({
      docIds: ['doc-1'],
      chainIds: ['run-1/t/0/0/1'],
      urls: ['https://www.example.com/a'],
      runs: ['run-1'],
    });
    expect(
      facetsOf('augmented', augmented('run-1/t/0/0/1', ['doc-1', 'doc-2', 'doc-3']), urlOf).urls,
    ).toEqual(['https://www.example.com/a', 'https://other.org/b']);
    const letter = {
      doc_id: null,
      chain_id: 'c',
      run_id: 'r',
      context: { url: 'https://d.io' },
    } as unknown as DeadLetter;
    expect(facetsOf('dlq', letter)).toEqual({
      docIds: [],
      chainIds: ['c'],
      urls: ['https://d.io'],
      runs: ['r'],
    });
  });

  const facets = (f: Partial<Facets>): Facets => ({ docIds: [], chainIds: [], urls: [], runs: [], ...f });

  it('matches doc ids exactly or as the parent of chunks', () => {
    const f = facets({ docIds: ['doc-1#2'] });
    expect(matches({ docId: ['doc-1'] }, f, 'rounds')).toBe(true);
    expect(matches({ docId: ['doc-1#2'] }, f, 'rounds')).toBe(true);
    expect(matches({ docId: ['doc-10'] }, facets({ docIds: ['doc-1'] }), 'rounds')).toBe(false);
    expect(matches({ docId: ['doc-1'] }, facets({ docIds: ['doc-10'] }), 'rounds')).toBe(false);
    expect(matches({ docId: ['x', 'doc-1'] }, f, 'rounds')).toBe(true);
  });

  it('matches chain ids exactly or by a prefix ending at a / boundary', () => {
    const f = facets({ chainIds: ['run-1/topic/3/12/0'] });
    expect(matches({ chainId: ['run-1/topic/3/12/0'] }, f, 'rounds')).toBe(true);
    expect(matches({ chainId: ['run-1/topic/3'] }, f, 'rounds')).toBe(true);
    expect(matches({ chainId: ['run-1/topic/3/'] }, f, 'rounds')).toBe(true);
    expect(
      matches({ chainId: ['run-1/topic/31'] }, facets({ chainIds: ['run-1/topic/3/1/0'] }), 'rounds'),
    ).toBe(false);
    expect(matches({ chainId: ['run-1/top'] }, f, 'rounds')).toBe(false);
  });

  it('matches URL substrings case-insensitively and domains with their subdomains', () => {
    const f = facets({ urls: ['https://News.Example.com/Path?q=1'] });
    expect(matches({ url: ['example.com/path'] }, f, 'raw')).toBe(true);
    expect(matches({ url: ['nope'] }, f, 'raw')).toBe(false);
    expect(matches({ domain: ['example.com'] }, f, 'raw')).toBe(true);
    expect(matches({ domain: ['news.example.com'] }, f, 'raw')).toBe(true);
    expect(matches({ domain: ['ample.com'] }, f, 'raw')).toBe(false);
    expect(matches({ domain: ['example.com'] }, facets({ urls: ['not a url'] }), 'raw')).toBe(false);
    expect(matches({ url: ['x'] }, facets({}), 'rounds')).toBe(false);
  });

  it('applies a run filter to everything but raw documents, which belong to no run', () => {
    expect(matches({ run: ['run-1'] }, facets({ runs: ['run-1'] }), 'rounds')).toBe(true);
    expect(matches({ run: ['run-2'] }, facets({ runs: ['run-1'] }), 'augmented')).toBe(false);
    expect(matches({ run: ['run-2'] }, facets({}), 'dlq')).toBe(false);
    expect(matches({ run: ['run-2'] }, facets({ docIds: ['d'] }), 'raw')).toBe(true);
  });

  it('needs every filter to pass', () => {
    const f = facets({ docIds: ['doc-1'], chainIds: ['r/t/0/0/0'], runs: ['r'], urls: ['https://a.com/x'] });
    expect(matches({ docId: ['doc-1'], run: ['r'], domain: ['a.com'] }, f, 'rounds')).toBe(true);
    expect(matches({ docId: ['doc-1'], run: ['r'], domain: ['b.com'] }, f, 'rounds')).toBe(false);
    expect(matches({}, f, 'rounds')).toBe(true);
  });
});

describe('sampling', () => {
  const docFacets = (id: string): Facets => ({ docIds: [id], chainIds: [], urls: [], runs: [] });

  it('is deterministic and keeps about the asked fraction', () => {
    let kept = 0;
    for (let i = 0; i < 20_000; i++) {
      const f = docFacets(`doc-${i}`);
      const first = sampled(0.1, f, 'x');
      expect(sampled(0.1, f, 'x')).toBe(first);
      if (first) kept++;
    }
    expect(kept / 20_000).toBeGreaterThan(0.09);
    expect(kept / 20_000).toBeLessThan(0.11);
    expect(sampled(1, docFacets('any'), 'x')).toBe(true);
  });

  it('keeps a document, its chunks, its rounds and its augmented record together', () => {
    for (let i = 0; i < 500; i++) {
      const id = `d-${i}`;
      const doc = sampled(0.3, docFacets(id), 'x');
      expect(sampled(0.3, { ...docFacets(`${id}#2`), chainIds: ['c'] }, 'y')).toBe(doc);
      // An augmented record is kept when any of its documents is.
      const other = sampled(0.3, docFacets(`e-${i}`), 'x');
      expect(sampled(0.3, { ...docFacets(id), docIds: [id, `e-${i}`] }, 'z')).toBe(doc || other);
    }
  });

  it('a smaller rate keeps a subset of a larger one', () => {
    for (let i = 0; i < 2_000; i++) {
      const f = docFacets(`doc-${i}`);
      if (sampled(0.05, f, 'x')) expect(sampled(0.2, f, 'x')).toBe(true);
    }
  });

  it('hashes into [0, 1)', () => {
    for (const key of ['', 'a', 'doc-000001', 'é☃']) {
      const h = unitHash(key);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(1);
    }
  });
});

describe('toJson', () => {
  it('writes bytes as base64 and leaves the rest as JSON', () => {
    const letter = { key: Buffer.from('k'), value: Buffer.from([0, 255]), context: { a: 'b' }, n: 3 };
    expect(JSON.parse(toJson(letter))).toEqual({ key: 'aw==', value: 'AP8=', context: { a: 'b' }, n: 3 });
  });
});
