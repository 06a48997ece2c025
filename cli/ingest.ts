import { stat } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_BUDGET } from '../core/budget.ts';
import { commaList, nonNegativeInt, port, positiveInt, withConfigFile } from '../lib/cli-options.ts';
import { kafkaClient } from '../lib/kafka/client.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { startOpsServer } from '../lib/ops-server.ts';
import { MissingTopicsError, type Topics } from '../lib/topics.ts';
import { dedupMembers, waitingNote } from '../services/dedup/members.ts';
import { DEFAULT_EXPLAIN_LIMIT, explainIngest, explanationText } from '../services/ingest/explain.ts';
import { EXTRACT_MODES, type ExtractMode } from '../services/ingest/html.ts';
import { DEFAULT_MAX_BODY_BYTES, startIngestHttp } from '../services/ingest/http.ts';
import { createIngestor, DEFAULT_MAX_RECORD_BYTES } from '../services/ingest/ingestor.ts';
import { expandPaths, InputError } from '../services/ingest/input.ts';
import {
  DEFAULT_NORMALIZE,
  NORMALIZE_STEPS,
  type NormalizeStep,
  parseNormalizeSteps,
} from '../services/ingest/normalize.ts';
import {
  PROGRESS_MODES,
  type ProgressMode,
  startProgress,
  summaryText,
} from '../services/ingest/progress.ts';
import { DEFAULT_SINK, SINK_COMPRESSIONS, type SinkCompression } from '../services/ingest/sink.ts';
import { FORMATS, type Format } from '../services/ingest/sniff.ts';
import {
  addConnectionOptions,
  addHttpLimitOptions,
  addOpsOptions,
  type ConnectionFlags,
  type HttpLimitFlags,
  httpLimitsOf,
  type OpsFlags,
  onStopSignal,
  resolveConnections,
  startOpsIfAsked,
} from './common.ts';
import { addLanguageOptions, type LanguageFlags, languageSettings } from './ingest-language.ts';
import { addQualityOptions, type QualityFlags, qualitySettings } from './ingest-quality.ts';
import { addThreadsOptions, threadsOf } from './ingest-threads.ts';
import { addWorkerOptions, runWorker, type WorkerFlags } from './ingest-worker.ts';

/** What addDocumentOptions declares. */
export interface DocumentFlags extends LanguageFlags, QualityFlags {
  extract: ExtractMode;
  textField: string[];
  urlField: string;
  idField: string;
  minChars: number;
  maxChars: number;
  normalize: NormalizeStep[];
  maxRecordBytes: number;
}

interface IngestFlags extends ConnectionFlags, OpsFlags, DocumentFlags, HttpLimitFlags, WorkerFlags {
  serve?: boolean;
  format: Format | 'auto';
  dedup: boolean;
  explain?: boolean;
  explainLimit: number;
  maxModelLen: number;
  maxNewTokens: number;
  threads: number;
  tokenThreads?: number;
  threadHeapMb?: number;
  batchSize: number;
  lingerMs: number;
  maxBufferedMb: number;
  compression: SinkCompression;
  progress: ProgressMode;
  json?: boolean;
  host: string;
  port: number;
  token?: string;
  maxBodyBytes: number;
  logLevel?: string;
}

const EPILOG = `
Inputs: JSON Lines (.jsonl/.ndjson/.json), RefinedWeb Parquet shards (.parquet: content, url,
timestamp, dump, segment), Common Crawl WARC and WET (.warc/.wet), plain text (one file = one
document); gzip or zstd compressed (.gz/.zst, sniffed from the bytes); directories (recursive)
and globs; "-" reads stdin. The format is sniffed unless --format says it.

Every rejected input goes to the DLQ topic with a reason (invalid_utf8, empty_text, binary,
too_long, malformed_json, wrong_field_type, truncated_parquet, …) and its original bytes.
Texts are kept byte for byte as given. HTML (WARC responses, text/html bodies) becomes the
page's main content and title (Readability; the visible text if it finds none; --extract text:
always the visible text). --normalize opts into named clean-ups
(${NORMALIZE_STEPS.join(', ')};
or all); a record they changed names them in metadata.normalized. Invalid UTF-8 is rejected,
never repaired.

Deduplication is the dedup stage's: documents go to the candidates topic (ipt.dedup.candidates,
with the namespace's prefix) and reach the raw topic only once \`ipt dedup\` (or \`ipt run\`)
for the same topics has kept them; exact copies and near-duplicates (MinHash, word 5-grams) of
what any ingest process sent are dropped there. Start one: npx ipt dedup --topic-namespace …
Until one runs, documents wait on the candidates topic (nothing is lost); the summary says so.
--no-dedup writes straight to the raw topic with no deduplication at all (a corpus deduplicated
upstream, or measuring ingest alone).

--threads worker threads (default one per core from 3 cores up, else 0: the main thread) run
extraction, language, quality, MinHash and token counting; the main thread reads and produces, in the
order the inputs were read, so the output does not depend on the number of threads.

--explain runs the steps on the first --explain-limit inputs of the given files and prints what
each step did (kept, or dropped with its reason and details); nothing is sent to Kafka. Its dedup
verdict applies the stage's rules to those inputs alone, marked decided_by the dedup stage.

--worker reads the inputs \`ipt crawl add\` and \`ipt crawl follow\` publish (see \`ipt crawl --help\`),
sharing them with any number of other workers, until SIGINT/SIGTERM; documents go to the dedup
stage; an input's progress commits with its documents, so a killed worker's input is resumed by
another at the next record. /metrics (with --ops-port) adds the crawl's status as gauges.

--serve runs POST /documents (JSON, NDJSON or one text/html page) on --host:--port until SIGINT/SIGTERM; with
--token (or IPT_INGEST_TOKEN) requests need "Authorization: Bearer <token>". /healthz,
/readyz and /metrics are served on --ops-port.

Examples:
  npx ipt ingest data/shard-00000.parquet crawl/*.warc.wet.gz
  zstd -dc dump.jsonl.zst | npx ipt ingest - --format jsonl
  npx ipt ingest --serve --port 18090 --token "$TOKEN"
  npx ipt ingest --worker --ops-port 18092`;

export function ingestCommand(): Command {
  const command = new Command('ingest')
    .description('ingest crawl files, stdin or HTTP into the raw documents topic')
    .argument('[paths...]', 'files, directories or globs; "-" for stdin');
  for (const add of [
    addSourceOptions,
    addConnectionOptions,
    addDocumentOptions,
    addDedupOptions,
    addBudgetOptions,
    addSinkOptions,
    addReportOptions,
    addServeOptions,
    addWorkerOptions,
    addOpsOptions,
  ])
    add(command);
  command
    .addOption(
      new Option(
        '--log-level <level>',
        'JSON log level on stderr (default: warn for files, info for --serve)',
      )
        .choices(['debug', 'info', 'warn', 'error'])
        .env('IPT_LOG_LEVEL'),
    )
    .addHelpText('after', EPILOG)
    .action(async (paths: string[], flags: IngestFlags, cmd: Command) => {
      checkArguments(paths, flags, cmd);
      if (flags.worker) {
        const { log, options } = ingestorOptions(flags, 'info');
        return runWorker(flags, options, log);
      }
      const files =
        paths.length > 0 && paths[0] !== '-'
          ? await expandPaths(paths).catch((error: Error) => {
              if (error instanceof InputError) cmd.error(`error: ${error.message}`);
              throw error;
            })
          : [];
      try {
        if (flags.explain) await explainFiles(files, flags);
        else await (flags.serve ? serve(flags) : ingestFiles(paths[0] === '-' ? null : files, flags));
      } catch (error) {
        if (error instanceof MissingTopicsError) cmd.error(`error: ${error.message}`);
        throw error;
      }
    });
  return withConfigFile(command);
}

/** Refuses flag combinations that cannot work, before anything connects. */
function checkArguments(paths: string[], flags: IngestFlags, cmd: Command): void {
  if (flags.serve && paths.length > 0) cmd.error('error: give either paths or --serve, not both');
  if (flags.worker && (flags.serve || paths.length > 0 || flags.explain))
    cmd.error(
      'error: --worker reads the inputs topic (`ipt crawl add`): give no paths, --serve or --explain',
    );
  if (!flags.serve && !flags.worker && paths.length === 0)
    cmd.error('error: nothing to ingest: give paths, "-" for stdin, --serve or --worker');
  if (paths.includes('-') && paths.length > 1) cmd.error('error: "-" (stdin) cannot be combined with paths');
  if (flags.explain && (flags.serve || paths.includes('-')))
    cmd.error('error: --explain reads files: give paths, not --serve or "-"');
  if (flags.minChars > flags.maxChars) cmd.error('error: --min-chars is larger than --max-chars');
  if (flags.maxNewTokens >= flags.maxModelLen)
    cmd.error('error: --max-new-tokens must be below --max-model-len');
}

/** What is read: HTTP or files, and in which format. */
function addSourceOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--serve', 'run the HTTP endpoint POST /documents instead of reading paths').env(
        'IPT_INGEST_SERVE',
      ),
    )
    .addOption(
      new Option('--format <format>', 'input format')
        .choices(['auto', ...FORMATS])
        .default('auto')
        .env('IPT_INGEST_FORMAT'),
    );
}

/**
 * How a record becomes a document: fields, extraction, normalization, size limits, language and
 * quality — declared once, for `ipt ingest` and `ipt run`.
 */
export function addDocumentOptions(command: Command): Command {
  command
    .addOption(
      new Option('--extract <mode>', 'HTML pages: readability (main content, else visible text) or text')
        .choices(EXTRACT_MODES)
        .default('readability')
        .env('IPT_INGEST_EXTRACT'),
    )
    .addOption(
      new Option('--text-field <list>', 'JSON field / Parquet column of the text; first present wins')
        .argParser(commaList)
        .default(['text', 'content'])
        .env('IPT_INGEST_TEXT_FIELD'),
    )
    .addOption(
      new Option('--url-field <name>', 'JSON field / Parquet column of the URL')
        .default('url')
        .env('IPT_INGEST_URL_FIELD'),
    )
    .addOption(
      new Option('--id-field <name>', 'JSON field / Parquet column of a document id')
        .default('id')
        .env('IPT_INGEST_ID_FIELD'),
    )
    .addOption(
      new Option('--normalize <steps>', 'comma-separated normalization steps to apply (or all)')
        .argParser((v) => {
          try {
            return parseNormalizeSteps(v);
          } catch (error) {
            throw new InvalidArgumentError((error as Error).message);
          }
        })
        .default([], 'none: texts as given')
        .env('IPT_INGEST_NORMALIZE'),
    )
    .addOption(
      new Option('--min-chars <n>', 'shortest text kept, in code points after normalization')
        .argParser(positiveInt)
        .default(DEFAULT_NORMALIZE.minChars)
        .env('IPT_INGEST_MIN_CHARS'),
    )
    .addOption(
      new Option('--max-chars <n>', 'longest text kept, in code points (longer: rejected too_long)')
        .argParser(positiveInt)
        .default(DEFAULT_NORMALIZE.maxChars)
        .env('IPT_INGEST_MAX_CHARS'),
    )
    .addOption(
      new Option('--max-record-bytes <n>', 'largest JSONL line, text file or WARC record')
        .argParser(positiveInt)
        .default(DEFAULT_MAX_RECORD_BYTES)
        .env('IPT_INGEST_MAX_RECORD_BYTES'),
    );
  return addQualityOptions(addLanguageOptions(command));
}

/** Settings of the documents: what addDocumentOptions declared. */
export function documentSettings(flags: DocumentFlags) {
  return {
    fields: { text: flags.textField, url: flags.urlField, id: flags.idField },
    extract: flags.extract,
    normalize: { minChars: flags.minChars, maxChars: flags.maxChars, steps: flags.normalize },
    maxRecordBytes: flags.maxRecordBytes,
    ...languageSettings(flags),
    ...qualitySettings(flags),
  };
}

/** Whether the dedup stage decides (the default) or documents go straight to the raw topic. */
function addDedupOptions(command: Command): Command {
  return command.addOption(
    new Option(
      '--no-dedup',
      'write straight to the raw topic, no deduplication at all (default: candidates for `ipt dedup`)',
    ).env('IPT_INGEST_NO_DEDUP'),
  );
}

/** The prompt budget that decides which texts are chunked, and the threads that run the steps. */
function addBudgetOptions(command: Command): Command {
  return addThreadsOptions(command, '--threads')
    .addOption(
      new Option(
        '--thread-heap-mb <n>',
        "each worker thread's heap limit: a document needing more is dead-lettered (step_failed), not the end of the run",
      )
        .argParser(positiveInt)
        .env('IPT_INGEST_THREAD_HEAP_MB'),
    )
    .addOption(
      new Option(
        '--max-model-len <n>',
        "synthesizer context; texts that don't fit a prompt alone are chunked",
      )
        .argParser(positiveInt)
        .default(DEFAULT_BUDGET.maxModelLen)
        .env('IPT_MAX_MODEL_LEN'),
    )
    .addOption(
      new Option('--max-new-tokens <n>', 'tokens the synthesizer may generate per round')
        .argParser(positiveInt)
        .default(DEFAULT_BUDGET.maxNewTokens)
        .env('IPT_MAX_NEW_TOKENS'),
    );
}

/** How records are batched and sent to Kafka. */
function addSinkOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--batch-size <n>', 'records per Kafka send')
        .argParser(positiveInt)
        .default(DEFAULT_SINK.maxBatchMessages)
        .env('IPT_INGEST_BATCH_SIZE'),
    )
    .addOption(
      new Option('--linger-ms <n>', 'how long a partial batch waits')
        .argParser(nonNegativeInt)
        .default(DEFAULT_SINK.lingerMs)
        .env('IPT_INGEST_LINGER_MS'),
    )
    .addOption(
      new Option('--max-buffered-mb <n>', 'unacknowledged MB before reading pauses (backpressure)')
        .argParser(positiveInt)
        .default(DEFAULT_SINK.maxBufferedBytes / 1024 / 1024)
        .env('IPT_INGEST_MAX_BUFFERED_MB'),
    )
    .addOption(
      new Option('--compression <codec>', 'compression of the record batches sent to Kafka')
        .choices(SINK_COMPRESSIONS)
        .default(DEFAULT_SINK.compression)
        .env('IPT_INGEST_COMPRESSION'),
    );
}

/** How progress and the summary are shown. */
function addReportOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--progress <mode>', 'bar on a terminal, periodic lines otherwise (auto)')
        .choices(PROGRESS_MODES)
        .default('auto')
        .env('IPT_INGEST_PROGRESS'),
    )
    .addOption(new Option('--json', 'print the final summary (or the explanation) as JSON'))
    .addOption(
      new Option(
        '--explain',
        'dry run: print what each step did to the first documents; nothing is sent to Kafka',
      ),
    )
    .addOption(
      new Option('--explain-limit <n>', 'inputs --explain shows')
        .argParser(positiveInt)
        .default(DEFAULT_EXPLAIN_LIMIT),
    );
}

/** --serve: the HTTP endpoint and the ops server. */
function addServeOptions(command: Command): Command {
  addHttpLimitOptions(command, 'IPT_INGEST', '--serve: ');
  return command
    .addOption(
      new Option('--host <host>', '--serve: address to bind').default('127.0.0.1').env('IPT_INGEST_HOST'),
    )
    .addOption(
      new Option('--port <port>', '--serve: port of POST /documents (0: any free port)')
        .argParser(port)
        .default(18090)
        .env('IPT_INGEST_PORT'),
    )
    .addOption(
      new Option('--token <token>', '--serve: bearer token required on requests').env('IPT_INGEST_TOKEN'),
    )
    .addOption(
      new Option('--max-body-bytes <n>', '--serve: largest request body')
        .argParser(positiveInt)
        .default(DEFAULT_MAX_BODY_BYTES)
        .env('IPT_INGEST_MAX_BODY_BYTES'),
    )
    .addHelpText(
      'after',
      `\n--ops-port: with --serve ${SERVE_OPS_PORT} unless set; for files, off unless set.`,
    );
}

/** The ops server's port with --serve when --ops-port is not given. */
const SERVE_OPS_PORT = 18091;

function ingestorOptions(flags: IngestFlags, level: string) {
  const { brokers, registryUrl, topics } = resolveConnections(flags);
  const log = createLogger('ingest', flags.logLevel ?? level);
  return {
    log,
    options: {
      brokers,
      registryUrl,
      topics,
      ...documentSettings(flags),
      dedupStage: flags.dedup,
      threads: threadsOf(flags.threads, flags.tokenThreads, '--threads'),
      ...(flags.threadHeapMb ? { threadHeapMb: flags.threadHeapMb } : {}),
      budget: { ...DEFAULT_BUDGET, maxModelLen: flags.maxModelLen, maxNewTokens: flags.maxNewTokens },
      sink: {
        maxBatchMessages: flags.batchSize,
        lingerMs: flags.lingerMs,
        maxBufferedBytes: flags.maxBufferedMb * 1024 * 1024,
        compression: flags.compression,
      },
      log,
    },
  };
}

async function ingestFiles(files: string[] | null, flags: IngestFlags): Promise<void> {
  const { log, options } = ingestorOptions(flags, 'warn');
  const ingestor = await createIngestor(options);
  const ops = await startOpsIfAsked(flags, { registry: ingestor.metrics.registry, ready: ingestor.ready });
  let interrupted = false;
  onStopSignal(() => {
    interrupted = true;
    process.stderr.write(
      '\ninterrupted: finishing the current record and flushing (again to quit at once)\n',
    );
    ingestor.abort();
  });
  let totalBytes: number | null = null;
  if (files) {
    totalBytes = 0;
    for (const f of files) totalBytes += (await stat(f)).size;
  }
  const started = performance.now();
  const progress = startProgress(ingestor.stats, { mode: flags.progress, totalBytes });
  const format = flags.format === 'auto' ? undefined : flags.format;
  try {
    if (files) await ingestor.ingestPaths(files, format ? { format } : {});
    else await ingestor.ingestStream(process.stdin, format ? { format } : {});
  } finally {
    await ingestor.close();
    progress.stop();
    await ops?.close();
  }
  const seconds = (performance.now() - started) / 1000;
  log.info({ stats: ingestor.stats, seconds }, 'ingest finished');
  const topic = flags.dedup ? ingestor.topics.candidates : ingestor.topics.raw;
  if (flags.json) console.log(JSON.stringify({ ...ingestor.stats, seconds, topic }));
  else console.log(summaryText(ingestor.stats, seconds));
  if (flags.dedup) await noteWaiting(flags, ingestor.topics, log);
  if (interrupted) process.exitCode = 130;
}

/** --explain: the steps' verdicts on the first inputs, without Kafka. */
async function explainFiles(files: string[], flags: IngestFlags): Promise<void> {
  const { options } = ingestorOptions(flags, 'warn');
  const format = flags.format === 'auto' ? undefined : flags.format;
  const { explanations, stats } = await explainIngest(options, files, {
    limit: flags.explainLimit,
    ...(format ? { format } : {}),
  });
  if (flags.json) console.log(JSON.stringify({ explanations, steps: stats.steps }));
  else
    console.log(
      `${explanationText(explanations)}\n\n(dry run: nothing was sent to Kafka; ${flags.dedup ? "dedup applied the stage's rules to these inputs only" : 'no dedup (--no-dedup)'})`,
    );
}

async function serve(flags: IngestFlags): Promise<void> {
  const { log, options } = ingestorOptions(flags, 'info');
  const ingestor = await createIngestor(options);
  const http = await startIngestHttp({
    ingestor,
    host: flags.host,
    port: flags.port,
    ...(flags.token ? { token: flags.token } : {}),
    maxBodyBytes: flags.maxBodyBytes,
    fields: options.fields,
    maxRecordBytes: flags.maxRecordBytes,
    maxJsonDepth: flags.maxJsonDepth,
    limits: httpLimitsOf(flags),
    log,
  });
  const ops = await startOpsServer({
    host: flags.opsHost,
    port: flags.opsPort ?? SERVE_OPS_PORT,
    registry: ingestor.metrics.registry,
    ready: ingestor.ready,
  });
  log.info(
    {
      documents: `${http.url}/documents`,
      ops: ops.url,
      topic: flags.dedup ? ingestor.topics.candidates : ingestor.topics.raw,
    },
    'ingest serving',
  );
  if (flags.dedup) await noteWaiting(flags, ingestor.topics, log);
  console.log(
    `POST ${http.url}/documents  (health: ${ops.url}/healthz, ${ops.url}/readyz, ${ops.url}/metrics)`,
  );
  await new Promise<void>((resolve) => onStopSignal(() => resolve()));
  log.info('shutting down');
  await http.close();
  await ingestor.close();
  await ops.close();
  log.info({ stats: ingestor.stats }, 'ingest stopped');
}

/** Tells on stderr when no dedup stage consumes the candidates (documents would wait unseen). */
async function noteWaiting(flags: IngestFlags, topics: Topics, log: Logger): Promise<void> {
  const { brokers } = resolveConnections(flags);
  try {
    const note = waitingNote(
      await dedupMembers(kafkaClient('ipt-ingest-check', brokers, log), topics),
      topics,
    );
    if (note) process.stderr.write(`note: ${note}\n`);
  } catch (error) {
    log.warn({ err: error }, 'could not tell whether a dedup stage is running');
  }
}
