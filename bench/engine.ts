/**
 * The whole pipeline on a continuous-batching GPU: `ipt ingest --serve` → `ipt synth`
 * → `ipt assemble` as child processes, synth on its DEFAULT concurrency flags, against the engine
 * simulator `instruction_synthesizer_engine_sim` (vLLM-like scheduling, prefix caching, its own
 * accounting on a stats port) started here on ports of --ports:
 *
 * - (always) C_engine, by saturating an engine with prefix caching off directly (plain undici,
 *   1.5 × max_num_seqs loops each sending a chain's round 0 then its round 1) — the pipeline's
 *   prompt and output-length mix with no prefix reuse;
 * - streaming: M = 2, web-like 2 KB documents, engine with prefix caching on: busy ≥ 0.97 of the
 *   steady window and ≥ 0.95·C_engine; the same against the caching-off engine;
 * - offline: the paper's loop (all round-0 prompts at once, then all round-1 prompts) on both
 *   engines: streaming ≥ 1.1× its documents/s, split into the round barrier and the warm cache;
 * - grid: 1, 2, 4 engines behind 1 and 2 synth instances; what the defaults chose for concurrency;
 * - latency: ingested_at → augmented record at 0.5·C_engine.
 *
 * node bin/run-ts.js bench/engine.ts [--sections=streaming,offline,grid,latency]
 *   [--time-scale=0.2] [--docs=4000] [--grid-docs=2000] [--latency-s=30] [--capacity-s=15]
 *   [--warmup-s=8] [--partitions=4] [--ports=28200-28400] [--write]
 */
import { parseArgs } from 'node:util';
import { mistralTokenizer } from '../core/mistral.ts';
import {
  allStats,
  type CapacityResult,
  type ChainPair,
  closedFormCapacity,
  ENGINE_MODEL,
  type EngineServer,
  type EngineSettings,
  type EngineStats,
  type EngineWindow,
  engineWindow,
  measureEngineCapacity,
  type PortRange,
  startEngine,
} from './engine-sim.ts';
import { type FeedDoc, rawDocuments } from './feed.ts';
import { type OfflineResult, offlineRoundSynchronous } from './offline.ts';
import {
  latencyRows,
  latencyRun,
  type RunResult,
  type RunShape,
  type Sample,
  steadyWindow,
  throughput,
} from './pipeline-run.ts';
import { machine, metric, metricBy } from './proc.ts';
import { fmt, quantile, ranLine, writeResultsBlock } from './results.ts';
import type { PipelineSettings, RunningPipeline } from './services.ts';
import { SIM_PARAMS } from './sim.ts';
import { WebText } from './texts.ts';

const SECTIONS = ['streaming', 'offline', 'grid', 'latency'];
const { values: argv } = parseArgs({
  options: {
    sections: { type: 'string', default: SECTIONS.join(',') },
    'time-scale': { type: 'string', default: '0.2' },
    docs: { type: 'string', default: '4000' },
    'grid-docs': { type: 'string', default: '2000' },
    'latency-s': { type: 'string', default: '30' },
    'capacity-s': { type: 'string', default: '15' },
    'warmup-s': { type: 'string', default: '8' },
    partitions: { type: 'string', default: '4' },
    ports: { type: 'string', default: '28200-28400' },
    'doc-bytes': { type: 'string', default: '2048' },
    write: { type: 'boolean', default: false },
  },
});
const sections = new Set(argv.sections.split(','));
const SCALE = Number(argv['time-scale']);
const DOC_BYTES = Number(argv['doc-bytes']);
const [firstPort, lastPort] = argv.ports.split('-').map(Number);
const PORTS: PortRange = { first: firstPort as number, last: lastPort as number };
// A partial block at the end of the input closes 500 ms after its last record (default 5 s).
const shape: RunShape = { partitions: Number(argv.partitions), idleMs: 500, threads: 0 };
// Synth as an operator starts it for this model: no --max-batch, no --max-in-flight.
const defaults = (synthInstances: number): Omit<PipelineSettings, 'tritonUrl'> => ({
  model: ENGINE_MODEL,
  rounds: 2,
  synthInstances,
});
// The client's per-endpoint gauges in synth's /metrics (lib/triton/metrics.ts).
const IN_FLIGHT = 'ipt_triton_client_in_flight_requests';
const LIMIT = 'ipt_triton_client_concurrency_limit';
const AFFINITY_HITS = 'ipt_triton_client_affinity_hits_total';
const AFFINITY_MISSES = 'ipt_triton_client_affinity_misses_total';

const started = new Date();
const host = machine();
console.log(
  `engine bench: ${host.cores} cores (${host.cpu}), Node ${host.node}, load average ${host.load}; ${started.toISOString()}`,
);

const tokenizer = mistralTokenizer();
// Every run gets texts no earlier run sent: an engine's prefix cache outlives a run, and a text seen
// before would be a prefix hit that has nothing to do with the run being measured.
const web = new WebText(15);
let made = 0;
const fresh = (n: number): FeedDoc[] =>
  Array.from({ length: n }, () => ({ id: `e${made++}`, text: web.make(DOC_BYTES) }));

const report: string[] = [];
const begin = () => ranLine('bench/engine.ts');
const missed: string[] = [];
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
const pct = (x: number) => `${fmt(100 * x, 1)} %`;

// Engines: one with prefix caching on (as the vLLM model runs), one with it off, started on demand.
const engines = new Map<string, EngineServer>();
const engine = async (s: EngineSettings): Promise<EngineServer> => {
  const key = JSON.stringify(s);
  let e = engines.get(key);
  if (!e) {
    e = await startEngine(s, PORTS);
    engines.set(key, e);
  }
  return e;
};
const cachingOn = () => engine({ timeScale: SCALE, prefixCaching: true });
const cachingOff = () => engine({ timeScale: SCALE, prefixCaching: false });

let capacity:
  | (CapacityResult & { maxNumSeqs: number; closedForm: number; stats: EngineStats; attempts: number })
  | undefined;
/** C_engine: the caching-off engine saturated directly with the pipeline's prompt mix. */
const measureC = async (): Promise<number> => {
  if (!capacity) {
    const e = await cachingOff();
    const [s0] = await allStats([e]);
    const maxNumSeqs = (s0 as EngineStats).config.max_num_seqs;
    const perEngine = Math.ceil(1.5 * maxNumSeqs);
    // Enough chains for the warm-up and the window at up to 4× the closed form's rate at P = 1 000.
    const seconds = Number(argv['capacity-s']) + Number(argv['warmup-s']);
    const bound = closedFormCapacity(s0 as EngineStats, 500, 250);
    // C_engine is every other figure's denominator: a window in which the box starved the engine's
    // thread (its lag) would understate it, so such a measurement is repeated (at most 3 tries, the
    // least-lagged kept).
    let tries = 0;
    for (let attempt = 1; attempt <= 3; attempt++) {
      tries = attempt;
      const docs = rawDocuments(fresh(2 * Math.ceil(perEngine + bound * seconds)), tokenizer);
      const chains: ChainPair[] = [];
      for (let i = 0; i + 1 < docs.length; i += 2)
        chains.push({ first: docs[i] as ChainPair['first'], next: docs[i + 1] as ChainPair['next'] });
      const r = await measureEngineCapacity([e], chains, tokenizer, {
        perEngine,
        warmupS: Number(argv['warmup-s']),
        seconds: Number(argv['capacity-s']),
      });
      const w = r.windows[0] as EngineWindow;
      const closedForm = closedFormCapacity(
        s0 as EngineStats,
        (w.promptTokens - w.prefixHitTokens) / w.finished,
        w.generatedTokens / w.finished,
      );
      console.log(
        `C_engine = ${fmt(r.rate)} prompts/s (closed form ${fmt(closedForm)}); ${JSON.stringify(r)}`,
      );
      const lag = (capacity?.windows[0] as EngineWindow | undefined)?.lag ?? Number.POSITIVE_INFINITY;
      if (w.lag < lag) capacity = { ...r, maxNumSeqs, closedForm, stats: s0 as EngineStats, attempts: 0 };
      if (w.lag <= 0.01) break;
      console.log(`C_engine: ${pct(w.lag)} of the window lost to host CPU starvation; measuring again`);
    }
    if (capacity) capacity.attempts = tries;
  }
  if (!capacity) throw new Error('C_engine not measured');
  return capacity.rate;
};

interface Probe {
  engines: EngineStats[];
  /** per synth instance: endpoint → requests in flight */
  inFlight: Map<string, number>[];
  /** per synth instance: endpoint → the adaptive limit */
  limit: Map<string, number>[];
  /** chain rounds sent to the engine of their previous round, and elsewhere (all synth instances) */
  affinity: { hits: number; misses: number };
}

const probeOf =
  (es: EngineServer[]) =>
  async (p: RunningPipeline): Promise<Probe> => {
    const total = async (name: string) => sum(await Promise.all(p.synth.map((s) => metric(s.opsPort, name))));
    const [stats, inFlight, limit, hits, misses] = await Promise.all([
      allStats(es),
      Promise.all(p.synth.map((s) => metricBy(s.opsPort, IN_FLIGHT, 'endpoint'))),
      Promise.all(p.synth.map((s) => metricBy(s.opsPort, LIMIT, 'endpoint'))),
      total(AFFINITY_HITS),
      total(AFFINITY_MISSES),
    ]);
    return { engines: stats, inFlight, limit, affinity: { hits, misses } };
  };

interface Steady {
  rate: number;
  /** per engine, over the steady window */
  windows: EngineWindow[];
  meanRunning: number[];
  meanWaiting: number[];
  /** per synth instance, per engine (in the engines' order): mean requests in flight */
  inFlight: number[][];
  /** per synth instance, per engine: mean adaptive limit (NaN when synth publishes none) */
  limit: number[][];
  /** share of chain rounds sent to the engine of their previous round (NaN when synth counts none) */
  affinity: number;
}

/** What the engines and synth did in a run's steady window (10 % → 90 % of its rounds). */
function steady(r: RunResult<Probe>, es: EngineServer[]): Steady {
  const w = steadyWindow(r.samples, r.docs);
  if (!w) throw new Error('no steady window: too few samples');
  const inside = r.samples.filter((s) => s.t >= w.lo.t && s.t <= w.hi.t);
  const perEngine = (f: (s: Sample<Probe>, i: number) => number | undefined) =>
    es.map((_, i) => mean(inside.map((s) => f(s, i)).filter((x): x is number => x !== undefined)));
  const perSynth = (pick: (p: Probe) => Map<string, number>[]) =>
    (w.lo.probe.inFlight ?? []).map((_, j) =>
      perEngine((s, i) => pick(s.probe)[j]?.get((es[i] as EngineServer).url)),
    );
  return {
    rate: r.steadyRounds,
    windows: w.lo.probe.engines.map((a, i) => engineWindow(a, w.hi.probe.engines[i] as EngineStats)),
    meanRunning: perEngine((s, i) => s.probe.engines[i]?.running),
    meanWaiting: perEngine((s, i) => s.probe.engines[i]?.waiting),
    inFlight: perSynth((p) => p.inFlight),
    limit: perSynth((p) => p.limit),
    affinity: (() => {
      const hits = w.hi.probe.affinity.hits - w.lo.probe.affinity.hits;
      const misses = w.hi.probe.affinity.misses - w.lo.probe.affinity.misses;
      return hits + misses > 0 ? hits / (hits + misses) : Number.NaN;
    })(),
  };
}

const stream = async (label: string, es: EngineServer[], synthInstances: number, n: number) => {
  const r = await throughput(label, es, defaults(synthInstances), fresh(n), shape, { probe: probeOf(es) });
  const s = steady(r, es);
  console.log(`${label}: steady ${JSON.stringify(s)}`);
  return { r, s };
};

/** The paper's loop with every prompt of a round in flight at once, as vLLM's offline generate takes them. */
const offline = async (e: EngineServer, n: number) => {
  const raw = rawDocuments(fresh(n), tokenizer);
  const [a] = await allStats([e]);
  const r: OfflineResult = await offlineRoundSynchronous(
    [e.url],
    { model: ENGINE_MODEL, params: SIM_PARAMS, maxBatch: 1, maxInFlight: Math.ceil(n / 2) },
    raw,
    tokenizer,
  );
  const [b] = await allStats([e]);
  const w = engineWindow(a as EngineStats, b as EngineStats);
  console.log(
    `offline (${e.settings.prefixCaching ? 'caching on' : 'caching off'}): ${JSON.stringify({ r, w })}`,
  );
  return { r, w };
};

/**
 * C_engine for the prompt and output lengths a window actually saw, none of its prompt tokens cached:
 * a finite run's steady window leans to round 1 (round 0 of every chain is ready first), whose
 * prompts are longer than the even mix C_engine was measured on. The closed form gives the ratio
 * between the two mixes; measured C_engine sets the scale.
 */
function cForMix(windows: EngineWindow[]): number {
  const c = capacity as NonNullable<typeof capacity>;
  const finished = sum(windows.map((w) => w.finished));
  const P = sum(windows.map((w) => w.promptTokens)) / finished;
  const N = sum(windows.map((w) => w.generatedTokens)) / finished;
  return (c.rate * closedFormCapacity(c.stats, P, N)) / c.closedForm;
}

/** Requests all engines finished per second of the window, by their own counts and clocks. */
const served = (s: Steady) => sum(s.windows.map((w) => w.finished / w.seconds));
const mixNote =
  "the window's mean prompt and output tokens, none cached, in the closed form, scaled by measured C_engine ÷ the closed form at C_engine's mix";
const list = (xs: number[], d = 0) => xs.map((x) => fmt(x, d)).join(' / ');

try {
  // Every other section is a ratio to C_engine, so it is measured (and reported) in every run.
  {
    const ran = begin();
    const C = await measureC();
    const c = capacity as NonNullable<typeof capacity>;
    const w = c.windows[0] as EngineWindow;
    report.push(
      '### Engine capacity, no prefix reuse (C_engine)',
      '',
      ran,
      '',
      `Engine sim with prefix caching off, time scale ${SCALE}, max_num_seqs ${c.maxNumSeqs}; ${c.concurrency} loops of plain ` +
        "undici generate requests, each sending a chain's round 0 (a fresh 2 KB web-like text) and then its round 1 " +
        "(the next text, with round 0 and its answer as history, built as synth builds it) — the pipeline's prompt and " +
        `output-length mix at M = 2; every text used once; ${argv['warmup-s']} s warm-up, then a ${argv['capacity-s']} s window.`,
      '',
      '| figure | result |',
      '| --- | --- |',
      `| **C_engine** (prompts = documents answered per second in the window) | **${fmt(C)}** |`,
      `| the simulator's closed form for the window's mean prompt (${fmt((w.promptTokens - w.prefixHitTokens) / w.finished, 0)} tokens, none cached) and output (${fmt(w.generatedTokens / w.finished, 0)} tokens) | ${fmt(c.closedForm)} (measured ÷ closed form = ${fmt(C / c.closedForm, 3)}) |`,
      `| engine busy (step time ÷ wall time); lost to host CPU starvation | ${pct(w.busy)}; ${pct(w.lag)} |`,
      `| running / waiting sequences (mean of 200 ms samples) | ${fmt(c.meanRunning[0] as number)} / ${fmt(c.meanWaiting[0] as number)} |`,
      `| prefix-hit tokens | ${w.prefixHitTokens} of ${w.promptTokens} prompt tokens |`,
      `| preemptions | ${w.preemptions} |`,
      `| measurements (repeated while host CPU starvation took > 1 % of the window; the least-lagged kept) | ${c.attempts} |`,
      `| the engine's Triton process group, CPU seconds per second | ${fmt(c.serverCpu[0] as number, 2)} |`,
      '',
    );
  }

  let streamOn: Awaited<ReturnType<typeof stream>> | undefined;
  let streamOff: Awaited<ReturnType<typeof stream>> | undefined;
  const N = Number(argv.docs);
  if (sections.has('streaming') || sections.has('offline')) {
    const ran = begin();
    const C = await measureC();
    const on = await cachingOn();
    streamOn = await stream('engine-stream-on', [on], 1, N);
    streamOff = await stream('engine-stream-off', [await cachingOff()], 1, N);
    const rows = [
      ['prefix caching on (as the vLLM model runs)', streamOn],
      ['prefix caching off', streamOff],
    ] as const;
    for (const [name, { s }] of rows) console.log(`${name}: ${fmt(s.rate / C, 3)}·C_engine`);
    const busy = (streamOn.s.windows[0] as EngineWindow).busy;
    if (!(busy >= 0.97)) {
      const lag = (streamOn.s.windows[0] as EngineWindow).lag;
      missed.push(
        `streaming: engine busy ${fmt(busy, 3)} < 0.97 of the steady window (${pct(lag)} of it lost to host CPU starvation)`,
      );
    }
    if (!(streamOn.s.rate >= 0.95 * C))
      missed.push(`streaming ${fmt(streamOn.s.rate / C, 3)}·C_engine < 0.95·C_engine`);
    report.push(
      '### Streaming on the engine sim (synth on defaults)',
      '',
      ran,
      '',
      `${N} fresh 2 KB web-like documents per run POSTed to \`ipt ingest --serve\` as fast as it takes them; \`ipt synth\` ` +
        `with no concurrency flags (\`--model ${ENGINE_MODEL} --m 2\`, K = 16) and \`ipt assemble\`; ${shape.partitions} partitions; ` +
        `engine sim at time scale ${SCALE}; C_engine = ${fmt(C)} documents/s (above). Steady window: synth's rounds from ` +
        "10 % to 90 %; engine figures from its stats at the window's edges, running/waiting and synth's in-flight requests " +
        'sampled every 200 ms inside it.',
      '',
      '| figure | prefix caching on (as the vLLM model runs) | prefix caching off |',
      '| --- | --- | --- |',
      `| documents/s, steady window | **${fmt(streamOn.s.rate)} = ${fmt(streamOn.s.rate / C, 3)}·C_engine** (target ≥ 0.95) | ${fmt(streamOff.s.rate)} = ${fmt(streamOff.s.rate / C, 3)}·C_engine |`,
      `| requests the engine finished per second, same window (its own count) | ${fmt(served(streamOn.s))} | ${fmt(served(streamOff.s))} |`,
      `| C_engine for the window's own mix of prompt lengths (${mixNote}) | ${fmt(cForMix(streamOn.s.windows))} → documents/s ÷ it = ${fmt(streamOn.s.rate / cForMix(streamOn.s.windows), 3)} | ${fmt(cForMix(streamOff.s.windows))} → ${fmt(streamOff.s.rate / cForMix(streamOff.s.windows), 3)} |`,
      `| engine busy, steady window | **${pct(busy)}** (target ≥ 97 %) | ${pct((streamOff.s.windows[0] as EngineWindow).busy)} |`,
      `| … lost to host CPU starvation (the engine had work, its thread woke too late) | ${pct((streamOn.s.windows[0] as EngineWindow).lag)} | ${pct((streamOff.s.windows[0] as EngineWindow).lag)} |`,
      `| running / waiting sequences (mean) | ${fmt(streamOn.s.meanRunning[0] as number)} / ${fmt(streamOn.s.meanWaiting[0] as number)} | ${fmt(streamOff.s.meanRunning[0] as number)} / ${fmt(streamOff.s.meanWaiting[0] as number)} |`,
      `| synth's requests in flight (mean) / its adaptive limit | ${fmt(streamOn.s.inFlight[0]?.[0] ?? Number.NaN)} / ${fmt(streamOn.s.limit[0]?.[0] ?? Number.NaN)} | ${fmt(streamOff.s.inFlight[0]?.[0] ?? Number.NaN)} / ${fmt(streamOff.s.limit[0]?.[0] ?? Number.NaN)} |`,
      `| prefix-hit tokens ÷ prompt tokens | ${pct((streamOn.s.windows[0] as EngineWindow).prefixHit)} | ${pct((streamOff.s.windows[0] as EngineWindow).prefixHit)} |`,
      `| preemptions in the window | ${(streamOn.s.windows[0] as EngineWindow).preemptions} | ${(streamOff.s.windows[0] as EngineWindow).preemptions} |`,
      `| documents/s, first POST → last augmented record | ${fmt(streamOn.r.docsPerSec)} (${fmt(streamOn.r.seconds)} s) | ${fmt(streamOff.r.docsPerSec)} (${fmt(streamOff.r.seconds)} s) |`,
      `| CPU ms per document, all processes (pipeline, Triton, broker, bench) | ${fmt(sum(Object.values(streamOn.r.cpuPerDoc)) * 1000, 2)} | ${fmt(sum(Object.values(streamOff.r.cpuPerDoc)) * 1000, 2)} |`,
      '',
    );
  }

  if (sections.has('offline')) {
    const ran = begin();
    const C = await measureC();
    const sOn = streamOn as NonNullable<typeof streamOn>;
    const sOff = streamOff as NonNullable<typeof streamOff>;
    const oOn = await offline(await cachingOn(), N);
    const oOff = await offline(await cachingOff(), N);
    // Like for like: the same number of fresh documents, start to finish (streaming: first POST → last
    // augmented record, services already up), so both runs do the same work on the same mix.
    const total = sOn.r.docsPerSec / oOn.r.rate;
    const barrier = sOff.r.docsPerSec / oOff.r.rate;
    const warm = total / barrier;
    // The steady window instead, each rate divided by C_engine at its own window's mix.
    const adjusted = (rate: number, windows: EngineWindow[]) => rate / cForMix(windows);
    const steadyOn = adjusted(sOn.s.rate, sOn.s.windows) / adjusted(oOn.r.rate, [oOn.w]);
    const steadyOff = adjusted(sOff.s.rate, sOff.s.windows) / adjusted(oOff.r.rate, [oOff.w]);
    if (!(total >= 1.1)) missed.push(`streaming ${fmt(total, 3)}× the offline loop < 1.1×`);
    report.push(
      "### Streaming against the paper's offline loop on the engine sim",
      '',
      ran,
      '',
      `The paper's loop on the same engines (${N} fresh documents: all ${Math.ceil(N / 2)} round-0 prompts in flight ` +
        "at once, then — when every answer is back — all round-1 prompts, each chain's round 0 as history; the client " +
        'synth uses, one generate request per prompt), against the streaming runs above on as many documents. Prefix ' +
        "caching's worth is read from the engine's prefix-hit token counts; the round barrier's from the caching-off engine, " +
        'where no run can reuse a prefix.',
      '',
      '| figure | prefix caching on | prefix caching off |',
      '| --- | --- | --- |',
      `| offline loop, documents/s over the whole job (round 0 + round 1) | ${fmt(oOn.r.rate)} = ${fmt(oOn.r.rate / C, 3)}·C_engine (${oOn.r.roundSeconds.map((x) => fmt(x)).join(' s + ')} s) | ${fmt(oOff.r.rate)} = ${fmt(oOff.r.rate / C, 3)}·C_engine (${oOff.r.roundSeconds.map((x) => fmt(x)).join(' s + ')} s) |`,
      `| offline loop, prefix-hit tokens ÷ prompt tokens | ${pct(oOn.w.prefixHit)} | ${pct(oOff.w.prefixHit)} |`,
      `| offline loop, engine busy over the job | ${pct(oOn.w.busy)} | ${pct(oOff.w.busy)} |`,
      `| streaming, documents/s first POST → last augmented record | ${fmt(sOn.r.docsPerSec)} | ${fmt(sOff.r.docsPerSec)} |`,
      `| streaming, prefix-hit tokens ÷ prompt tokens (steady window) | ${pct((sOn.s.windows[0] as EngineWindow).prefixHit)} | ${pct((sOff.s.windows[0] as EngineWindow).prefixHit)} |`,
      `| **streaming ÷ offline**, same documents start to finish | **${fmt(total, 3)}×** (target ≥ 1.1) | ${fmt(barrier, 3)}× |`,
      `| streaming ÷ offline, steady window, each ÷ C_engine at its own mix | ${fmt(steadyOn, 3)}× | ${fmt(steadyOff, 3)}× |`,
      '',
      `The two effects (same documents, start to finish): **the round barrier removed** = streaming ÷ offline with caching ` +
        `off = **${fmt(barrier, 3)}×**; **prefix caching kept warm** = what caching adds to streaming ` +
        `(${fmt(sOn.r.docsPerSec / sOff.r.docsPerSec, 3)}×) over what it adds to the offline loop ` +
        `(${fmt(oOn.r.rate / oOff.r.rate, 3)}×) = **${fmt(warm, 3)}×**; together ${fmt(total, 3)}×.`,
      '',
    );
  }

  if (sections.has('grid')) {
    const ran = begin();
    const C = await measureC();
    const perEngine = Number(argv['grid-docs']);
    const rows: string[] = [];
    for (const count of [1, 2, 4]) {
      // A request takes count× longer on engines count× slower: so many more documents, or the
      // steady window would be a few request latencies of start-up and drain.
      const n = perEngine * count;
      // n engines each count× slower: together worth one engine at SCALE, so every case has the same
      // reference C_engine (the simulator's times scale exactly) and the box the same work.
      const es: EngineServer[] = [];
      try {
        for (let k = 0; k < count; k++)
          es.push(await startEngine({ timeScale: SCALE * count, prefixCaching: true }, PORTS));
        for (const instances of [1, 2]) {
          const { r, s } = await stream(`engine-grid-${count}e-${instances}s`, es, instances, n);
          const busy = s.windows.map((w) => w.busy);
          const lag = s.windows.map((w) => w.lag);
          const inFlight = s.inFlight.map((perEngine) => list(perEngine)).join(' · ');
          const limit = s.limit.map((perEngine) => list(perEngine)).join(' · ');
          rows.push(
            `| ${count} | ${instances} | ${r.docs} | ${fmt(s.rate)} | **${fmt(s.rate / C, 3)}** | ${fmt(s.rate / cForMix(s.windows), 3)} | ${fmt(served(s))} | ${list(busy.map((b) => 100 * b))} % (${list(
              lag.map((b) => 100 * b),
              1,
            )} %) | ${list(s.meanRunning)} | ${list(s.meanWaiting, 1)} | ${inFlight} | ${limit} | ${pct(s.affinity)} | ${pct(sum(s.windows.map((x) => x.prefixHitTokens)) / sum(s.windows.map((x) => x.promptTokens)))} |`,
          );
        }
      } finally {
        await Promise.all(es.map((e) => e.stop()));
      }
    }
    report.push(
      '### Engines × synth instances (synth on defaults)',
      '',
      ran,
      '',
      `${perEngine} fresh documents per engine per case (requests take as many times longer) through the whole pipeline, M = 2, ${shape.partitions} partitions, prefix caching on. ` +
        `With E engines each runs at time scale ${SCALE} × E, so together they are worth one engine at ${SCALE} and every case ` +
        `is measured against the same C_engine = ${fmt(C)} documents/s. Per engine (/ separates engines, · synth instances): ` +
        'busy share of the steady window, mean running and waiting sequences (engine stats), and what each synth instance ' +
        `kept in flight to each engine and its adaptive limit (synth's \`${IN_FLIGHT}\` and \`${LIMIT}\`, mean of 200 ms samples); ` +
        `chain affinity = \`${AFFINITY_HITS}\` ÷ (hits + \`${AFFINITY_MISSES}\`) in the window; prefix-hit tokens ÷ prompt tokens, all engines.`,
      '',
      "| engines | synth instances | documents | documents/s, steady | ÷ C_engine | ÷ C_engine at the window's mix | engines' requests/s | engine busy (lost to host CPU) | running | waiting | in flight per synth, per engine | limit per synth, per engine | rounds on their chain's engine | prefix-hit tokens |",
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
    );
  }

  if (sections.has('latency')) {
    const ran = begin();
    const C = await measureC();
    const rate = 0.5 * C;
    const docs = fresh(Math.round(rate * Number(argv['latency-s'])));
    const r = await latencyRun('engine-lat', [await cachingOn()], defaults(1), docs, rate, shape);
    console.log(
      `latency: p50 ${quantile(r.all, 0.5)} ms, p99 ${quantile(r.all, 0.99)} ms over ${r.all.length} documents`,
    );
    report.push(
      '### Latency at half of C_engine',
      '',
      ran,
      '',
      `${r.fed} documents POSTed to ingest at 0.5·C_engine = ${fmt(rate)} docs/s (bodies of ${r.perBody} every ` +
        `${fmt(r.intervalMs, 0)} ms, ${fmt(r.feedSeconds)} s); engine sim with prefix caching on, time scale ${SCALE}; synth ` +
        `on defaults, M = 2, K = 16, ${shape.partitions} partitions. Latency = arrival here of the committed augmented record ` +
        'holding the document − its `RawDocument.ingested_at`; documents ingested in the first and last 5 s left out.',
      '',
      ...latencyRows(r),
      '',
    );
  }
} finally {
  await Promise.all([...engines.values()].map((e) => e.stop()));
}

const head = [
  `## Continuous-batching engine (bench/engine.ts) — ${started.toISOString().slice(0, 10)}`,
  '',
  '<!-- generated by bench/engine.ts --write: each ### section is replaced when it is run again -->',
  '',
  `Machine: ${host.cores} cores (\`nproc\`), ${host.cpu} (/proc/cpuinfo), Node ${host.node}; the shared dev stack ` +
    '(Kafka 3.9, Apicurio) ran beside every section, and the engine sims were started by the bench on ports ' +
    `${argv.ports}. Engine sim \`${ENGINE_MODEL}\`: preset h100-7b (Mistral-7B on one H100, triton/ipt_synth/engine.py), ` +
    `answers echoed from the text (the simulated GPU costs no host CPU), **time scale ${SCALE}** (wall seconds per ` +
    `simulated GPU second: the engine runs ${fmt(1 / SCALE, 1)}× faster than the GPU it models, so the 2-core box carries ` +
    'the pipeline at C_engine). Each section says when it ran, the load average as it started and the command' +
    (process.env.IPT_BENCH_COMMIT
      ? `; the code measured is commit ${process.env.IPT_BENCH_COMMIT.slice(0, 7)}, exported clean (\`git archive\`) so other work in the tree was not.`
      : '.'),
  '',
].join('\n');
const section = [head, ...report].join('\n');
console.log(`\n${section}`);
if (missed.length) console.log(`missed: ${missed.join('; ')}`);
process.exitCode = missed.length ? 1 : 0;
if (argv.write)
  writeResultsBlock(
    'engine-bench',
    section,
    SECTIONS.every((x) => sections.has(x)),
  );
