// The language step against the real stack: WARC pages in English, German and French and a junk
// page go through ingest; the English ones reach the raw topic with lang and lang_score, the others
// the DLQ with reason `language` and the language and score in the context. `languages` lists
// what is kept, false turns the step off. And RawDocument's new fields are a BACKWARD-compatible
// evolution: a subject holding the schema without them takes the new one, and records written
// before read back with lang null.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Compatibility } from '@confluentinc/schemaregistry';
import { describe, expect, it } from 'vitest';
import type { RawDocument } from '../../core/types.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { createLogger } from '../../lib/log.ts';
import { avroCodec, registerSchemas, registryClient, schemaText, subjectOf } from '../../lib/registry.ts';
import { topicsFor } from '../../lib/topics.ts';
import { createIngestor, type IngestorOptions, type IngestStats } from '../../services/ingest/ingestor.ts';
import { DEFAULT_MIN_LANGUAGE_SCORE } from '../../services/ingest/steps/language.ts';
import { sampleRawDocument } from '../fixtures/records.ts';
import { producedOn, writeWarc } from '../helpers/ingest-fixtures.ts';
import { FRENCH, GERMAN, REVERSED } from '../helpers/language-texts.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';
import { runIpt } from '../helpers/service-process.ts';

const endpoints = loadEndpoints();
const log = createLogger('ingest-language-test', 'warn');
const page = (body: string) =>
  `<!doctype html><html><head><title>Page</title></head><body><article>${body
    .split(/\n\s*\n/)
    .map((p) => `<p>${p}</p>`)
    .join('')}</article></body></html>`;
/** Two demo texts: clean English that every default step keeps. */
const demo = readFileSync('demo/corpus/sample.jsonl', 'utf8')
  .trim()
  .split('\n')
  .slice(0, 2)
  .map((l) => (JSON.parse(l) as { text: string }).text);
const PAGES = [
  { url: 'https://example.com/en-1', html: page(demo[0] ?? '') },
  { url: 'https://example.de/de-1', html: page(GERMAN) },
  { url: 'https://example.fr/fr-1', html: page(FRENCH) },
  { url: 'https://example.com/junk', html: page(REVERSED) },
  { url: 'https://example.com/en-2', html: page(demo[1] ?? '') },
];
const ENGLISH_URLS = ['https://example.com/en-1', 'https://example.com/en-2'];

async function ingestPages(options: Partial<IngestorOptions>) {
  const topics = await freshTopics('ingest-lang');
  const dir = mkdtempSync(join(tmpdir(), 'ipt-ingest-lang-'));
  await writeWarc(join(dir, 'pages.warc.gz'), PAGES);
  const ingestor = await createIngestor({
    brokers: endpoints.kafka.brokers,
    registryUrl: endpoints.registry.url,
    topics,
    dedupStage: false, // straight to the raw topic: dedup is not what this tests
    log,
    ...options,
  });
  try {
    await ingestor.ingestPaths([dir]);
  } finally {
    await ingestor.close();
  }
  return { stats: ingestor.stats, ...(await producedOn(topics)) };
}

describe('ingest identifies languages', () => {
  it('keeps English with lang and score; dead-letters the rest with reason language', async () => {
    const { stats, raw, dlq } = await ingestPages({});
    expect(raw.map((r) => r.url).sort()).toEqual(ENGLISH_URLS);
    for (const r of raw) {
      expect(r.lang).toBe('en');
      expect(r.lang_score).toBeGreaterThanOrEqual(DEFAULT_MIN_LANGUAGE_SCORE);
    }
    expect(dlq).toHaveLength(3);
    for (const d of dlq) {
      expect(d.context).toMatchObject({ reason: 'language', step: 'language' });
      expect(Number(d.context.language_score)).toBeGreaterThan(0);
    }
    const languages = dlq.map((d) => d.context.language);
    expect(languages).toEqual(expect.arrayContaining(['de', 'fr']));
    expect(stats.rejectedByReason.language).toBe(3);
    expect(stats.steps.language).toMatchObject({ in: 5, out: 2, dropped: { language: 3 } });
  });

  // Later steps (the quality rules) judge what the language step passes on: these count the
  // language step's own decisions.
  it('passes the listed languages, and every language when the list is all', async () => {
    const listed = await ingestPages({ languages: ['en', 'de'] });
    expect(listed.stats.steps.language).toMatchObject({ in: 5, out: 3, dropped: { language: 2 } });
    expect(
      listed.dlq.filter((d) => d.context.reason === 'language').map((d) => d.context.language),
    ).not.toContain('de');
    const all = await ingestPages({ languages: 'all' });
    expect(all.stats.steps.language).toMatchObject({ in: 5, out: 5, dropped: {} });
    expect(all.dlq.filter((d) => d.context.reason === 'language')).toEqual([]);
    const english = all.raw.filter((r) => ENGLISH_URLS.includes(r.url ?? ''));
    expect(english.map((r) => r.lang)).toEqual(['en', 'en']);
  });

  it('with the step off nothing is identified or filtered', async () => {
    const off = await ingestPages({ languages: false });
    expect(off.stats.steps.language).toBeUndefined();
    expect(off.stats.rejectedByReason.language).toBeUndefined();
    expect(off.raw.map((r) => r.url).sort()).toEqual(expect.arrayContaining(ENGLISH_URLS));
    expect(off.raw.every((r) => r.lang === null && r.lang_score === null)).toBe(true);
  });
});

describe('ipt ingest language flags', () => {
  it('--languages lists what the step passes; a code that is not ISO 639-1 is refused', {
    timeout: 60_000,
  }, async () => {
    const namespace = `ingest-lang-cli-${randomUUID().slice(0, 8)}`;
    expect((await runIpt(['topics', 'create', '--topic-namespace', namespace])).code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'ipt-ingest-lang-cli-'));
    await writeWarc(join(dir, 'pages.warc.gz'), PAGES);
    const args = ['ingest', dir, '--topic-namespace', namespace, '--json'];
    const listed = await runIpt([...args, '--languages', 'en,de']);
    expect(listed.code, listed.stderr).toBe(0);
    const stats = JSON.parse(listed.stdout) as IngestStats;
    expect(stats.steps.language).toMatchObject({ in: 5, out: 3, dropped: { language: 2 } });
    const refused = await runIpt([...args, '--languages', 'english']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/ISO 639-1/);
  });
});

describe('RawDocument lang fields in the registry', () => {
  it('evolve a subject holding the schema without them (BACKWARD); older records read as null', async () => {
    const client = registryClient(endpoints.registry.url);
    const topics = topicsFor(`lang-evolve-${Date.now().toString(36)}`);
    const subject = subjectOf(topics.raw);
    const current = JSON.parse(schemaText('RawDocument')) as { fields: { name: string }[] };
    const before = {
      ...current,
      fields: current.fields.filter((f) => f.name !== 'lang' && f.name !== 'lang_score'),
    };
    await client.updateConfig(subject, { compatibility: Compatibility.BACKWARD });
    await client.register(subject, { schemaType: 'AVRO', schema: JSON.stringify(before) });
    const { lang: _l, lang_score: _s, ...older } = sampleRawDocument;
    const oldBytes = (await avroCodec<typeof older>(client, topics.raw)).encode(older);

    await registerSchemas(client, topics);
    expect(await client.getAllVersions(subject)).toHaveLength(2);
    // A fresh client: the first one caches the subject's latest schema.
    const codec = await avroCodec<RawDocument>(registryClient(endpoints.registry.url), topics.raw);
    expect(await codec.decode(oldBytes)).toEqual({ ...older, lang: null, lang_score: null });
    expect(await codec.decode(codec.encode(sampleRawDocument))).toEqual(sampleRawDocument);
  });
});
