import { Command, Option } from 'commander';
import type { CrawlInput } from '../core/types.ts';
import { nonNegativeInt, positiveInt } from '../lib/cli-options.ts';
import { kafkaClient } from '../lib/kafka/client.ts';
import { createLogger } from '../lib/log.ts';
import { registryClient, topicSerde } from '../lib/registry.ts';
import {
  DEFAULT_FOLLOW_INTERVAL_MS,
  DEFAULT_STABLE_CHECKS,
  followDirectory,
} from '../services/crawl/follow.ts';
import { COMMON_CRAWL_BASE_URL, describeLocations } from '../services/crawl/locations.ts';
import { connectPublisher, publishedInputs } from '../services/crawl/publish.ts';
import { DEFAULT_RATE_WINDOW_MS, readCrawlStatus, statusText } from '../services/crawl/status.ts';
import { FORMATS, type Format } from '../services/ingest/sniff.ts';
import {
  abortOnStopSignal,
  addConnectionOptions,
  type ConnectionFlags,
  resolveConnections,
} from './common.ts';

const EPILOG = `
A crawl's inputs are descriptors (location, format, size, base URL) on the topic ipt.crawl.inputs;
ingest workers (\`ipt ingest --worker\`, any number, any machine) share them as one consumer group,
and each input's progress (records read) commits with its documents in one Kafka transaction, so a
worker killed mid-file is resumed by another at the next record. Documents go to the dedup stage
(\`ipt dedup\`). An input that cannot be read is marked failed, with its reason in the DLQ.
The same location added twice is read once.

Examples:
  npx ipt crawl add /data/crawl/*.warc.gz https://example.org/shard-0001.jsonl.gz
  npx ipt crawl add warc.paths.gz --base-url https://data.commoncrawl.org/
  npx ipt crawl follow /data/crawler/out
  npx ipt ingest --worker            # as many as you like
  npx ipt crawl status`;

export function crawlCommand(): Command {
  return new Command('crawl')
    .description('share crawl files and URLs among ingest workers (ipt ingest --worker)')
    .addHelpText('after', EPILOG)
    .addCommand(addCommand())
    .addCommand(followCommand())
    .addCommand(statusCommand());
}

const formatOption = () =>
  new Option('--format <format>', 'format of every input (default: sniffed from its bytes)').choices(FORMATS);

interface AddFlags extends ConnectionFlags {
  format?: Format;
  baseUrl?: string;
  json?: boolean;
}

function addCommand(): Command {
  const command = new Command('add')
    .description('publish inputs: files, directories, globs, http(s) URLs, or listings (*.paths, *.paths.gz)')
    .argument('<locations...>', 'files, directories, globs, URLs, or listings of paths one per line')
    .addOption(formatOption())
    .addOption(
      new Option('--base-url <url>', `base of a listing's relative paths (default ${COMMON_CRAWL_BASE_URL})`),
    )
    .option('--json', 'print what was published as JSON');
  addConnectionOptions(command);
  return command.action(async (locations: string[], flags: AddFlags) => {
    const { brokers, registryUrl, topics } = resolveConnections(flags);
    const inputs = await describeLocations(locations, {
      ...(flags.format ? { format: flags.format } : {}),
      ...(flags.baseUrl ? { baseUrl: flags.baseUrl } : {}),
    });
    const publisher = await connectPublisher(kafkaClient('ipt-crawl-add', brokers), registryUrl, topics);
    try {
      await publisher.publish(inputs);
    } finally {
      await publisher.close();
    }
    if (flags.json) console.log(JSON.stringify({ topic: topics.crawlInputs, inputs }));
    else console.log(`published ${inputs.length} input(s) to ${topics.crawlInputs}`);
  });
}

interface FollowFlags extends ConnectionFlags {
  format?: Format;
  stableChecks: number;
  intervalMs: number;
  logLevel: string;
}

const FOLLOW_EPILOG = `
A file is published once it is complete: its name is not hidden and does not end in .open, .tmp,
.part or .partial (names crawlers write under), and its size and modification time stayed the same
over --stable-checks more scans --interval-ms apart. A crawler that renames finished files into
place can use --stable-checks 0. Each file is published once, across restarts too: files already on
the inputs topic are skipped. Run one follower per directory.`;

function followCommand(): Command {
  const command = new Command('follow')
    .description('publish each file a crawler finishes in a directory (recursively), once')
    .argument('<dir>', 'directory the crawler writes to')
    .addOption(formatOption())
    .addOption(
      new Option('--stable-checks <n>', 'scans a file must stay unchanged before it counts as complete')
        .argParser(nonNegativeInt)
        .default(DEFAULT_STABLE_CHECKS),
    )
    .addOption(
      new Option('--interval-ms <n>', 'time between scans')
        .argParser(positiveInt)
        .default(DEFAULT_FOLLOW_INTERVAL_MS),
    )
    .addOption(
      new Option('--log-level <level>', 'JSON log level on stderr')
        .choices(['debug', 'info', 'warn', 'error'])
        .default('info')
        .env('IPT_LOG_LEVEL'),
    )
    .addHelpText('after', FOLLOW_EPILOG);
  addConnectionOptions(command);
  return command.action(async (dir: string, flags: FollowFlags) => {
    const { brokers, registryUrl, topics } = resolveConnections(flags);
    const log = createLogger('crawl-follow', flags.logLevel);
    const kafka = kafkaClient('ipt-crawl-follow', brokers, log);
    const publisher = await connectPublisher(kafka, registryUrl, topics);
    const serde = topicSerde<CrawlInput>(registryClient(registryUrl), topics.crawlInputs);
    const published = new Set(
      (await publishedInputs(kafka, topics.crawlInputs, serde)).map((i) => i.input_id),
    );
    log.info({ dir, known: published.size }, 'following');
    const stop = abortOnStopSignal();
    try {
      await followDirectory({
        dir,
        stableChecks: flags.stableChecks,
        intervalMs: flags.intervalMs,
        ...(flags.format ? { format: flags.format } : {}),
        publisher,
        published,
        signal: stop.signal,
        log,
      });
    } finally {
      await publisher.close();
    }
  });
}

interface StatusFlags extends ConnectionFlags {
  json?: boolean;
  all?: boolean;
  windowS: number;
}

function statusCommand(): Command {
  const command = new Command('status')
    .description('inputs queued, in progress (which worker, how far), done and failed; rates and ETA')
    .option('--json', 'print the status as JSON')
    .option('--all', 'list every input, not only those in progress or failed')
    .addOption(
      new Option('--window-s <n>', 'seconds of progress the rates are taken over')
        .argParser(positiveInt)
        .default(DEFAULT_RATE_WINDOW_MS / 1000),
    )
    .addHelpText(
      'after',
      "\nThe same figures are gauges on every worker's /metrics (ipt_crawl_inputs{state}, ipt_crawl_records_per_second, ipt_crawl_documents_per_second, ipt_crawl_eta_seconds).",
    );
  addConnectionOptions(command);
  return command.action(async (flags: StatusFlags) => {
    const { brokers, registryUrl, topics } = resolveConnections(flags);
    const status = await readCrawlStatus(
      kafkaClient('ipt-crawl-status', brokers),
      registryUrl,
      topics,
      flags.windowS * 1000,
    );
    console.log(flags.json ? JSON.stringify(status) : statusText(status, flags.all));
  });
}
