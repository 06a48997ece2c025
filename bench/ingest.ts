// Ingest throughput into the real local Kafka: `node bin/run-ts.js bench/ingest.ts [docs] [threads]`.
// N distinct ~2 KB web-like documents (bench/texts.ts: Zipf over 200 000 word types), once as JSON
// Lines and once as a RefinedWeb-style Parquet shard (row groups of 1 000), each ingested end to
// end (read, normalize, hash, dedup, count tokens, Avro through the registry, batched produce,
// acknowledged) into fresh namespaced topics that are deleted afterwards; every step on the main thread,
// then on worker threads. Also times token counting alone on the same texts, ingest's largest
// single cost.

import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { mistralTokenizer } from '../core/mistral.ts';
import { loadEndpoints } from '../lib/endpoints.ts';
import { kafkaClient } from '../lib/kafka/client.ts';
import { createLogger } from '../lib/log.ts';
import { timedIngest } from './ingest-run.ts';
import { WebText } from './texts.ts';

const N = Number(process.argv[2] ?? 3000);
// Worker threads for the second pass (the first runs every step on the main thread).
const THREADS = Number(process.argv[3] ?? 2);
const DOC_BYTES = 2048;
const web = new WebText(7);
const makeText = (i: number): string => `Document ${i}. ${web.make(DOC_BYTES - 16, web.zipfWord)}`;

const endpoints = loadEndpoints();
const log = createLogger('bench-ingest', 'warn');
const kafka = kafkaClient('ipt-bench-ingest', endpoints.kafka.brokers);
const dir = mkdtempSync(join(os.tmpdir(), 'ipt-bench-ingest-'));

async function bench(label: string, file: string, threads: number): Promise<void> {
  const { secs, stats: s } = await timedIngest({ kafka, endpoints, log, prefix: 'bench-ingest' }, file, {
    threads,
    // A third of these texts' words are made up (the tokenizer's long tail), so the language step
    // rightly calls most of them not English; bench/ingest-warc.ts measures that step on English.
    languages: false,
  });
  if (s.accepted !== N) throw new Error(`${label}: accepted ${s.accepted} of ${N} (${JSON.stringify(s)})`);
  const fileMb = statSync(file).size / 1024 / 1024;
  const textMb = (N * DOC_BYTES) / 1024 / 1024;
  console.log(
    `${label.padEnd(8)} ${String(threads).padStart(2)} threads: ${N} docs in ${secs.toFixed(2)} s: ${(N / secs).toFixed(0)} docs/s, ` +
      `${(textMb / secs).toFixed(2)} MB/s of text (${(fileMb / secs).toFixed(2)} MB/s of file, ${fileMb.toFixed(1)} MB)`,
  );
}

const texts = Array.from({ length: N }, (_, i) => makeText(i));
const jsonlPath = join(dir, 'bench.jsonl');
writeFileSync(
  jsonlPath,
  texts.map((text, i) => `${JSON.stringify({ text, url: `http://bench.example/${i}` })}\n`).join(''),
);
const parquetPath = join(dir, 'bench.parquet');
writeFileSync(
  parquetPath,
  Buffer.from(
    parquetWriteBuffer({
      columnData: [
        { name: 'content', data: texts, type: 'STRING' },
        { name: 'url', data: texts.map((_, i) => `http://bench.example/${i}`), type: 'STRING' },
        { name: 'timestamp', data: texts.map(() => new Date(Date.UTC(2023, 0, 27))), type: 'TIMESTAMP' },
        { name: 'dump', data: texts.map(() => 'CC-MAIN-2023-06'), type: 'STRING' },
        { name: 'segment', data: texts.map(() => '1674764499470.19'), type: 'STRING' },
      ],
      rowGroupSize: 1000,
    }),
  ),
);

console.log(
  `ingest benchmark: ${N} docs of ${DOC_BYTES} B; Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load ${os.loadavg()[0]?.toFixed(2)}`,
);
const tok = mistralTokenizer();
const t0 = performance.now();
let tokens = 0;
for (const t of texts) tokens += tok.count(t);
const tokSecs = (performance.now() - t0) / 1000;
console.log(
  `tokenize ${N} docs alone: ${(N / tokSecs).toFixed(0)} docs/s (${(tokens / tokSecs).toFixed(0)} tokens/s, ${(tokens / N).toFixed(0)} tokens/doc)`,
);
try {
  for (const threads of [0, THREADS]) {
    await bench('jsonl', jsonlPath, threads);
    await bench('parquet', parquetPath, threads);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
