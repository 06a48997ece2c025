import { SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { nonNegativeInt, withConfigFile } from '../lib/cli-options.ts';
import { createLogger } from '../lib/log.ts';
import { EXPORT_DEFAULTS, type ExportProgress, exportRun } from '../services/export/export.ts';
import { EXPORT_FORMATS, type ExportFormat } from '../services/export/shards.ts';
import {
  abortOnStopSignal,
  addConnectionOptions,
  type ConnectionFlags,
  resolveConnections,
} from './common.ts';

interface ExportFlags extends ConnectionFlags {
  run: string;
  out: string;
  format: ExportFormat;
  shardSize: number;
  name: string;
  follow?: boolean;
}

export function exportCommand(): Command {
  const command = new Command('export')
    .description(
      'write the committed augmented records of a run as JSONL or Parquet shards, with a manifest (counts, tokens, sha256 per shard)',
    )
    .addOption(new Option('--run <id>', 'the run to export').env('IPT_RUN_ID').makeOptionMandatory())
    .addOption(new Option('--out <dir>', 'output directory').makeOptionMandatory())
    .addOption(
      new Option('--format <format>', 'shard format').choices(EXPORT_FORMATS).default(EXPORT_DEFAULTS.format),
    )
    .addOption(
      new Option('--shard-size <rows>', 'rendered texts per shard (0: one unsharded file)')
        .argParser(nonNegativeInt)
        .default(EXPORT_DEFAULTS.shardSize),
    )
    .addOption(
      new Option(
        '--name <stem>',
        'shard file name stem: <stem>-00000.<format>, or <stem>.<format> unsharded',
      ).default(EXPORT_DEFAULTS.name),
    )
    .addOption(new Option('--follow', 'keep exporting new records (arrival order) until interrupted'));
  addConnectionOptions(command);
  withConfigFile(command);
  command.action(async (flags: ExportFlags) => {
    const { brokers, registryUrl, topics } = resolveConnections(flags);
    const progress = progressReporter(Boolean(flags.follow));
    const stop = flags.follow ? abortOnStopSignal() : new AbortController();
    const manifest = await exportRun({
      brokers,
      registryUrl,
      topics,
      run: flags.run,
      outDir: flags.out,
      format: flags.format,
      shardSize: flags.shardSize,
      name: flags.name,
      follow: Boolean(flags.follow),
      signal: stop.signal,
      onProgress: progress.update,
      log: createLogger('export', process.env.IPT_LOG_LEVEL ?? 'warn'),
    }).finally(progress.stop);
    console.log(
      `exported run ${manifest.run_id}: ${manifest.records} records, ${manifest.rows} texts, ` +
        `${manifest.tokens.rendered} tokens in ${manifest.shards.length} shard(s) → ${flags.out}` +
        (manifest.skipped.duplicates ? ` (${manifest.skipped.duplicates} duplicates skipped)` : ''),
    );
  });
  return command;
}

/** A progress bar on a terminal; otherwise a line every few seconds on stderr. */
function progressReporter(following: boolean): { update: (p: ExportProgress) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      stream: process.stderr,
      format: following
        ? 'export | {records} records, {rows} texts, {shards} shards (following; Ctrl-C ends)'
        : 'export [{bar}] {percentage}% | {value}/{total} offsets | {records} records, {rows} texts | ETA {eta_formatted}',
      hideCursor: true,
    });
    let started = false;
    return {
      update: (p) => {
        const payload = { records: p.records, rows: p.rows, shards: p.shards };
        if (!started) {
          bar.start(Math.max(p.offsetsTotal, 1), p.offsetsRead, payload);
          started = true;
        } else bar.update(p.offsetsRead, payload);
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    update: (p) => {
      if (Date.now() - last < 2_000) return;
      last = Date.now();
      const of = p.offsetsTotal > 0 ? `${p.offsetsRead}/${p.offsetsTotal} offsets, ` : '';
      console.error(`export: ${of}${p.records} records, ${p.rows} texts, ${p.shards} shards`);
    },
    stop: () => {},
  };
}
