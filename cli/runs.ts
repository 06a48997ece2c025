import { Command, Option } from 'commander';
import { withConfigFile } from '../lib/cli-options.ts';
import { createLogger } from '../lib/log.ts';
import { formatDuration, PROGRESS_MODES, type ProgressMode } from '../services/replay/progress.ts';
import { loadRuns } from '../services/run-stats/runs.ts';
import type { LengthStats, RunDetail, RunDiff, RunSummary, Share } from '../services/run-stats/stats.ts';
import { addConnectionOptions, type ConnectionFlags, resolveConnections } from './common.ts';

interface RunsFlags extends ConnectionFlags {
  json?: boolean;
  progress: ProgressMode;
}

/** The answer is printed: exit rather than wait for kafkajs sockets and timers to wind down. */
const done = (): never => process.exit(0);

function common(command: Command): Command {
  command
    .addOption(new Option('--json', 'machine-readable output'))
    .addOption(
      new Option(
        '--progress <mode>',
        'a line every few seconds while reading the topics (auto: on a terminal)',
      )
        .choices(PROGRESS_MODES)
        .default('auto'),
    );
  addConnectionOptions(command);
  withConfigFile(command);
  return command;
}

async function load(flags: RunsFlags, detailFor: string[] = []) {
  const { brokers, registryUrl, topics } = resolveConnections(flags);
  const show = flags.progress === 'auto' ? Boolean(process.stderr.isTTY) : flags.progress !== 'none';
  const started = Date.now();
  let lastSaid = started; // the first line after 2 s: a quick read says nothing
  return loadRuns({
    brokers,
    registryUrl,
    topics,
    detailFor,
    log: createLogger('runs', process.env.IPT_LOG_LEVEL ?? 'error'),
    onProgress: (read, total) => {
      if (!show || Date.now() - lastSaid < 2_000) return;
      lastSaid = Date.now();
      const seconds = (Date.now() - started) / 1000;
      const eta = read > 0 ? ((total - read) * seconds) / read : null;
      console.error(`runs: read ${read}/${total} records, ETA ${formatDuration(eta)}`);
    },
  });
}

export function runsCommand(): Command {
  const runs = new Command('runs').description(
    'inspect runs: what each produced (rounds, chains, pairs per document, answer lengths) and how two differ',
  );
  runs.addCommand(
    common(
      new Command('list').description('one line per run found on the rounds and augmented topics'),
    ).action(async (flags: RunsFlags) => {
      const { index } = await load(flags);
      const list = index.list();
      console.log(flags.json ? JSON.stringify(list, null, 2) : listText(list));
      done();
    }),
  );
  runs.addCommand(
    common(new Command('show').description('details of one run').argument('<run-id>', 'the run')).action(
      async (runId: string, flags: RunsFlags) => {
        const { index } = await load(flags);
        if (!index.has(runId)) throw new Error(`no run "${runId}" on the topics (see: ipt runs list)`);
        const detail = index.show(runId);
        console.log(flags.json ? JSON.stringify(detail, null, 2) : showText(detail));
        done();
      },
    ),
  );
  runs.addCommand(
    common(
      new Command('diff')
        .description(
          'compare two runs on the documents both have: pairs per document, answer lengths, identical prompts and outputs',
        )
        .argument('<a>', 'one run')
        .argument('<b>', 'the other run'),
    ).action(async (a: string, b: string, flags: RunsFlags) => {
      if (a === b) throw new Error('runs diff needs two different runs');
      const { index } = await load(flags, [a, b]);
      for (const id of [a, b]) {
        if (!index.has(id)) throw new Error(`no run "${id}" on the topics (see: ipt runs list)`);
      }
      const diff = index.diff(a, b);
      console.log(flags.json ? JSON.stringify(diff, null, 2) : diffText(diff));
      done();
    }),
  );
  return runs;
}

const n = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const when = (ms: number) => (ms > 0 ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function listText(list: RunSummary[]): string {
  if (list.length === 0) return 'no runs on the topics';
  return table([
    [
      'RUN',
      'MODEL',
      'M',
      'K',
      'ROUNDS',
      'CHAINS',
      'DOCS',
      'PAIRS/DOC',
      'ANSWER CHARS',
      'DLQ',
      'STARTED',
      'FROM',
    ],
    ...list.map((r) => [
      r.run_id,
      `${r.model}@${r.model_version}`,
      String(r.rounds_per_chain),
      String(r.chains_per_block),
      n(r.rounds),
      n(r.chains),
      n(r.documents),
      n(r.pairs_per_document, 2),
      n(r.answer_chars.mean, 1),
      n(r.dead_letters),
      when(r.started_at),
      r.derived_from ?? '-',
    ]),
  ]);
}

const lengths = (s: LengthStats) =>
  `mean ${n(s.mean, 1)}, median ${n(s.median, 1)}, p90 ${n(s.p90)}, max ${n(s.max)} (${n(s.count)} answers)`;
const kv = (m: Record<string, number>) =>
  Object.entries(m)
    .map(([k, v]) => `${k}: ${n(v)}`)
    .join(', ') || '-';

export function showText(d: RunDetail): string {
  return [
    `run "${d.run_id}"${d.derived_from ? ` (re-assembled from ${d.derived_from})` : ''}`,
    `  model            ${d.model} version ${d.model_version}, ${d.run.sampling_parameters}`,
    `  layout           M ${d.rounds_per_chain}, K ${d.chains_per_block}, max_model_len ${d.run.max_model_len}, templates ${d.template_version}`,
    `  started          ${when(d.started_at)}, last record ${when(d.last_record_at)}`,
    `  rounds           ${n(d.rounds)} (+ ${n(d.closes)} early closes); history rounds used: ${kv(d.history_rounds_used)}`,
    `  chains           ${n(d.chains)} (${n(d.full_chains)} with all rounds); closed early: ${kv(d.close_reasons)}`,
    `  documents        ${n(d.documents)}, pairs ${n(d.pairs)} (${n(d.pairs_per_document, 2)} per document)`,
    `  pairs/document   ${kv(d.pairs_per_document_histogram)}`,
    `  answer chars     ${lengths(d.answer_chars)}`,
    `  texts            ${n(d.texts)}; framings: ${kv(d.framings)}`,
    `  dead letters     ${n(d.dead_letters)}${d.dead_letters ? ` (${kv(d.dead_letter_classes)})` : ''}`,
    `  source offsets   ${
      Object.entries(d.source_offsets)
        .map(([p, o]) => `p${p} ${o.first}…${o.last}`)
        .join(', ') || '-'
    }`,
  ].join('\n');
}

const pct = (s: Share) =>
  s.share === null
    ? 'n/a (nothing to compare)'
    : `${n(100 * s.share, 1)}% (${n(s.identical)} of ${n(s.compared)})`;

export function diffText(d: RunDiff): string {
  return [
    `runs "${d.a}" (a) and "${d.b}" (b)`,
    `  documents          a ${n(d.documents.a)}, b ${n(d.documents.b)}, both ${n(d.documents.both)} (only a ${n(d.documents.only_a)}, only b ${n(d.documents.only_b)})`,
    '  on the documents both have:',
    `  pairs per document a ${n(d.pairs_per_document.a, 2)}, b ${n(d.pairs_per_document.b, 2)}`,
    `  answer chars a     ${lengths(d.answer_chars.a)}`,
    `  answer chars b     ${lengths(d.answer_chars.b)}`,
    `  same chain place   ${pct(d.same_place)}`,
    `  identical prompts  ${pct(d.identical_prompts)}`,
    `  identical outputs  ${pct(d.identical_outputs)}`,
    `  identical pairs    ${pct(d.identical_pairs)}`,
  ].join('\n');
}
