import { Command, Option } from 'commander';
import { withConfigFile } from '../lib/cli-options.ts';
import { loadTokenizer } from '../lib/tokenizer-file.ts';
import { startAssemble } from '../services/assemble/main.ts';
import {
  addConnectionOptions,
  addOpsOptions,
  addStreamAppOptions,
  type ConnectionFlags,
  type OpsFlags,
  resolveConnections,
  stopOnSignals,
  templateVersionOption,
  tokenizerOption,
} from './common.ts';

interface AssembleFlags extends ConnectionFlags, OpsFlags {
  run?: string;
  asRun?: string;
  templateVersion?: string;
  groupId?: string;
  tokenizer: string;
  commitIntervalMs: number;
  sessionTimeoutMs: number;
}

export function assembleCommand(): Command {
  const command = new Command('assemble')
    .description(
      'collect synthesized rounds per chain; emit one templated AugmentedRecord per finished chain (exactly once)',
    )
    .addOption(
      new Option('--run <id>', 'assemble only this run (default: every run on the topic)').env('IPT_RUN_ID'),
    )
    .addOption(new Option('--as-run <id>', 're-assembly: emit the records as this run id (needs --run)'))
    .addOption(templateVersionOption("render with this template set instead of each run's own"))
    .addOption(
      new Option('--group-id <id>', 'consumer group (default: ipt-assemble, or ipt-assemble.<run>)').env(
        'IPT_ASSEMBLE_GROUP',
      ),
    )
    .addOption(tokenizerOption("the runs' tokenizer (as given to synth) for the records' counts"));
  addStreamAppOptions(command);
  addConnectionOptions(command);
  addOpsOptions(command, 9403);
  withConfigFile(command);
  command.action(async (flags: AssembleFlags) => {
    const { brokers, registryUrl, topics } = resolveConnections(flags);
    const service = await startAssemble({
      brokers,
      registryUrl,
      topics,
      commitIntervalMs: flags.commitIntervalMs,
      sessionTimeoutMs: flags.sessionTimeoutMs,
      tokenCounter: loadTokenizer(flags.tokenizer),
      opsHost: flags.opsHost,
      ...(flags.opsPort !== undefined ? { opsPort: flags.opsPort } : {}),
      ...(flags.run ? { run: flags.run } : {}),
      ...(flags.asRun ? { asRun: flags.asRun } : {}),
      ...(flags.templateVersion ? { templateVersion: flags.templateVersion } : {}),
      ...(flags.groupId ? { groupId: flags.groupId } : {}),
    });
    console.error(`assemble: group ${service.groupId}${service.ops ? `, ops ${service.ops.url}` : ''}`);
    stopOnSignals(() => service.stop());
  });
  return command;
}
