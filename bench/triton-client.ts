/**
 * Does the cluster client + micro-batcher keep a Triton server saturated?
 *
 * 1. Start the GPU-cost simulator with known settings; its capacity is
 *    C = instances × max_batch / batch_delay.
 * 2. Measure C for real: saturate the server with concurrent full-batch
 *    ModelInfer requests over plain undici (no client logic in the way).
 * 3. Push many single-prompt submits through TritonCluster + MicroBatcher
 *    and measure end-to-end throughput (first submit to last answer).
 * The client must reach ≥ 0.95·C.
 *
 * node bin/run-ts.js bench/triton-client.ts [--prompts=6400] [--delay-ms=200] [--max-batch=32] [--instances=2]
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { MicroBatcher, TritonCluster } from '../lib/triton/index.ts';
import { measureCapacity, SIM_MODEL, SIM_PARAMS, startSim, theoreticalCapacity } from './sim.ts';

const { values: argv } = parseArgs({
  options: {
    prompts: { type: 'string', default: '6400' },
    'delay-ms': { type: 'string', default: '200' },
    'max-batch': { type: 'string', default: '32' },
    instances: { type: 'string', default: '2' },
    'saturate-s': { type: 'string', default: '12' },
  },
});
const N = Number(argv.prompts);
const DELAY_MS = Number(argv['delay-ms']);
const MAX_BATCH = Number(argv['max-batch']);
const INSTANCES = Number(argv.instances);
const SATURATE_S = Number(argv['saturate-s']);
const MODEL = SIM_MODEL;
const params = SIM_PARAMS;
const sim = { delayMs: DELAY_MS, maxBatch: MAX_BATCH, instances: INSTANCES };
const theoretical = theoreticalCapacity(sim);

const prompt = (i: number) =>
  `<s> <CON> Sample ${i}: the mill closed because the river dried up. However, the town kept its bakery. </CON>\n\n`;

async function throughClient(
  url: string,
): Promise<{ rate: number; batches: number; maxPendingSeen: number }> {
  const cluster = await new TritonCluster({
    urls: [url],
    models: [MODEL],
    maxInFlightPerEndpoint: 2 * INSTANCES,
  }).start();
  const batcher = new MicroBatcher(cluster, { model: MODEL, params, maxBatch: MAX_BATCH, lingerMs: 5 });
  let maxPendingSeen = 0;
  const t0 = performance.now();
  const answers: Array<Promise<string>> = [];
  for (let i = 0; i < N; i++) {
    // The producer honours backpressure, as the synth service does with its Kafka consumer.
    await batcher.whenRoom();
    answers.push(batcher.submit(prompt(i)));
    maxPendingSeen = Math.max(maxPendingSeen, batcher.pending);
  }
  const outputs = await Promise.all(answers);
  const seconds = (performance.now() - t0) / 1000;
  if (!outputs.every((o) => o.includes('</END>'))) throw new Error('an output is not synthesizer text');
  // Successful requests minus the one config read.
  const batches = (cluster.endpointStates()[0]?.succeeded ?? 1) - 1;
  await cluster.close();
  return { rate: N / seconds, batches, maxPendingSeen };
}

const server = await startSim(sim);
try {
  console.log(
    `theoretical C = ${INSTANCES} × ${MAX_BATCH} / ${DELAY_MS} ms = ${theoretical.toFixed(1)} prompts/s`,
  );
  const measured = await measureCapacity(server.url, sim, SATURATE_S, prompt);
  console.log(
    `measured C (raw undici, ${4 * INSTANCES} concurrent full batches, ${SATURATE_S} s window) = ${measured.toFixed(1)} prompts/s`,
  );
  const client = await throughClient(server.url);
  const ratio = client.rate / measured;
  const observed = server.observed().filter((b) => b.prompts[0]?.includes('Sample'));
  const clientBatches = observed.slice(-Math.ceil(N / MAX_BATCH));
  const meanBatch = clientBatches.reduce((n, b) => n + b.batch_size, 0) / Math.max(1, clientBatches.length);
  const result = {
    machine: `${cpus().length} cores, Node ${process.version}`,
    prompts: N,
    theoreticalC: Number(theoretical.toFixed(1)),
    measuredC: Number(measured.toFixed(1)),
    clientThroughput: Number(client.rate.toFixed(1)),
    ratio: Number(ratio.toFixed(3)),
    clientRequests: client.batches,
    meanServerBatch: Number(meanBatch.toFixed(1)),
    maxPendingSeen: client.maxPendingSeen,
  };
  console.log(
    `client throughput (${N} single-prompt submits, end to end) = ${client.rate.toFixed(1)} prompts/s`,
  );
  console.log(`ratio client / C = ${ratio.toFixed(3)} (target ≥ 0.95)`);
  console.log(JSON.stringify(result));
  process.exitCode = ratio >= 0.95 ? 0 : 1;
} finally {
  await server.stop();
}
