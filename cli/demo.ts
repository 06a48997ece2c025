import { Command, Option } from 'commander';
import { positiveInt } from '../lib/cli-options.ts';
import { topicsFor } from '../lib/topics.ts';
import { DEMO_DEFAULTS, demoSummaryText, runDemo } from '../services/demo/demo.ts';
import { stackConfig } from '../stack/config.ts';
import { up } from '../stack/stack.ts';
import { addVerboseOption, logCommandToFile, type VerboseFlags } from './common.ts';

const EPILOG = `
Brings up the local stack (idempotent), creates the demo topics (namespace "demo", 2 partitions)
and registers their schemas, runs ingest, synth and assemble in this process, ingests the bundled
corpus (demo/corpus/sample.jsonl), waits until every document is in an augmented record or in
the DLQ, exports the run to out/demo/augmented.jsonl (+ manifest.json) and prints a summary and
one rendered example.

Running it again reports the same: ingest finds every document already ingested, and the export
reads the same records, so the output is byte-identical (compare the sha256). An interrupted
demo is finished by the next one. To start over, use another --namespace, or
\`npx ipt stack down --wipe\`.`;

interface DemoFlags extends VerboseFlags {
  corpus: string;
  out: string;
  namespace: string;
  timeoutS: number;
  json?: boolean;
}

/** The main job on the embedded local default, as the README's first screen describes it. */
export function demoCommand(): Command {
  const command = new Command('demo')
    .description('bring up the local stack and run the whole pipeline on the bundled sample corpus')
    .addOption(new Option('--corpus <file>', 'JSONL corpus to ingest').default(DEMO_DEFAULTS.corpus))
    .addOption(new Option('--out <dir>', 'where the export goes').default(DEMO_DEFAULTS.outDir))
    .addOption(
      new Option('--namespace <ns>', 'topic namespace of the demo pipeline').default(DEMO_DEFAULTS.namespace),
    )
    .addOption(
      new Option('--timeout-s <s>', 'give up if the documents are not all accounted for by then')
        .argParser(positiveInt)
        .default(DEMO_DEFAULTS.timeoutMs / 1000),
    )
    .addOption(new Option('--json', 'print the report as JSON instead of text'))
    .addHelpText('after', EPILOG);
  return addVerboseOption(command).action(async (flags: DemoFlags, cmd: Command) => {
    try {
      topicsFor(flags.namespace);
    } catch (error) {
      cmd.error(`error: --namespace: ${(error as Error).message}`);
    }
    const say = (line: string) => console.error(`[demo] ${line}`);
    const logFile = logCommandToFile('demo', flags);
    const stack = await up(stackConfig(), (line) => console.error(`[stack] ${line}`));
    const report = await runDemo({
      brokers: stack.kafka.brokers,
      registryUrl: stack.registry.url,
      tritonUrls: stack.triton.urls,
      tritonGrpc: stack.triton.grpc,
      corpus: flags.corpus,
      outDir: flags.out,
      namespace: flags.namespace,
      timeoutMs: flags.timeoutS * 1000,
      say,
    });
    console.log(flags.json ? JSON.stringify(report, null, 2) : demoSummaryText(report, logFile));
  });
}
