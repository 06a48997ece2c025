// `npx ipt ingest` as an operator runs it: files through the dedup stage (and re-runs), stdin
// straight to raw, a config file, missing topics.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS, type Topics } from '../../lib/topics.ts';
import { decideCandidates } from '../helpers/dedup-stage.ts';
import { jsonl, producedOn, prose, writeJsonlGz } from '../helpers/ingest-fixtures.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';
import { type IptResult, runIpt } from '../helpers/service-process.ts';

const ipt = (args: string[], stdin?: Buffer) => runIpt(args, stdin ? { stdin } : {});

const summary = (r: IptResult) => JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
const dir = mkdtempSync(join(tmpdir(), 'ipt-ingest-cli-'));
let topics: Topics;
let namespace: string;

beforeAll(async () => {
  topics = await freshTopics('ingest');
  namespace = topics.raw.slice(0, -TOPICS.raw.length - 1);
  writeJsonlGz(join(dir, 'a.jsonl.gz'), [{ text: prose(1) }, { text: prose(2) }, { text: '' }]);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ipt ingest', () => {
  it('sends files to the dedup stage, says when none runs, and a re-run adds nothing to raw', async () => {
    const args = ['ingest', dir, '--topic-namespace', namespace, '--json', '--progress', 'none'];
    const first = await ipt(args);
    expect(first.code, first.stderr).toBe(0);
    expect(summary(first)).toMatchObject({
      accepted: 2,
      produced: 2,
      rejected: 1,
      files: 1,
      topic: topics.candidates,
    });
    expect(first.stderr).toContain(
      `no dedup stage is running for these topics: documents wait on ${topics.candidates}`,
    );
    expect((await producedOn(topics)).raw).toEqual([]);
    expect(await decideCandidates(topics, 2)).toMatchObject({ kept: 2, duplicate: 0 });

    const again = await ipt(args);
    expect(again.code, again.stderr).toBe(0);
    expect(summary(again)).toMatchObject({ accepted: 2, topic: topics.candidates });
    // The stage, restarted, still knows what it kept: both are duplicates, raw keeps one of each.
    expect(await decideCandidates(topics, 2)).toMatchObject({ kept: 0, duplicate: 2 });
    const { raw, dlq } = await producedOn(topics);
    expect(raw.map((r) => r.text).sort()).toEqual([prose(1), prose(2)].sort());
    expect(dlq.filter((d) => d.context.reason === 'duplicate')).toHaveLength(2);

    // Human summary without --json.
    const human = await ipt(['ingest', dir, '--topic-namespace', namespace, '--progress', 'none']);
    expect(human.stdout).toMatch(/ingested 2 documents as 2 records .* from 1 input\n/);
  }, 180_000);

  it('reads stdin with "-" and takes settings from a config file', async () => {
    const config = join(dir, 'ingest.json');
    writeFileSync(config, JSON.stringify({ topicNamespace: namespace, textField: 'body', dedup: false }));
    const input = jsonl([{ body: prose(3) }, { text: prose(4) }]);
    const r = await ipt(['ingest', '-', '--config', config, '--json', '--progress', 'none'], input);
    expect(r.code, r.stderr).toBe(0);
    // "text" is not the configured field: that line is rejected as missing its text. Without
    // dedup (the config's `dedup: false`, as --no-dedup) the document is on the raw topic at once.
    expect(summary(r)).toMatchObject({ accepted: 1, rejected: 1, rejectedByReason: { missing_field: 1 } });
    const { raw } = await producedOn(topics);
    expect(raw.find((d) => d.text === prose(3))?.source).toBe('stdin');
  }, 60_000);

  it('validates its settings before connecting', async () => {
    const r = await ipt(['ingest', '--topic-namespace', 'bad namespace!', dir]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/topic namespace must match/);
    const none = await ipt(['ingest']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/nothing to ingest/);
    const missing = await ipt(['ingest', join(dir, 'no-such-file.jsonl'), '--topic-namespace', namespace]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no such file or directory/);
  }, 60_000);

  it('refuses to start with a clear message when its topics are missing', async () => {
    const r = await ipt(['ingest', dir, '--topic-namespace', `${namespace}-absent`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `missing Kafka topics: ${namespace}-absent.ipt.dedup.candidates, ${namespace}-absent.ipt.dlq`,
    );
  }, 60_000);
});
