// ipt replay on the real stack: the same range replayed twice (concurrently, beside a live synth run
// on the same raw topic) gives the same chains and the same prompts, laid out from the first record
// of the range; nothing outside the range is taken; `ipt runs list|show|diff` report it; bad
// options fail with one clear line.

import { Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { replayCommand } from '../../cli/replay.ts';
import { listText, showText } from '../../cli/runs.ts';
import { slotOf } from '../../core/layout.ts';
import type { AugmentedRecord, SynthRound } from '../../core/types.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { createLogger } from '../../lib/log.ts';
import type { Topics } from '../../lib/topics.ts';
import { parsePosition } from '../../services/replay/range.ts';
import { runReassemble } from '../../services/replay/reassemble.ts';
import { type ReplayReport, runReplay } from '../../services/replay/replay.ts';
import { loadRuns } from '../../services/run-stats/runs.ts';
import type { RunDiff } from '../../services/run-stats/stats.ts';
import { startSynth } from '../../services/synth/service.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';
import { produceRawDocuments, rawDocument } from '../helpers/raw-docs.ts';
import { readDecoded } from '../helpers/read-topic.ts';
import { runIpt } from '../helpers/service-process.ts';

const endpoints = loadEndpoints();
const kafka = new Kafka({
  clientId: 'test-replay',
  brokers: endpoints.kafka.brokers,
  logLevel: logLevel.ERROR,
});
const K = 3;
const M = 2;
// 20 documents per partition (doc i → partition i % 2, so offset = ⌊i / 2⌋).
const DOCS = 40;
const RANGE = { from: '0:3,1:5', to: '0:17,1:20' };
const IN_RANGE: Record<number, [number, number]> = { 0: [3, 17], 1: [5, 20] };

let topics: Topics;
let namespace: string;

const replayArgs = (runId: string) => [
  'replay',
  '--run-id',
  runId,
  '--from',
  RANGE.from,
  '--to',
  RANGE.to,
  '--k',
  String(K),
  '--m',
  String(M),
  '--topic-namespace',
  namespace,
  '--progress',
  'lines',
  '--timeout-s',
  '45',
  '--json',
];

beforeAll(async () => {
  topics = await freshTopics('replay');
  namespace = topics.raw.slice(0, -'.ipt.docs.raw'.length);
  const docs = Array.from({ length: DOCS }, (_, i) => rawDocument(i));
  await produceRawDocuments(kafka, endpoints.registry.url, topics.raw, docs, (_d, i) => i % 2);
}, 30_000);

describe('ipt replay', () => {
  let reports: ReplayReport[];
  let rounds: SynthRound[];

  it('replays a range twice, beside a live run, with identical chains and prompts', async () => {
    // The live run consumes the same raw topic meanwhile, with its own groups and transactional ids.
    const live = await startSynth({
      brokers: endpoints.kafka.brokers,
      registryUrl: endpoints.registry.url,
      tritonUrls: endpoints.triton.urls,
      topics,
      runId: 'live',
      chainsPerBlock: 4,
      idleMs: 500,
      log: createLogger('synth', 'error'),
    });
    let results: Awaited<ReturnType<typeof runIpt>>[];
    try {
      results = await Promise.all(['ra', 'rb'].map((id) => runIpt(replayArgs(id), { timeoutMs: 55_000 })));
    } finally {
      await live.stop();
    }
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    // Progress lines (no TTY): "replay: 29/29 documents (100.0%) … ETA …".
    expect(results[0]?.stderr).toMatch(/replay: \d+\/29 documents .*ETA/);
    reports = results.map((r) => JSON.parse(r.stdout) as ReplayReport);
    for (const report of reports) {
      expect(report).toMatchObject({ documents: 29, augmented: 29, deadLettered: 0, complete: true });
      expect(report.range).toEqual([
        { partition: 0, start: '3', end: '17' },
        { partition: 1, start: '5', end: '20' },
      ]);
      expect(report.run).toMatchObject({ rounds_per_chain: M, chains_per_block: K });
    }

    rounds = await readDecoded<SynthRound>(kafka, endpoints.registry.url, topics.rounds);
    const view = (runId: string) =>
      rounds
        .filter((r) => r.run.run_id === runId)
        .map((r) => ({
          place: r.chain_id.slice(runId.length + 1),
          kind: r.kind,
          round: r.round_index,
          doc: r.doc_id,
          offset: r.source_offset,
          prompt: r.prompt,
          output: r.raw_output,
          close: r.close?.reason ?? null,
        }))
        .sort((x, y) => (`${x.place}#${x.kind}#${x.round}` < `${y.place}#${y.kind}#${y.round}` ? -1 : 1));
    const a = view('ra');
    const b = view('rb');
    expect(a.filter((r) => r.kind === 'ROUND')).toHaveLength(29);
    expect(b).toEqual(a);
    expect(a.every((r) => r.kind === 'CLOSE' || (r.prompt ?? '').length > 0)).toBe(true);

    // The layout counts from the first record of the range: seq = offset − start, per partition.
    for (const r of a.filter((x) => x.kind === 'ROUND')) {
      const partition = Number(r.place.split('/').at(-3));
      const [start, end] = IN_RANGE[partition] as [number, number];
      expect(r.offset).toBeGreaterThanOrEqual(start);
      expect(r.offset).toBeLessThan(end);
      const slot = slotOf(r.offset - start, { chainsPerBlock: K, roundsPerChain: M });
      expect(r.place).toBe(`${topics.raw}/${partition}/${slot.block}/${slot.chainIndex}`);
      expect(r.round).toBe(slot.roundIndex);
    }
    // The partial last blocks (14 = 2·6 + 2 and 15 = 2·6 + 3 records) close as END_OF_INPUT at once.
    const closes = a.filter((r) => r.kind === 'CLOSE');
    expect(closes.length).toBeGreaterThan(0);
    expect(closes.every((c) => c.close === 'END_OF_INPUT')).toBe(true);

    const records = await readDecoded<AugmentedRecord>(kafka, endpoints.registry.url, topics.augmented);
    for (const id of ['ra', 'rb']) {
      const mine = records.filter((r) => r.run.run_id === id);
      expect(mine.flatMap((r) => r.doc_ids).sort()).toHaveLength(29);
      expect(new Set(mine.map((r) => r.id)).size).toBe(mine.length);
    }
  }, 60_000);

  it('runs list, show and diff report the replays', async () => {
    const ns = ['--topic-namespace', namespace];
    // diff through the CLI (as an operator runs it); list and show in-process (each CLI start costs
    // seconds of CPU on this machine), through the same functions the CLI prints with.
    const diffRun = runIpt(['runs', 'diff', 'ra', 'rb', '--json', ...ns]);
    const { index } = await loadRuns({
      brokers: endpoints.kafka.brokers,
      registryUrl: endpoints.registry.url,
      topics,
      log: createLogger('runs', 'error'),
    });
    const summaries = index.list();
    const ra = summaries.find((s) => s.run_id === 'ra');
    expect(ra).toMatchObject({
      rounds: 29,
      documents: 29,
      chains: reports[0]?.chains,
      rounds_per_chain: M,
      chains_per_block: K,
      derived_from: null,
      dead_letters: 0,
    });
    expect(ra?.pairs).toBe(reports[0]?.pairs);
    expect(summaries.map((s) => s.run_id)).toEqual(expect.arrayContaining(['live', 'ra', 'rb']));
    expect(listText(summaries)).toMatch(/^RUN\s+MODEL\s+M\s+K\s+ROUNDS/);
    expect(listText(summaries)).toMatch(/\nra\s+instruction_synthesizer_cpu@1\s+2\s+3\s+29\s/);

    const show = showText(index.show('ra'));
    expect(show).toContain('run "ra"');
    expect(show).toMatch(/documents\s+29, pairs/);
    expect(show).toContain('END_OF_INPUT');
    expect(show).toMatch(/source offsets\s+p0 3…16, p1 5…19/);

    const diff = await diffRun;
    expect(diff.code, diff.stderr).toBe(0);
    const d = JSON.parse(diff.stdout) as RunDiff;
    expect(d.documents).toEqual({ a: 29, b: 29, both: 29, only_a: 0, only_b: 0 });
    for (const share of [d.same_place, d.identical_prompts, d.identical_outputs, d.identical_pairs]) {
      expect(share).toEqual({ compared: 29, identical: 29, share: 1 });
    }
    expect(d.pairs_per_document.a).toBe(d.pairs_per_document.b);
    expect(d.pairs_per_document.a).toBeCloseTo((reports[0]?.pairs ?? 0) / 29, 10);
  }, 30_000);

  it('refuses bad options with one clear line', async () => {
    const ns = ['--topic-namespace', namespace];
    // Two through the CLI: the one-line "error: …" and exit 1 are the CLI's.
    const cases: [string[], RegExp][] = [
      [['replay', '--run-id', 'ra', '--from', 'earliest', ...ns], /^error: run "ra" exists already/],
      [['runs', 'show', 'nope', ...ns], /^error: no run "nope"/],
    ];
    const cli = Promise.all(cases.map(([args]) => runIpt(args, { timeoutMs: 50_000 })));
    // Option parsing in-process, through the same commander definitions.
    const parse = async (args: string[]) => {
      const command = replayCommand()
        .exitOverride()
        .configureOutput({ writeErr: () => {}, writeOut: () => {} })
        .action(() => {});
      return command.parseAsync(args, { from: 'user' }).then(
        () => 'parsed',
        (error: Error) => error.message,
      );
    };
    expect(await parse(['--run-id', 'x4', '--from', 'yesterday'])).toMatch(
      /^error: option '--from <position>' argument 'yesterday' is invalid\. not understood \(expected earliest/,
    );
    expect(await parse(['--run-id', 'x5', '--from', 'earliest', '--idle-ms', '5'])).toBe(
      "error: unknown option '--idle-ms'",
    );
    expect(await parse(['--from', 'earliest'])).toMatch(/required option '--run-id <id>' not specified/);
    expect(await parse(['--run-id', 'x', '--from', '0:1', '--to', '0:x'])).toMatch(
      /"0:x" is not partition:offset/,
    );
    expect(await parse(['--run-id', 'x', '--from', '0:1', '--k', '0'])).toMatch(
      /--k <chains>.*must be a positive integer/,
    );
    // The rest in-process: the same functions, the same messages.
    const base = {
      brokers: endpoints.kafka.brokers,
      registryUrl: endpoints.registry.url,
      tritonUrls: endpoints.triton.urls,
      topics,
      log: createLogger('replay', 'error'),
    };
    const replay = (runId: string, from: string, to = 'latest') =>
      runReplay({ ...base, runId, from: parsePosition(from, '--from'), to: parsePosition(to, '--to') });
    const reassemble = (fromRun: string, runId: string, templateVersion?: string) =>
      runReassemble({ ...base, fromRun, runId, ...(templateVersion ? { templateVersion } : {}) });
    // Independent of each other (none gets as far as creating a group): all at once.
    await Promise.all([
      expect(replay('x1', '7:0')).rejects.toThrow('--from: the raw topic has no partition 7 (it has 0, 1)'),
      expect(replay('x2', '0:9', '0:4')).rejects.toThrow('--to is before --from on partition 0 (4 < 9)'),
      expect(replay('x3', '0:500')).rejects.toThrow('--from 0:500 is past the end of partition 0 (20)'),
      expect(replay('bad id!', 'earliest')).rejects.toThrow(/^--run-id must be/),
      expect(replay('x8', '0:20', '0:20')).rejects.toThrow(
        /^nothing to replay: .* holds no committed records/,
      ),
      // Times resolve through the broker's offsets-for-time: none of the records is that old, or that new.
      expect(replay('x9', '2020-01-01', '2020-01-02')).rejects.toThrow('nothing to replay'),
      expect(replay('x10', '2099-01-01T00:00:00Z')).rejects.toThrow('nothing to replay'),
      expect(reassemble('nope', 'x6')).rejects.toThrow(`run "nope" has no rounds on ${topics.rounds}`),
      expect(reassemble('ra', 'x7', 'v9')).rejects.toThrow('--template-version "v9" is not available'),
      expect(reassemble('ra', 'ra')).rejects.toThrow('--run-id must differ from --from-run'),
    ]);

    for (const [i, r] of (await cli).entries()) {
      const [args, pattern] = cases[i] as [string[], RegExp];
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(1);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
      expect(errors, args.join(' ')).toHaveLength(1);
      expect(errors[0], args.join(' ')).toMatch(pattern);
    }
  }, 60_000);
});
