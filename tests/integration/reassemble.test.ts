// ipt reassemble makes no inference request: a private Triton server (nothing else points at it)
// serves a source run, and its observed batches are counted before and after the re-assembly —
// whose process is even handed that server as IPT_TRITON_URLS. The new run's records have their
// own ids and run metadata, the same rounds as the source's, and `runs diff` sees identical
// prompts and outputs with different templating. The older template set renders the same run on
// request, exactly as core renders it.

import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderChain } from '../../core/templates/render.ts';
import { TEMPLATE_VERSION } from '../../core/templates/version.ts';
import type { AugmentedRecord, DeadLetter } from '../../core/types.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import type { Topics } from '../../lib/topics.ts';
import type { ReassembleReport } from '../../services/replay/reassemble.ts';
import type { ReplayReport } from '../../services/replay/replay.ts';
import type { RunDiff, RunSummary } from '../../services/run-stats/stats.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';
import { produceRawDocuments, rawDocument } from '../helpers/raw-docs.ts';
import { readDecoded } from '../helpers/read-topic.ts';
import { runIpt } from '../helpers/service-process.ts';
import { type SpawnedTriton, spawnTriton } from '../helpers/triton-server.ts';

const endpoints = loadEndpoints();
const kafka = new Kafka({
  clientId: 'test-reassemble',
  brokers: endpoints.kafka.brokers,
  logLevel: logLevel.ERROR,
});
const DOCS = 16;

let topics: Topics;
let namespace: string;
let triton: SpawnedTriton;
/** Just before the documents were produced: `--from <time>` must find them all. */
let producedFrom: string;

beforeAll(async () => {
  [topics, triton] = await Promise.all([freshTopics('reassemble'), spawnTriton()]);
  namespace = topics.raw.slice(0, -'.ipt.docs.raw'.length);
  producedFrom = new Date(Date.now() - 1_000).toISOString();
  const docs = Array.from({ length: DOCS }, (_, i) => rawDocument(100 + i));
  await produceRawDocuments(kafka, endpoints.registry.url, topics.raw, docs, (_d, i) => i % 2);
}, 60_000);

afterAll(async () => {
  await triton?.stop();
});

describe('ipt reassemble', () => {
  it('re-templates a run as a new run with zero Triton requests', async () => {
    const ns = ['--topic-namespace', namespace];
    const source = await runIpt(
      [
        'replay',
        '--run-id',
        'src',
        '--from',
        producedFrom,
        '--k',
        '2',
        '--triton',
        triton.url,
        '--json',
        ...ns,
      ],
      { timeoutMs: 45_000 },
    );
    expect(source.code, source.stderr).toBe(0);
    const replayed = JSON.parse(source.stdout) as ReplayReport;
    expect(replayed).toMatchObject({ documents: DOCS, augmented: DOCS, complete: true });
    const before = triton.observed();
    expect(before.reduce((n, b) => n + b.batch_size, 0)).toBe(DOCS); // the source run's rounds, all here

    const re = await runIpt(['reassemble', '--from-run', 'src', '--run-id', 're1', '--json', ...ns], {
      timeoutMs: 45_000,
      // Were reassemble to infer, this is where it would go.
      env: { IPT_TRITON_URLS: triton.url },
    });
    expect(re.code, re.stderr).toBe(0);
    const report = JSON.parse(re.stdout) as ReassembleReport;
    expect(report).toMatchObject({
      fromRun: 'src',
      runId: 're1',
      chains: replayed.chains,
      emitted: replayed.chains,
      openChains: 0,
      deadLettered: 0,
      documents: DOCS,
      pairs: replayed.pairs,
      complete: true,
    });
    expect(triton.observed()).toHaveLength(before.length);

    const records = await readDecoded<AugmentedRecord>(kafka, endpoints.registry.url, topics.augmented);
    const src = new Map(records.filter((r) => r.run.run_id === 'src').map((r) => [r.chain_id, r]));
    const mine = records.filter((r) => r.run.run_id === 're1');
    expect(mine).toHaveLength(replayed.chains);
    let differentTexts = 0;
    for (const r of mine) {
      const original = src.get(r.chain_id) as AugmentedRecord;
      expect(original, r.chain_id).toBeDefined();
      expect(r.id).toBe(`re1/${r.chain_id}`);
      expect(r.run).toEqual({ ...original.run, run_id: 're1' });
      expect(r.rounds).toEqual(original.rounds);
      expect(r.template_seed).not.toBe(original.template_seed);
      if (r.texts.map((t) => t.text).join() !== original.texts.map((t) => t.text).join()) differentTexts++;
    }
    expect(differentTexts).toBeGreaterThan(0);
    const letters = await readDecoded<DeadLetter>(kafka, endpoints.registry.url, topics.dlq);
    expect(letters.filter((l) => l.run_id === 're1')).toEqual([]);

    const [list, diff] = await Promise.all([
      runIpt(['runs', 'list', '--json', ...ns]),
      runIpt(['runs', 'diff', 'src', 're1', '--json', ...ns]),
    ]);
    expect(list.code, list.stderr).toBe(0);
    const summaries = JSON.parse(list.stdout) as RunSummary[];
    expect(summaries.find((s) => s.run_id === 're1')).toMatchObject({
      derived_from: 'src',
      rounds: 0,
      chains: replayed.chains,
      documents: DOCS,
      pairs: replayed.pairs,
    });
    expect(summaries.find((s) => s.run_id === 'src')).toMatchObject({ derived_from: null, rounds: DOCS });
    expect(diff.code, diff.stderr).toBe(0);
    const d = JSON.parse(diff.stdout) as RunDiff;
    expect(d.documents.both).toBe(DOCS);
    for (const share of [d.same_place, d.identical_prompts, d.identical_outputs, d.identical_pairs]) {
      expect(share).toEqual({ compared: DOCS, identical: DOCS, share: 1 });
    }
    expect(d.answer_chars.a).toEqual(d.answer_chars.b);
    expect(triton.observed()).toHaveLength(before.length);
  }, 60_000);

  it('renders a run with the older template set when asked, and refuses one that does not exist', async () => {
    const ns = ['--topic-namespace', namespace];
    const [old, bad] = await Promise.all([
      runIpt(
        [
          'reassemble',
          '--from-run',
          'src',
          '--run-id',
          're-v1',
          '--template-version',
          'ipt-templates-1',
          '--json',
          ...ns,
        ],
        { timeoutMs: 45_000 },
      ),
      runIpt(['reassemble', '--from-run', 'src', '--run-id', 're-v9', '--template-version', 'v9', ...ns]),
    ]);
    expect(old.code, old.stderr).toBe(0);
    expect(JSON.parse(old.stdout)).toMatchObject({
      templateVersion: 'ipt-templates-1',
      deadLettered: 0,
      complete: true,
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toEqual([
      "error: option '--template-version <v>' argument 'v9' is invalid. Allowed choices are ipt-templates-1, ipt-templates-2, ipt-templates-3.",
    ]);

    const records = await readDecoded<AugmentedRecord>(kafka, endpoints.registry.url, topics.augmented);
    const src = records.filter((r) => r.run.run_id === 'src');
    const mine = records.filter((r) => r.run.run_id === 're-v1');
    expect(src.length).toBeGreaterThan(0);
    expect(mine).toHaveLength(src.length);
    // Each record's texts are exactly what core renders from its rounds, seed and version.
    for (const r of [...src, ...mine]) {
      expect(r.template_version).toBe(r.run.run_id === 'src' ? TEMPLATE_VERSION : 'ipt-templates-1');
      expect(r.texts.map(({ text, round_indexes, framing }) => ({ text, round_indexes, framing }))).toEqual(
        renderChain(r.rounds, r.template_seed, r.template_version),
      );
    }
    expect(records.some((r) => r.run.run_id === 're-v9')).toBe(false);
  }, 60_000);
});
