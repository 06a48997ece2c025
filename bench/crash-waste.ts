/**
 * The GPU work a synth crash wastes. Two engine sims (`instruction_synthesizer_engine_sim`, each
 * its own Triton and prefix cache, started here) serve one `ipt synth` child process on fresh
 * topics with a backlog of web-like documents; synth is SIGKILLed --kills times under load (each
 * process after it has produced its share of rounds) and started again at once. From the engines'
 * own accounting against the committed rounds topic (tests/reliability/gpu-waste.ts):
 * generated ÷ committed output tokens, rounds generated again per kill, GPU-seconds wasted per
 * kill, and the prefix-hit share in the minute after a kill against the share before the first.
 *
 * Variants, each on its own topics and documents against the same engines:
 * - `before`: `--no-keep-answers --no-keep-engines` (synth as it was);
 * - `after`: answers kept outside the transaction, each chain's engine in its state, requests over
 *   HTTP (`--triton-grpc off`): the requests in flight at a kill are generated to the end for nobody;
 * - `grpc`: as `after`, requests over gRPC (`--triton-grpc auto`): the kill closes the connection,
 *   Triton cancels the requests in flight and the engine drops them.
 *
 * node bin/run-ts.js bench/crash-waste.ts [--docs=3072] [--kills=3] [--partitions=4]
 *   [--time-scale=1] [--variants=before,after,grpc] [--ports=28400-28500] [--write]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { mistralTokenizer } from '../core/mistral.ts';
import type { SynthRound } from '../core/types.ts';
import type { Topics } from '../lib/topics.ts';
import { readDecoded } from '../tests/helpers/read-topic.ts';
import { type ServiceProcess, spawnIpt } from '../tests/helpers/service-process.ts';
import {
  committedOutput,
  EngineWatch,
  engineCost,
  engineCounters,
  type GpuWaste,
  gpuWaste,
} from '../tests/reliability/gpu-waste.ts';
import { ENGINE_MODEL, type EngineServer, startEngine } from './engine-sim.ts';
import { produceBacklog } from './feed.ts';
import { machine, metric, sleep } from './proc.ts';
import { fmt, ranLine, writeResultsBlock } from './results.ts';
import { benchKafka, endpoints, freePort, namespaceOf, withTopics } from './services.ts';
import { WebText } from './texts.ts';

const VARIANTS = {
  before: ['--no-keep-answers', '--no-keep-engines', '--triton-grpc', 'off'],
  after: ['--triton-grpc', 'off'],
  grpc: ['--triton-grpc', 'auto'],
} as const;
type Variant = keyof typeof VARIANTS;

const { values: argv } = parseArgs({
  options: {
    docs: { type: 'string', default: '3072' },
    kills: { type: 'string', default: '3' },
    partitions: { type: 'string', default: '4' },
    'time-scale': { type: 'string', default: '1' },
    variants: { type: 'string', default: 'before,after,grpc' },
    ports: { type: 'string', default: '28400-28500' },
    write: { type: 'boolean', default: false },
  },
});
const DOCS = Number(argv.docs);
const KILLS = Number(argv.kills);
const PARTITIONS = Number(argv.partitions);
const [firstPort, lastPort] = argv.ports.split('-').map(Number) as [number, number];
const variants = argv.variants.split(',') as Variant[];
for (const v of variants) if (!(v in VARIANTS)) throw new Error(`unknown variant ${v}`);
/** The prefix-hit share after a kill, as a share of the steady one, held to at least this. */
const LIMIT_HIT_SHARE = 0.9;

interface KillNote {
  at: number;
  /** Requests running or waiting on the engines as the kill landed. */
  engineInFlight: number;
  /** What the killed process had counted since it started. */
  regenerated: number;
  reused: number;
}

interface VariantResult {
  variant: Variant;
  waste: GpuWaste;
  /** Prefix-hit share in the first 15 s after each restarted synth was ready (restored chains first). */
  hitShareAfterRestart: number;
  /** Round-1 requests in the minute after a kill that went to the engine of the chain's round 0. */
  routedHome: { share: number; requests: number };
  kills: KillNote[];
  reusedAnswers: number;
  seconds: number;
}

async function inFlight(engines: EngineServer[]): Promise<number> {
  let n = 0;
  for (const e of engines) {
    const s = (await (await fetch(e.statsUrl)).json()) as { running: number; waiting: number };
    n += s.running + s.waiting;
  }
  return n;
}

async function waitReady(proc: ServiceProcess, opsPort: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${opsPort}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    if (!proc.alive()) throw new Error(`synth exited:\n${proc.tail()}`);
    if (Date.now() > deadline) throw new Error(`synth not ready in ${timeoutMs} ms:\n${proc.tail()}`);
    await sleep(250);
  }
}

/** DOCS web-like 2 KB texts with their token counts; another seed gives other texts (no cache hits across variants). */
function webTexts(seed: number): { text: string; tokens: number }[] {
  const text = new WebText(seed);
  const tokenizer = mistralTokenizer();
  return Array.from({ length: DOCS }, () => {
    const t = text.make(2_000);
    return { text: t, tokens: tokenizer.count(t) };
  });
}

async function spawnSynth(variant: Variant, topics: Topics, runId: string, engines: EngineServer[]) {
  const opsPort = await freePort();
  const proc = spawnIpt(
    [
      'synth',
      '--run-id',
      runId,
      '--triton',
      engines.map((e) => e.url).join(','),
      '--model',
      ENGINE_MODEL,
      '--m',
      '2',
      '--k',
      '16',
      '--session-timeout-ms',
      '6000',
      '--topic-namespace',
      namespaceOf(topics),
      '--ops-port',
      String(opsPort),
      ...VARIANTS[variant],
    ],
    `synth-${variant}`,
  );
  return { proc, opsPort };
}

/** Every request the engines received (their observe files), by prompt, in arrival order. */
function sendsByPrompt(engines: EngineServer[]): Map<string, { engine: number; at: number }[]> {
  const sends = new Map<string, { engine: number; at: number }[]>();
  const all = engines.flatMap((e, engine) =>
    e.observed().flatMap((b) => b.prompts.map((prompt) => ({ prompt, engine, at: b.time * 1000 }))),
  );
  for (const { prompt, engine, at } of all.sort((x, y) => x.at - y.at)) {
    const list = sends.get(prompt) ?? [];
    list.push({ engine, at });
    sends.set(prompt, list);
  }
  return sends;
}

/**
 * Of the round-1 requests the engines received in the minute after a kill (cut at the next one),
 * the share that went to the engine of the chain's round 0 (its latest request before): where the
 * prefix cache holds the history. From the engines' observe files and the committed prompts.
 */
async function routedHome(
  engines: EngineServer[],
  topics: Topics,
  runId: string,
  kills: number[],
): Promise<{ share: number; requests: number }> {
  const rounds = (await readDecoded<SynthRound>(benchKafka, endpoints.registry.url, topics.rounds)).filter(
    (r) => r.kind === 'ROUND' && r.run.run_id === runId && r.prompt !== null,
  );
  const sends = sendsByPrompt(engines);
  const roundZero = new Map(
    rounds.filter((r) => r.round_index === 0).map((r) => [r.chain_id, r.prompt as string]),
  );
  const inWindow = (t: number) =>
    kills.some((k, i) => t >= k && t < Math.min(k + 60_000, kills[i + 1] ?? Infinity));
  let home = 0;
  let requests = 0;
  for (const r1 of rounds.filter((r) => r.round_index === 1)) {
    const zero = sends.get(roundZero.get(r1.chain_id) ?? '') ?? [];
    for (const send of sends.get(r1.prompt as string) ?? []) {
      if (!inWindow(send.at)) continue;
      const before = zero.filter((z) => z.at <= send.at).pop();
      if (!before) continue;
      requests++;
      if (before.engine === send.engine) home++;
    }
  }
  return { share: requests > 0 ? home / requests : Number.NaN, requests };
}

async function runVariant(variant: Variant, engines: EngineServer[], seed: number): Promise<VariantResult> {
  return withTopics(`bench-crash-${variant}`, PARTITIONS, async (topics: Topics) => {
    await produceBacklog(topics.raw, DOCS, webTexts(seed));
    const runId = `crash-${variant}-${randomUUID().slice(0, 6)}`;
    const spawn = () => spawnSynth(variant, topics, runId, engines);
    const started = Date.now();
    const watch = await EngineWatch.start(engines.map((e) => e.statsUrl));
    const kills: KillNote[] = [];
    const restarts: number[] = [];
    let current = await spawn();
    let regenerated = 0;
    let reused = 0;
    try {
      await waitReady(current.proc, current.opsPort);
      // Each process is killed once it has produced its share, so every kill lands mid-stream.
      const share = Math.floor(DOCS / (KILLS + 2));
      for (let k = 0; k < KILLS; k++) {
        while ((await metric(current.opsPort, 'ipt_synth_rounds_total')) < share) {
          if (!current.proc.alive()) throw new Error(`synth died:\n${current.proc.tail()}`);
          await sleep(200);
        }
        const note = {
          regenerated: await metric(current.opsPort, 'ipt_synth_regenerated_rounds_total'),
          reused: await metric(current.opsPort, 'ipt_synth_reused_answers_total'),
        };
        const engineInFlight = await inFlight(engines);
        await current.proc.kill();
        kills.push({ at: Date.now(), engineInFlight, ...note });
        regenerated += note.regenerated;
        reused += note.reused;
        console.log(`${variant}: kill ${k + 1} with ${engineInFlight} requests at the engines`);
        current = await spawn();
        await waitReady(current.proc, current.opsPort);
        restarts.push(Date.now());
      }
      let committed = await committedOutput(benchKafka, endpoints.registry.url, topics.rounds, runId);
      while (committed.rounds < DOCS) {
        if (!current.proc.alive()) throw new Error(`synth died:\n${current.proc.tail()}`);
        await sleep(3_000);
        committed = await committedOutput(benchKafka, endpoints.registry.url, topics.rounds, runId);
      }
      regenerated += await metric(current.opsPort, 'ipt_synth_regenerated_rounds_total');
      reused += await metric(current.opsPort, 'ipt_synth_reused_answers_total');
      await current.proc.stop();
      // The engines finish what the last killed process left for nobody before the books close.
      while ((await inFlight(engines)) > 0) await sleep(500);
      const samples = await watch.stop();
      const waste = gpuWaste({
        samples,
        kills: kills.map((k) => k.at),
        committed,
        synthRegeneratedRounds: regenerated,
        engines: { cost: await engineCost(engines[0]?.statsUrl ?? ''), count: engines.length },
      });
      const restarted = gpuWaste({ samples, kills: restarts, committed, windowMs: 15_000 });
      return {
        variant,
        waste,
        hitShareAfterRestart: restarted.prefixHitShareAfterKills,
        routedHome: await routedHome(
          engines,
          topics,
          runId,
          kills.map((k) => k.at),
        ),
        kills,
        reusedAnswers: reused,
        seconds: (Date.now() - started) / 1000,
      };
    } finally {
      await watch.stop().catch(() => []);
      if (current.proc.alive()) await current.proc.kill();
    }
  });
}

function report(results: VariantResult[]): string {
  const m = machine();
  const rows = results.map((r) => {
    const w = r.waste;
    const perKillInFlight = r.kills.reduce((a, k) => a + k.engineInFlight, 0) / Math.max(1, r.kills.length);
    return (
      `| ${r.variant} | ${fmt(w.ratio, 3)} | ${w.generatedRounds} / ${w.committedRounds} | ` +
      `${fmt(w.regeneratedRoundsPerKill, 0)} | ${fmt(perKillInFlight, 0)} | ${w.synthRegeneratedRounds ?? 'n/a'} | ` +
      `${r.reusedAnswers} | ${fmt(w.wastedGpuSecondsPerKill, 1)} (${fmt(w.wastedGpuSecondsPerKill / w.fullBatchGpuSeconds, 2)}) | ` +
      `${fmt(w.prefixHitShareSteady, 3)} | ${fmt(w.prefixHitShareAfterKills, 3)} ` +
      `(${fmt(w.prefixHitShareAfterKills / w.prefixHitShareSteady / LIMIT_HIT_SHARE, 2)}) | ` +
      `${fmt(r.hitShareAfterRestart, 3)} | ${fmt(r.routedHome.share, 3)} (${r.routedHome.requests}) | ${fmt(r.seconds, 0)} |`
    );
  });
  return [
    '## GPU work a synth crash wastes (bench/crash-waste.ts) — 2026-12-06',
    '',
    '<!-- generated by bench/crash-waste.ts --write: each ### section is replaced when it is run again -->',
    '',
    `Machine: ${m.cpu}, ${m.cores} cores (polyglot, shared with other work), Node ${m.node}. Two engine sims ` +
      `(H100 / Mistral-7B preset, time scale ${argv['time-scale']}, prefix caching on, echoed answers), one ` +
      `\`ipt synth\` (M = 2, K = 16, session timeout 6 s) on ${PARTITIONS} partitions, ${DOCS} web-like ` +
      `2 KB documents per variant, SIGKILLed ${KILLS} times under load and restarted at once. GPU-seconds are ` +
      `the engines' simulated H100-seconds (both engines together), attributed by the share of generated tokens ` +
      `not committed. Limits: per kill, the GPU time of one full batch on every engine (max_num_seqs requests of ` +
      `the run's mean prefill and output, from the engines' step cost — what the requests running at a kill ` +
      `cost at most when they are generated to the end for nobody, as over HTTP, whose frontend does not cancel a ` +
      `request whose client is gone; figure ÷ limit, ≤ 1 passes), after-kill hit share ≥ ` +
      `${LIMIT_HIT_SHARE} × steady (figure ÷ limit, ≥ 1 passes). The minute after a kill is cut at the next kill; ` +
      `the steady share is the rest of the run; the first 15 s after a restarted synth is ready are ` +
      `when its restored chains send their rounds. Variants: before — synth without kept answers or engines; ` +
      `after — answers and engines kept, requests over HTTP; grpc — as after, requests over gRPC, so the kill ` +
      `closes the connection and Triton cancels what was in flight (the engine sim drops a cancelled request ` +
      `between steps, asking every 100 ms).`,
    '',
    `### Before and after`,
    ranLine('bench/crash-waste.ts'),
    '',
    '| variant | generated ÷ committed tokens | rounds generated / committed | rounds re-generated per kill (engines) | requests at the engines at a kill | synth: regenerated_rounds_total | synth: reused answers | GPU-s wasted per kill (÷ limit) | prefix-hit share steady | after kills (÷ limit) | first 15 s after a restart | round 1 sent to the engine of round 0, minute after a kill (requests) | run s |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

async function main(): Promise<void> {
  const settings = { timeScale: Number(argv['time-scale']), prefixCaching: true };
  const engines: EngineServer[] = [];
  try {
    for (let i = 0; i < 2; i++)
      engines.push(await startEngine(settings, { first: firstPort, last: lastPort }));
    // Not a fresh engine's first figures: the stats must answer before anything is measured.
    await engineCounters(engines.map((e) => e.statsUrl));
    const results: VariantResult[] = [];
    for (const [i, variant] of variants.entries()) {
      console.log(`\n=== ${variant}`);
      const r = await runVariant(variant, engines, 11 + i);
      console.log(JSON.stringify({ ...r.waste, kills: r.kills, reused: r.reusedAnswers }, null, 1));
      results.push(r);
    }
    const text = report(results);
    console.log(`\n${text}`);
    if (argv.write) writeResultsBlock('crash-waste', text, true);
  } finally {
    for (const e of engines) await e.stop().catch(() => {});
  }
}

await main();
