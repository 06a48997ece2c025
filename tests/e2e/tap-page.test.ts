// The tap's page in headless Chromium (Debian's chromium, driven by playwright-core): it connects
// with the token from its address, shows a document produced during the test with its pairs and
// rendered text (record text escaped, never markup), hides what a filter excludes, pauses, and leaves
// a screenshot in out/tap-page.png.

import { existsSync, mkdirSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AugmentedRecord, SynthRound } from '../../core/types.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { avroCodec, registryClient } from '../../lib/registry.ts';
import type { Topics } from '../../lib/topics.ts';
import { startTap, type TapServer } from '../../services/tap/server.ts';
import { sampleAugmentedRecord, sampleSynthRound } from '../fixtures/records.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';
import { produceRawDocuments, rawDocument } from '../helpers/raw-docs.ts';

const TOKEN = 'page-test-token-abcdef';
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const endpoints = loadEndpoints();
const kafka = new Kafka({
  clientId: 'tap-page-test',
  brokers: endpoints.kafka.brokers,
  logLevel: logLevel.ERROR,
});
let topics: Topics;
let tap: TapServer;
let browser: Browser;
let page: Page;

async function produceTo<T>(topic: string, key: string, value: T): Promise<void> {
  const codec = await avroCodec<T>(registryClient(endpoints.registry.url), topic);
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key, value: codec.encode(value) }] });
  } finally {
    await producer.disconnect();
  }
}

const card = (docId: string) => page.locator(`article.doc[data-doc-id="${docId}"]`);

beforeAll(async () => {
  if (!CHROMIUM)
    throw new Error("no chromium at /usr/bin/chromium: install Debian's chromium (.ci/run does)");
  topics = await freshTopics('tappage');
  tap = await startTap({
    brokers: endpoints.kafka.brokers,
    registryUrl: endpoints.registry.url,
    topics,
    token: TOKEN,
    port: 0,
    statsIntervalMs: 250,
  });
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await tap?.stop();
});

describe('tap page', () => {
  it('asks for a token when the address has none', async () => {
    const other = await browser.newPage();
    await other.goto(`${tap.url}/`);
    await other.locator('#token-form').waitFor({ state: 'visible' });
    await other.close();
  });

  it('shows document → pairs → rendered text live, filters, pauses, and is screenshotted', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${tap.url}/#token=${TOKEN}`);
    await expect
      .poll(() => page.locator('#status').getAttribute('data-state'), { timeout: 15_000 })
      .toBe('live');
    // The token is taken out of the address bar once read.
    expect(page.url()).not.toContain(TOKEN);

    const hostile = 'Markup stays text: <img src=x onerror="document.body.dataset.pwned=1"> & <b>bold</b>';
    const a = {
      ...rawDocument(1, `${hostile}\nThe harbor of Ghent opened because trade grew.`),
      doc_id: 'page-doc-a',
      url: 'https://news.alpha.example/a',
    };
    const b = { ...rawDocument(2), doc_id: 'page-doc-b', url: 'https://beta.example/b' };
    await produceRawDocuments(kafka, endpoints.registry.url, topics.raw, [a, b]);
    await card(a.doc_id).waitFor({ timeout: 20_000 });
    await card(b.doc_id).waitFor({ timeout: 20_000 });
    await expect.poll(() => card(a.doc_id).locator('.doc-text').textContent()).toContain(hostile);
    expect(await card(a.doc_id).locator('img').count()).toBe(0);
    expect(await card(a.doc_id).locator('.doc-url').textContent()).toBe(a.url);

    const chain = 'page-run/ipt.docs.raw/0/0/0';
    const round: SynthRound = {
      ...sampleSynthRound,
      run: { ...sampleSynthRound.run, run_id: 'page-run' },
      chain_id: chain,
      round_index: 0,
      doc_id: a.doc_id,
      text: a.text,
      pairs: [{ question: 'Why did the harbor open?', answer: 'Because trade grew <script>x</script>.' }],
    };
    await produceTo(topics.rounds, chain, round);
    const record: AugmentedRecord = {
      ...sampleAugmentedRecord,
      id: chain,
      chain_id: chain,
      run: round.run,
      doc_ids: [a.doc_id],
      rounds: [{ ...(sampleAugmentedRecord.rounds[0] as AugmentedRecord['rounds'][0]), doc_id: a.doc_id }],
      texts: [
        {
          text: `${a.text}\n\nQuestion: Why did the harbor open?\nAnswer: Because trade grew.`,
          round_indexes: [0],
          framing: 'classic',
          token_count: 40,
        },
      ],
    };
    await produceTo(topics.augmented, chain, record);
    const pair = card(a.doc_id).locator('.pairs li');
    await pair.waitFor({ timeout: 20_000 });
    expect(await pair.locator('.q').textContent()).toBe('Why did the harbor open?');
    expect(await pair.locator('.a').textContent()).toBe('Because trade grew <script>x</script>.');
    const rendered = card(a.doc_id).locator('.rendered-body');
    await rendered.waitFor({ timeout: 20_000 });
    expect(await rendered.textContent()).toContain('Answer: Because trade grew.');
    await expect.poll(() => page.locator('[data-counter="read-augmented"]').textContent()).toBe('1');
    expect(await page.locator('[data-counter="read-raw"]').textContent()).toBe('2');
    expect(await page.locator('[data-counter="got-augmented"]').textContent()).toBe('1');
    mkdirSync('out', { recursive: true });
    await page.screenshot({ path: 'out/tap-page.png', fullPage: true });

    // A domain filter hides the other document at once, and the tap stops sending non-matching ones.
    await page.fill('#filter-domain', 'alpha.example');
    await page.click('#apply');
    await expect.poll(() => card(b.doc_id).isHidden()).toBe(true);
    expect(await card(a.doc_id).isVisible()).toBe(true);
    await expect.poll(() => page.locator('#status').getAttribute('data-state')).toBe('live');
    const c = { ...rawDocument(3), doc_id: 'page-doc-c', url: 'https://beta.example/c' };
    const d = { ...rawDocument(4), doc_id: 'page-doc-d', url: 'https://alpha.example/d' };
    await produceRawDocuments(kafka, endpoints.registry.url, topics.raw, [c, d]);
    await card(d.doc_id).waitFor({ timeout: 20_000 });
    expect(await card(c.doc_id).count()).toBe(0);

    // Pause holds new records back (counted, not shown) until resumed.
    await page.click('#pause');
    const e = { ...rawDocument(5), doc_id: 'page-doc-e', url: 'https://alpha.example/e' };
    await produceRawDocuments(kafka, endpoints.registry.url, topics.raw, [e]);
    await expect
      .poll(() => page.locator('#paused-note').textContent(), { timeout: 20_000 })
      .toContain('1 waiting');
    expect(await card(e.doc_id).count()).toBe(0);
    await page.click('#pause');
    await card(e.doc_id).waitFor({ timeout: 5_000 });

    expect(await page.locator('body').getAttribute('data-pwned')).toBeNull();
    expect(errors).toEqual([]);
  });
});
