import { Command } from 'commander';
import { stackCommand } from '../stack/cli.ts';

const program = new Command('ipt')
  .description('Streaming Instruction Pre-Training: crawl → Kafka → Triton synthesizer → M-shot corpus')
  .showHelpAfterError();

program.addCommand(stackCommand());

await program.parseAsync(process.argv);
