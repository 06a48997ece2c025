import { Command } from 'commander';
import { stackConfig } from '../stack/config.ts';
import { up } from '../stack/stack.ts';

/** The main job on the embedded local default. For now: the stack only; the pipeline lands with the services. */
export function demoCommand(): Command {
  return new Command('demo')
    .description('bring up the local stack and run the whole pipeline on the bundled sample corpus')
    .action(async () => {
      const status = await up(stackConfig(), (line) => console.error(line));
      console.log(
        `stack ready: kafka ${status.kafka.brokers.join(',')}, registry ${status.registry.url}, triton ${status.triton.urls.join(',')}`,
      );
      console.log(
        'The pipeline services (ingest, synth, assemble) are not built yet; nothing to run on the stack.',
      );
    });
}
