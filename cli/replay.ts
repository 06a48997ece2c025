import { Command, type Option as CommanderOption, InvalidArgumentError, Option } from 'commander';
import { TEMPLATE_VERSION } from '../core/templates/version.ts';
import { nonNegativeInt, withConfigFile } from '../lib/cli-options.ts';
import { PROGRESS_MODES, type ProgressMode, startProgress } from '../services/replay/progress.ts';
import { type PositionSpec, parsePosition } from '../services/replay/range.ts';
import { type ReassembleReport, runReassemble } from '../services/replay/reassemble.ts';
import { type ReplayReport, runReplay } from '../services/replay/replay.ts';
import {
  abortOnStopSignal,
  addConnectionOptions,
  addVerboseOption,
  type ConnectionFlags,
  logCommandToFile,
  resolveConnections,
  templateVersionOption,
  tokenizerOption,
  tritonGrpc,
  tritonUrls,
  type VerboseFlags,
} from './common.ts';
import { addRunOptions, addSynthOptions, type SynthFlags, synthSettings } from './synth.ts';

interface ReplayFlags extends SynthFlags, VerboseFlags {
  from: PositionSpec;
  to: PositionSpec;
  progress: ProgressMode;
  timeoutS: number;
  json?: boolean;
}

const REPLAY_EPILOG = `
Positions (--from / --to):
  earliest | latest           the log start / the end now (--to defaults to latest)
  2026-01-31T12:00:00Z        the first record at or after a time (no zone: UTC)
  0:1200,1:950                explicit offsets; --from replays only the partitions it names,
                              --to bounds the ones it names (others run to the end now)

The replay is a new run: its own consumer groups (ipt-synth.<run-id>, ipt-assemble.<run-id>) and
transactional ids, so it runs beside the live run, exactly once. It takes no record past --to,
numbers records from the first one of the range and closes each partition's last partial block
when the partition is done (END_OF_INPUT, never by idle time): the same range with the same
parameters gives the same chains and the same prompts. It waits until every document of the range
is in an augmented record or a dead letter of the new run, then prints a summary (exit 0; 1 if
--timeout-s passed first; 130 on Ctrl-C, after committing what the services hold).`;

const position = (flag: '--from' | '--to') => (value: string) => {
  try {
    return parsePosition(value, flag);
  } catch (error) {
    // commander prefixes "option '--from <position>' argument '…' is invalid."; keep ours short.
    throw new InvalidArgumentError((error as Error).message.replace(/^--(from|to) "[^"]*": /, ''));
  }
};

function addProgressOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--progress <mode>', 'bar on a terminal, a line every 5 s otherwise')
        .choices(PROGRESS_MODES)
        .default('auto'),
    )
    .addOption(
      new Option('--timeout-s <s>', 'give up (exit 1) if not done by then; 0: no limit')
        .argParser(nonNegativeInt)
        .default(0),
    )
    .addOption(new Option('--json', 'print the summary as JSON'));
}

export function replayCommand(): Command {
  const command = new Command('replay')
    .description('re-synthesize a range of raw documents as a new run, beside the live run')
    .addOption(new Option('--run-id <id>', 'the new run (must not exist yet)').makeOptionMandatory())
    .addOption(
      new Option('--from <position>', 'earliest | ISO time | partition:offset,…')
        .argParser(position('--from'))
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--to <position>', 'latest | ISO time | partition:offset,… (exclusive)')
        .argParser(position('--to'))
        .default({ kind: 'latest' }, 'latest'),
    );
  addSynthOptions(addRunOptions(command));
  // A replay never closes a block by idle time (that would make its chains depend on timing).
  const options = command.options as CommanderOption[];
  options.splice(
    options.findIndex((o) => o.long === '--idle-ms'),
    1,
  );
  addConnectionOptions(command, { triton: true });
  addProgressOptions(command);
  addVerboseOption(command);
  withConfigFile(command);
  command.addHelpText('after', REPLAY_EPILOG);
  command.action(async (flags: ReplayFlags) => {
    logCommandToFile('replay', flags);
    const connections = resolveConnections(flags);
    const controller = abortOnStopSignal('stopping (the services commit what they hold)…');
    const progress = startProgress('replay', 'documents', { mode: flags.progress });
    const say = (line: string) => {
      if (flags.progress !== 'none') console.error(`replay: ${line}`);
    };
    const { idleMs: _ignored, ...settings } = synthSettings({ ...flags, idleMs: 0 });
    const report = await runReplay({
      ...connections,
      tritonUrls: tritonUrls(flags),
      tritonGrpc: tritonGrpc(flags),
      runId: flags.runId,
      from: flags.from,
      to: flags.to,
      synth: settings,
      timeoutMs: flags.timeoutS * 1000,
      signal: controller.signal,
      onProgress: progress.update,
      say,
    }).finally(progress.stop);
    console.log(flags.json ? JSON.stringify(report, null, 2) : replaySummary(report));
    finish(report);
  });
  return command;
}

function finish(report: { complete: boolean; stoppedBy: 'done' | 'signal' | 'timeout' }): never {
  if (report.stoppedBy === 'signal') process.exit(130);
  if (!report.complete) {
    console.error('error: timed out before everything was accounted for (see the summary)');
    process.exit(1);
  }
  // Everything is committed and stopped; don't wait for kafkajs sockets and timers to wind down.
  process.exit(0);
}

const n = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const counts = (m: Record<string, number | undefined>) =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

export function replaySummary(r: ReplayReport): string {
  return [
    `ipt replay — run "${r.runId}" (${r.run.model} v${r.run.model_version}, M ${r.run.rounds_per_chain}, K ${r.run.chains_per_block}, max_new_tokens ${r.run.max_new_tokens})`,
    `  range        ${r.rawTopic}: ${r.range.map((x) => `p${x.partition} ${x.start}…${x.end}`).join(', ')}`,
    `  documents    ${n(r.documents)} (${n(r.augmented)} augmented, ${n(r.deadLettered)} dead-lettered${r.missing ? `, ${n(r.missing)} NOT accounted for` : ''})`,
    `  chains       ${n(r.chains)} (${n(r.fullChains)} with all rounds; closed early: ${counts(r.closedEarly)})`,
    `  rounds       ${n(r.rounds)}, pairs ${n(r.pairs)} (${n(r.pairsPerDocument, 2)} per document), texts ${n(r.texts)}`,
    `  dead letters ${counts(r.deadLetters)}`,
    `  time         ${n(r.seconds, 1)} s (${n(r.documentsPerSecond, 1)} documents/s)${r.stoppedBy === 'done' ? '' : `, stopped by ${r.stoppedBy}`}`,
  ].join('\n');
}

interface ReassembleFlags extends ConnectionFlags, VerboseFlags {
  fromRun: string;
  runId: string;
  templateVersion?: string;
  tokenizer: string;
  progress: ProgressMode;
  timeoutS: number;
  json?: boolean;
}

export function reassembleCommand(): Command {
  const command = new Command('reassemble')
    .description("re-template an existing run's rounds as a new run (no inference)")
    .addOption(new Option('--from-run <id>', 'the run whose rounds to re-template').makeOptionMandatory())
    .addOption(new Option('--run-id <id>', 'the new run (must not exist yet)').makeOptionMandatory())
    .addOption(templateVersionOption(`template set (default: ${TEMPLATE_VERSION})`))
    .addOption(
      tokenizerOption("the source run's tokenizer (as given to its synth), for the records' counts"),
    );
  addConnectionOptions(command);
  addProgressOptions(command);
  addVerboseOption(command);
  withConfigFile(command);
  command.addHelpText(
    'after',
    `
Reads the source run's rounds from the rounds topic and renders every complete chain again with
the chosen template set, as AugmentedRecords of the new run (record id <run-id>/<chain id>; the
template seed derives from it, so the new run draws its own patterns). Its own consumer group
(ipt-assemble.<run-id>) and transactional ids; no Triton request is made. Waits until every
complete chain of the source run is in a record or a dead letter of the new run, then prints a
summary. Chains the source run has not finished yet are left out (counted as open).`,
  );
  command.action(async (flags: ReassembleFlags) => {
    logCommandToFile('reassemble', flags);
    const { brokers, registryUrl, topics } = resolveConnections(flags);
    const controller = abortOnStopSignal('stopping (the services commit what they hold)…');
    const progress = startProgress('reassemble', 'chains', { mode: flags.progress });
    const report = await runReassemble({
      brokers,
      registryUrl,
      topics,
      fromRun: flags.fromRun,
      runId: flags.runId,
      ...(flags.templateVersion !== undefined ? { templateVersion: flags.templateVersion } : {}),
      tokenizer: flags.tokenizer,
      timeoutMs: flags.timeoutS * 1000,
      signal: controller.signal,
      onProgress: progress.update,
      say: (line) => {
        if (flags.progress !== 'none') console.error(`reassemble: ${line}`);
      },
    }).finally(progress.stop);
    console.log(flags.json ? JSON.stringify(report, null, 2) : reassembleSummary(report));
    finish(report);
  });
  return command;
}

export function reassembleSummary(r: ReassembleReport): string {
  return [
    `ipt reassemble — run "${r.runId}" from run "${r.fromRun}" with templates ${r.templateVersion}`,
    `  chains       ${n(r.emitted)} of ${n(r.chains)} re-assembled${r.openChains ? ` (${n(r.openChains)} still open in the source run, left out)` : ''}, ${n(r.deadLettered)} dead letters`,
    `  documents    ${n(r.documents)}, pairs ${n(r.pairs)}, texts ${n(r.texts)}`,
    `  framings     ${counts(r.framings)}`,
    `  time         ${n(r.seconds, 1)} s, no inference${r.stoppedBy === 'done' ? '' : `, stopped by ${r.stoppedBy}`}`,
  ].join('\n');
}
