import { Command } from 'commander';
import { recordFatal } from '../lib/log.ts';
import { stackCommand } from '../stack/cli.ts';
import { assembleCommand } from './assemble.ts';
import { crawlCommand } from './crawl.ts';
import { dedupCommand } from './dedup.ts';
import { demoCommand } from './demo.ts';
import { exportCommand } from './export.ts';
import { ingestCommand } from './ingest.ts';
import { reassembleCommand, replayCommand } from './replay.ts';
import { runCommand } from './run.ts';
import { runsCommand } from './runs.ts';
import { schemasCommand } from './schemas.ts';
import { synthCommand } from './synth.ts';
import { tapCommand } from './tap.ts';
import { topicsCommand } from './topics.ts';

const program = new Command('ipt')
  .description('Streaming Instruction Pre-Training: crawl → Kafka → Triton synthesizer → M-shot corpus')
  .showHelpAfterError();

program.addCommand(stackCommand());
program.addCommand(demoCommand());
program.addCommand(topicsCommand());
program.addCommand(schemasCommand());
program.addCommand(ingestCommand());
program.addCommand(crawlCommand());
program.addCommand(dedupCommand());
program.addCommand(synthCommand());
program.addCommand(assembleCommand());
program.addCommand(exportCommand());
program.addCommand(tapCommand());
program.addCommand(runCommand());
program.addCommand(replayCommand());
program.addCommand(reassembleCommand());
program.addCommand(runsCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // A failed start (missing topics, unreachable broker, bad setting) is the operator's to fix: say
  // what went wrong in one line; IPT_DEBUG=1 shows the stack for the rest of us.
  const err = error instanceof Error ? error : new Error(String(error));
  const logFile = recordFatal(err);
  console.error(`error: ${err.message}${logFile ? ` (log: ${logFile})` : ''}`);
  if (process.env.IPT_DEBUG) console.error(err.stack);
  process.exit(1);
}
