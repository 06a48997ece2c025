// `ipt crawl follow` on the shared stack: a file written in pieces is published only once it is
// complete, a file renamed into place from an in-progress name is published once, and a restarted
// follower publishes nothing it published before.

import { appendFileSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrawlInput } from '../../core/types.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { createLogger } from '../../lib/log.ts';
import { registryClient, topicSerde } from '../../lib/registry.ts';
import type { Topics } from '../../lib/topics.ts';
import { followDirectory } from '../../services/crawl/follow.ts';
import { connectPublisher, publishedInputs } from '../../services/crawl/publish.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';

const endpoints = loadEndpoints();
const kafka = kafkaClient('crawl-follow-test', endpoints.kafka.brokers);
const dir = mkdtempSync(join(tmpdir(), 'ipt-crawl-follow-'));
const log = createLogger('crawl-follow-test', 'warn');
let topics: Topics;

beforeAll(async () => {
  topics = await freshTopics('crawl-follow', 2);
}, 120_000);

const running: { stop(): Promise<void> }[] = [];

afterAll(async () => {
  for (const f of running) await f.stop();
  rmSync(dir, { recursive: true, force: true });
});

const onTopic = async (): Promise<CrawlInput[]> =>
  publishedInputs(
    kafka,
    topics.crawlInputs,
    topicSerde<CrawlInput>(registryClient(endpoints.registry.url), topics.crawlInputs),
  );

/** A follower with hooks to wait on: scans done, inputs published. */
async function follower() {
  const publisher = await connectPublisher(kafka, endpoints.registry.url, topics);
  const published = new Set((await onTopic()).map((i) => i.input_id));
  const stop = new AbortController();
  const seen: CrawlInput[] = [];
  let scans = 0;
  const waiters: (() => void)[] = [];
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  const following = followDirectory({
    dir,
    stableChecks: 3,
    intervalMs: 50,
    publisher,
    published,
    signal: stop.signal,
    log,
    onScan: () => {
      scans++;
      wake();
    },
    onPublished: (input) => {
      seen.push(input);
      wake();
    },
  });
  const until = async (done: () => boolean) => {
    while (!done()) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  let stopped: Promise<void> | undefined;
  const handle = {
    seen,
    /** Resolves after `n` more complete scans. */
    scans: (n: number) => {
      const target = scans + n;
      return until(() => scans >= target);
    },
    published: (location: string) => until(() => seen.some((i) => i.location === location)),
    stop() {
      stopped ??= (async () => {
        stop.abort();
        await following;
        await publisher.close();
      })();
      return stopped;
    },
  };
  running.push(handle);
  return handle;
}

describe('ipt crawl follow', () => {
  it('publishes a file written in pieces once complete, and nothing twice across a restart', async () => {
    const first = await follower();
    const pieces = join(dir, 'crawl-00.warc');
    writeFileSync(pieces, 'WARC/1.0\r\n');
    await first.scans(2); // seen, then unchanged once: not yet the 3 unchanged scans it takes
    appendFileSync(pieces, 'WARC-Type: warcinfo\r\n');
    await first.scans(2);
    expect(first.seen).toEqual([]);
    appendFileSync(pieces, 'Content-Length: 0\r\n\r\n\r\n\r\n');
    await first.published(pieces);
    expect(first.seen.map((i) => [i.location, i.size])).toEqual([[pieces, statSync(pieces).size]]);

    const renamed = join(dir, 'crawl-01.warc');
    writeFileSync(`${renamed}.open`, 'WARC/1.0\r\n');
    await first.scans(4);
    expect(first.seen.map((i) => i.location)).toEqual([pieces]); // in-progress names are left alone
    renameSync(`${renamed}.open`, renamed);
    await first.published(renamed);
    await first.stop();

    const second = await follower();
    const later = join(dir, 'crawl-02.warc');
    writeFileSync(later, 'WARC/1.0\r\n');
    await second.published(later);
    await second.scans(4);
    await second.stop();
    expect(second.seen.map((i) => i.location)).toEqual([later]);

    const locations = (await onTopic()).map((i) => i.location).sort();
    expect(locations).toEqual([pieces, renamed, later]);
  }, 120_000);
});
