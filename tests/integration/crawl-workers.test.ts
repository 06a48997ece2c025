// Crawl inputs shared by ingest workers, on the shared stack: three `ipt ingest --worker` processes
// over 22 inputs (JSONL and WARC files, http URLs), one SIGKILLed while it reads a long input. Every
// document of every readable input reaches the candidates topic exactly once, the killed input is
// finished by another worker from where the killed one's last transaction left it, and unreadable
// inputs (404, 503 after retries, truncated gzip, a file gone) are marked failed with their reason in
// the DLQ while the rest complete.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrawlProgress, DeadLetter, DedupMessage, RawDocument } from '../../core/types.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { registryClient, topicSerde } from '../../lib/registry.ts';
import type { Topics } from '../../lib/topics.ts';
import { describeInput } from '../../services/crawl/descriptor.ts';
import { connectPublisher } from '../../services/crawl/publish.ts';
import { readCrawlStatus, readProgressHistory } from '../../services/crawl/status.ts';
import { type CrawlServer, startCrawlServer } from '../helpers/crawl-server.ts';
import { jsonl, prose, writeWarc } from '../helpers/ingest-fixtures.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';
import { readCommitted } from '../helpers/read-topic.ts';
import { type ServiceProcess, spawnIpt } from '../helpers/service-process.ts';

const endpoints = loadEndpoints();
const kafka = kafkaClient('crawl-workers-test', endpoints.kafka.brokers);
const registry = registryClient(endpoints.registry.url);
const dir = mkdtempSync(join(tmpdir(), 'ipt-crawl-workers-'));
const LONG_DOCS = 400;

/** Readable inputs: location → the document ids they hold (JSONL ids; WARC page URLs). */
const expected = new Map<string, string[]>();
const unreadable: string[] = [];
let topics: Topics;
let server: CrawlServer;
const workers: ServiceProcess[] = [];

const docs = (tag: string, n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `${tag}-${i}`, text: prose(seed + i, 700) }));

async function writeInputs(): Promise<{ files: string[]; urls: string[] }> {
  const files: string[] = [];
  for (let f = 0; f < 10; f++) {
    const list = docs(`j${f}`, 12, 10_000 * (f + 1));
    const path = join(dir, `part-${f}.jsonl${f % 2 ? '.gz' : ''}`);
    writeFileSync(path, f % 2 ? gzipSync(jsonl(list)) : jsonl(list));
    files.push(path);
    expected.set(
      path,
      list.map((d) => d.id),
    );
  }
  for (let f = 0; f < 8; f++) {
    const pages = Array.from({ length: 8 }, (_, i) => ({
      url: `https://example.com/w${f}/${i}`,
      html: `<html><head><title>Page ${f}.${i}</title></head><body><article><p>${prose(500_000 + f * 100 + i, 900)}</p></article></body></html>`,
    }));
    const path = join(dir, `crawl-${f}.warc.gz`);
    await writeWarc(path, pages);
    files.push(path);
    expected.set(
      path,
      pages.map((p) => p.url),
    );
  }
  const truncated = join(dir, 'truncated.jsonl.gz');
  const whole = gzipSync(jsonl(docs('t', 40, 900_000)));
  writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length * 0.6)));
  const gone = join(dir, 'gone.jsonl');
  writeFileSync(gone, jsonl(docs('g', 2, 950_000)));
  files.push(truncated, gone);
  unreadable.push(truncated, gone);

  const long = docs('long', LONG_DOCS, 1_000_000);
  const good = docs('http', 10, 2_000_000);
  server = await startCrawlServer(
    { '/long.jsonl': jsonl(long), '/good.jsonl.gz': gzipSync(jsonl(good)) },
    { paths: ['/long.jsonl'], dripBytes: 8 * 1024, dripMs: 150 },
  );
  const urls = [
    `${server.url}/long.jsonl`,
    `${server.url}/good.jsonl.gz`,
    `${server.url}/missing.jsonl`,
    `${server.url}/fail/busy.jsonl`,
  ];
  expected.set(
    urls[0] as string,
    long.map((d) => d.id),
  );
  expected.set(
    urls[1] as string,
    good.map((d) => d.id),
  );
  unreadable.push(urls[2] as string, urls[3] as string);
  return { files, urls };
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 240_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\n${workers.map((w) => w.tail(15)).join('\n---\n')}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

beforeAll(async () => {
  topics = await freshTopics('crawl', 6);
  const { files, urls } = await writeInputs();
  const publisher = await connectPublisher(kafka, endpoints.registry.url, topics);
  await publisher.publish([...files, ...urls].map((location) => describeInput(location)));
  await publisher.close();
  rmSync(join(dir, 'gone.jsonl')); // published, then deleted before any worker opens it
}, 120_000);

afterAll(async () => {
  for (const w of workers) await w.kill().catch(() => {});
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const namespace = () => topics.crawlInputs.split('.ipt.')[0] as string;

describe('ipt ingest --worker over crawl inputs', () => {
  it('reads every input exactly once across a SIGKILL; unreadable inputs fail with their reason', async () => {
    const args = (id: string) => [
      'ingest',
      '--worker',
      '--topic-namespace',
      namespace(),
      '--worker-id',
      id,
      '--commit-records',
      '10',
      '--commit-interval-ms',
      '300',
      '--log-level',
      'info',
    ];
    for (const id of ['w1', 'w2', 'w3']) workers.push(spawnIpt(args(id), `crawl-${id}`));
    const longUrl = `${server.url}/long.jsonl`;

    // Kill whichever worker is reading the long input once it has committed part of it.
    const reading = await until('the long input to be partly committed', async () => {
      const status = await readCrawlStatus(kafka, endpoints.registry.url, topics);
      const long = status.list.find((s) => s.location === longUrl);
      return long?.state === 'RUNNING' && long.records_read > 0 ? long : undefined;
    });
    const victim = workers[['w1', 'w2', 'w3'].indexOf(reading.worker as string)] as ServiceProcess;
    await victim.kill();

    const final = await until('every input to end', async () => {
      const status = await readCrawlStatus(kafka, endpoints.registry.url, topics);
      return status.done + status.failed === expected.size + unreadable.length ? status : undefined;
    });
    expect(final.done).toBe(expected.size);
    expect(final.failed).toBe(unreadable.length);
    for (const location of unreadable) {
      const s = final.list.find((x) => x.location === location);
      expect(s?.state, location).toBe('FAILED');
      expect(s?.reason, location).toBeTruthy();
    }
    expect(final.list.find((s) => s.location.endsWith('/missing.jsonl'))?.reason).toMatch(/HTTP 404/);
    expect(final.list.find((s) => s.location.endsWith('/busy.jsonl'))?.reason).toMatch(/HTTP 503/);

    // Every document once: the candidates topic, decoded down to the raw records inside.
    const candidateSerde = topicSerde<DedupMessage>(registry, topics.candidates);
    const rawSerde = topicSerde<RawDocument>(registry, topics.raw);
    const bySource = new Map<string, string[]>();
    for (const r of await readCommitted(kafka, topics.candidates)) {
      const candidate = await candidateSerde.deserialize(r.value as Buffer);
      const first = await rawSerde.deserialize(candidate.records[0] as Buffer);
      const location = first.source.replace(/^[a-z]+:/, '');
      const id = first.source.startsWith('warc:') ? first.url : candidate.doc_id;
      bySource.set(location, [...(bySource.get(location) ?? []), id as string]);
    }
    for (const [location, ids] of expected) {
      expect([...(bySource.get(location) ?? [])].sort(), location).toEqual([...ids].sort());
    }
    for (const location of unreadable) {
      const ids = bySource.get(location) ?? [];
      expect(new Set(ids).size, location).toBe(ids.length);
    }

    // The killed worker had committed part of the long input; another finished it from there.
    const history = (await readProgressHistory(kafka, endpoints.registry.url, topics)).filter(
      (p: CrawlProgress) => p.location === longUrl,
    );
    const byVictim = history.filter((p) => p.worker === reading.worker);
    const done = history[history.length - 1] as CrawlProgress;
    expect(Math.max(...byVictim.map((p) => p.records_read))).toBeGreaterThan(0);
    expect(done.state).toBe('DONE');
    expect(done.worker).not.toBe(reading.worker);
    expect(done.records_read).toBe(LONG_DOCS);

    // Each unreadable input's reason is in the DLQ.
    const dlqSerde = topicSerde<DeadLetter>(registry, topics.dlq);
    const letters = await Promise.all(
      (await readCommitted(kafka, topics.dlq)).map((r) => dlqSerde.deserialize(r.value as Buffer)),
    );
    for (const location of unreadable.filter((l) => !l.includes('truncated'))) {
      expect(
        letters.some((d) => d.context.source === `input:${location}` && d.context.reason === 'read_error'),
        location,
      ).toBe(true);
    }
    expect(letters.some((d) => d.context.source?.includes('truncated.jsonl.gz'))).toBe(true);
  }, 400_000);
});
