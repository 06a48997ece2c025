import { Command, Option } from 'commander';
import { positiveInt, similarityThreshold, withConfigFile } from '../lib/cli-options.ts';
import { DEFAULT_DEDUP_WINDOW, startDedup } from '../services/dedup/main.ts';
import { DEFAULT_NEAR_DUP_THRESHOLD } from '../services/ingest/minhash.ts';
import {
  addConnectionOptions,
  addOpsOptions,
  addStreamAppOptions,
  type ConnectionFlags,
  type OpsFlags,
  resolveConnections,
  stopOnSignals,
} from './common.ts';

/** The dedup stage's settings, declared once for `ipt dedup` and `ipt run`. */
export interface DedupSettingFlags {
  dedupWindow: number;
  nearDup: boolean;
  nearDupThreshold: number;
}

interface DedupFlags extends ConnectionFlags, OpsFlags, DedupSettingFlags {
  groupId?: string;
  commitIntervalMs: number;
  sessionTimeoutMs: number;
}

export function addDedupOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--dedup-window <n>', 'decided documents the dedup stage remembers per candidates partition')
        .argParser(positiveInt)
        .default(DEFAULT_DEDUP_WINDOW)
        .env('IPT_DEDUP_WINDOW'),
    )
    .addOption(
      new Option(
        '--near-dup-threshold <x>',
        'estimated Jaccard similarity (0–1] from which a text is a near-duplicate',
      )
        .argParser(similarityThreshold)
        .default(DEFAULT_NEAR_DUP_THRESHOLD)
        .env('IPT_DEDUP_NEAR_DUP_THRESHOLD'),
    )
    .addOption(new Option('--no-near-dup', 'exact duplicates only').env('IPT_DEDUP_NO_NEAR_DUP'));
}

/** The DedupOptions the shared flags give. */
export const dedupSettingsOf = (flags: DedupSettingFlags) => ({
  window: flags.dedupWindow,
  nearDup: flags.nearDup,
  nearDupThreshold: flags.nearDupThreshold,
});

export function dedupCommand(): Command {
  const command = new Command('dedup')
    .description(
      'drop exact and near-duplicate documents between ingest and the raw topic (exactly once; scale out by starting more)',
    )
    .addHelpText(
      'after',
      `
Reads ingest's candidates (ipt.dedup.candidates), writes kept documents to ipt.docs.raw and
duplicates to ipt.dlq (reason duplicate or near_duplicate, naming the kept document). State is
partitioned like the candidates topic and restored on restart and rebalance; every instance of one
--group-id shares the work, so any number of ingest processes and dedup instances keep the corpus
free of duplicates within the window.`,
    )
    .addOption(
      new Option('--group-id <id>', 'consumer group (default: ipt-dedup, or ipt-dedup.<namespace>)').env(
        'IPT_DEDUP_GROUP',
      ),
    );
  addStreamAppOptions(command);
  addDedupOptions(command);
  addConnectionOptions(command);
  addOpsOptions(command, 9404);
  withConfigFile(command);
  command.action(async (flags: DedupFlags) => {
    const { brokers, registryUrl, topics } = resolveConnections(flags);
    const service = await startDedup({
      brokers,
      registryUrl,
      topics,
      ...(flags.groupId ? { groupId: flags.groupId } : {}),
      ...dedupSettingsOf(flags),
      commitIntervalMs: flags.commitIntervalMs,
      sessionTimeoutMs: flags.sessionTimeoutMs,
      opsHost: flags.opsHost,
      ...(flags.opsPort !== undefined ? { opsPort: flags.opsPort } : {}),
    });
    console.error(`dedup: group ${service.groupId}${service.ops ? `, ops ${service.ops.url}` : ''}`);
    stopOnSignals(() => service.stop());
  });
  return command;
}
