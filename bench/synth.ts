/**
 * Does streaming synth keep the inference server saturated, and does its memory stay bounded?
 *
 * 1. Start the GPU-cost simulator and measure its capacity C by saturating it directly.
 * 2. Streaming: a backlog of N raw documents in Kafka; `ipt synth` (a child process, M = 2) turns
 *    them into N rounds, exactly once. Throughput = rounds/s in the steady window (10 % → 90 % of N)
 *    and end to end (first round → last round). Target ≥ 0.95·C.
 * 3. The paper's offline loop on the same server: all round-0 prompts as one job, then all round-1
 *    prompts (built from round-0 outputs) as the next: N / total time.
 * 4. Memory: `ipt synth` against backlogs of two sizes; its RSS is sampled while the backlog lasts.
 *
 * node bin/run-ts.js bench/synth.ts [--docs=6000] [--partitions=4] [--delay-ms=200] [--max-batch=32]
 *   [--instances=2] [--memory-docs=5000,40000]
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { readingBlock } from '../core/format.ts';
import { mistralTokenizer } from '../core/mistral.ts';
import type { RawDocument } from '../core/types.ts';
import { loadEndpoints } from '../lib/endpoints.ts';
import { kafkaClient } from '../lib/kafka/client.ts';
import type { Topics } from '../lib/topics.ts';
import { freshTopics } from '../tests/helpers/pipeline-topics.ts';
import { produceRawDocuments, rawDocument } from '../tests/helpers/raw-docs.ts';
import { spawnIpt } from '../tests/helpers/service-process.ts';
import { offlineRoundSynchronous } from './offline.ts';
import { metric, rssMiB, sleep } from './proc.ts';
import { measureCapacity, SIM_MODEL, simClient, startSim, theoreticalCapacity } from './sim.ts';

const { values: argv } = parseArgs({
  options: {
    docs: { type: 'string', default: '6000' },
    partitions: { type: 'string', default: '4' },
    'delay-ms': { type: 'string', default: '200' },
    'max-batch': { type: 'string', default: '32' },
    instances: { type: 'string', default: '2' },
    'saturate-s': { type: 'string', default: '10' },
    'memory-docs': { type: 'string', default: '5000,40000' },
    'memory-s': { type: 'string', default: '25' },
  },
});
const N = Number(argv.docs);
const PARTITIONS = Number(argv.partitions);
const sim = {
  delayMs: Number(argv['delay-ms']),
  maxBatch: Number(argv['max-batch']),
  instances: Number(argv.instances),
};
const endpoints = loadEndpoints();
const kafka = kafkaClient('bench-synth', endpoints.kafka.brokers);

// 200 distinct texts (each counted once), reused under distinct doc ids: a big backlog without
// spending minutes in the tokenizer. Synth treats every record as a new document either way.
const tokenizer = mistralTokenizer();
const TEXTS = Array.from({ length: 200 }, (_, i) => rawDocument(i, undefined, tokenizer));
const doc = (i: number): RawDocument => ({
  ...(TEXTS[i % TEXTS.length] as RawDocument),
  doc_id: `bench-${i}`,
});

async function backlog(prefix: string, count: number): Promise<Topics> {
  const topics = await freshTopics(prefix, PARTITIONS);
  await produceRawDocuments(
    kafka,
    endpoints.registry.url,
    topics.raw,
    Array.from({ length: count }, (_, i) => doc(i)),
  );
  return topics;
}

function synthProcess(topics: Topics, tritonUrl: string, opsPort: number) {
  return spawnIpt(
    [
      'synth',
      '--run-id',
      `bench-${randomUUID().slice(0, 8)}`,
      '--topic-namespace',
      topics.raw.slice(0, -'.ipt.docs.raw'.length),
      '--triton',
      tritonUrl,
      '--model',
      SIM_MODEL,
      '--max-batch',
      String(sim.maxBatch),
      '--max-in-flight',
      String(2 * sim.instances),
      '--ops-port',
      String(opsPort),
    ],
    'synth',
  );
}

/** The child process's pid (spawnIpt starts `node bin/ipt.js` as the group leader). */
async function streaming(tritonUrl: string): Promise<{ steady: number; endToEnd: number; seconds: number }> {
  const topics = await backlog('bench-synth', N);
  const opsPort = 19_400 + Math.floor(Math.random() * 500);
  const synth = synthProcess(topics, tritonUrl, opsPort);
  const samples: { t: number; rounds: number }[] = [];
  const deadline = Date.now() + 20 * 60_000;
  try {
    for (;;) {
      const rounds = await metric(opsPort, 'ipt_synth_rounds_total');
      samples.push({ t: performance.now(), rounds });
      if (rounds >= N) break;
      if (Date.now() > deadline || !synth.alive())
        throw new Error(`synth stalled at ${rounds}:\n${synth.tail()}`);
      await sleep(200);
    }
  } finally {
    await synth.stop();
  }
  const at = (fraction: number) =>
    samples.find((s) => s.rounds >= fraction * N) as { t: number; rounds: number };
  const first = samples.find((s) => s.rounds > 0) as { t: number; rounds: number };
  const last = samples[samples.length - 1] as { t: number; rounds: number };
  const lo = at(0.1);
  const hi = at(0.9);
  return {
    steady: (hi.rounds - lo.rounds) / ((hi.t - lo.t) / 1000),
    endToEnd: (last.rounds - first.rounds) / ((last.t - first.t) / 1000),
    seconds: (last.t - first.t) / 1000,
  };
}

async function memory(
  tritonUrl: string,
  count: number,
): Promise<{ maxRss: number; maxBuffered: number; lagAtEnd: number }> {
  const topics = await backlog('bench-synth-mem', count);
  const opsPort = 19_900 + Math.floor(Math.random() * 90);
  const synth = synthProcess(topics, tritonUrl, opsPort);
  let maxRss = 0;
  let maxBuffered = 0;
  const end = Date.now() + Number(argv['memory-s']) * 1000;
  try {
    while (Date.now() < end) {
      maxRss = Math.max(maxRss, rssMiB(synth.pid));
      maxBuffered = Math.max(maxBuffered, await metric(opsPort, 'ipt_synth_records_buffered'));
      await sleep(500);
    }
    return { maxRss, maxBuffered, lagAtEnd: count - (await metric(opsPort, 'ipt_synth_rounds_total')) };
  } finally {
    await synth.kill();
  }
}

const server = await startSim(sim);
try {
  const prompt = (i: number) => readingBlock((TEXTS[i % TEXTS.length] as RawDocument).text);
  const C = await measureCapacity(server.url, sim, Number(argv['saturate-s']), prompt);
  console.log(
    `theoretical C = ${theoreticalCapacity(sim).toFixed(1)} prompts/s; measured C = ${C.toFixed(1)} prompts/s`,
  );
  const stream = await streaming(server.url);
  console.log(
    `streaming synth, M = 2, ${N} docs, ${PARTITIONS} partitions: steady ${stream.steady.toFixed(1)} rounds/s ` +
      `(ratio ${(stream.steady / C).toFixed(3)}), end to end ${stream.endToEnd.toFixed(1)} rounds/s (ratio ${(stream.endToEnd / C).toFixed(3)}) in ${stream.seconds.toFixed(1)} s`,
  );
  const paper = await offlineRoundSynchronous(
    [server.url],
    simClient(sim),
    Array.from({ length: N }, (_, i) => doc(i)),
    tokenizer,
  );
  console.log(
    `offline round-synchronous loop: ${paper.rate.toFixed(1)} rounds/s (ratio ${(paper.rate / C).toFixed(3)}) in ${paper.seconds.toFixed(1)} s; ` +
      `rounds took ${paper.roundSeconds.map((s) => s.toFixed(1)).join(' s + ')} s`,
  );
  const mem: Record<string, Awaited<ReturnType<typeof memory>>> = {};
  for (const count of argv['memory-docs'].split(',').map(Number)) {
    mem[count] = await memory(server.url, count);
    console.log(
      `memory, backlog ${count}: max RSS ${mem[count].maxRss.toFixed(0)} MiB, max buffered ${mem[count].maxBuffered}, still unprocessed ${mem[count].lagAtEnd}`,
    );
  }
  console.log(
    JSON.stringify({
      machine: `${cpus().length} cores, Node ${process.version}`,
      C: Number(C.toFixed(1)),
      streaming: { ...stream, ratioSteady: stream.steady / C, ratioEndToEnd: stream.endToEnd / C },
      offline: { ...paper, ratio: paper.rate / C },
      memory: mem,
    }),
  );
  process.exitCode = stream.steady >= 0.95 * C ? 0 : 1;
} finally {
  await server.stop();
}
