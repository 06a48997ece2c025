// Chaos run: documents flow through `ipt synth` and `ipt assemble` (child processes, as an operator runs
// them) on a three-node Kafka cluster while, one after another with traffic between them: both services
// are SIGKILLed and restarted; the broker leading most partitions, the one coordinating synth's
// transactions and the one coordinating assemble's group are SIGKILLed and brought back; a broker is
// frozen (SIGSTOP) until it drops out of the ISR; a broker is down while both services crash; every
// Triton endpoint is stopped for a while and one endpoint answers every request with an error for a
// while. Documents are fed for as long as the schedule runs (feed.ts), so every fault lands mid-stream
// however fast or loaded the machine is; the feed stops once the last fault has recovered, and the
// pipeline drains. Afterwards a read_committed scan must find every raw document in exactly one
// augmented record or in the DLQ, every fault must have had committed work before and after it (its
// recovery time is reported), and the output logs must pass log-checks.ts (no aborted record read,
// rounds in order, two reads agree). Runs on the suite's private stack (global-setup.ts), never on the
// shared dev stack.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mistralTokenizer } from '../../core/mistral.ts';
import { type Endpoints, loadEndpoints } from '../../lib/endpoints.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import type { Topics } from '../../lib/topics.ts';
import { docKey, RunOutputs } from '../../services/accounting/run-outputs.ts';
import type { StackConfig } from '../../stack/config.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';
import { type ChaosAccounting, scanAccounting } from './accounting.ts';
import { BROKER_FAULTS, type BrokerFault, type FaultRecord, strikeBrokerFault } from './broker-faults.ts';
import { CommitClock } from './commit-clock.ts';
import { LiveFeed } from './feed.ts';
import { committedOutput, EngineWatch, engineCost, type GpuWaste, gpuWaste } from './gpu-waste.ts';
import { checkLogs, isRoundRecord, type LogVerdict } from './log-checks.ts';
import { chaosModel, chaosParams, prng, simArgs } from './params.ts';
import { privateStackConfig } from './private-stack.ts';
import { log, Supervised, supervise } from './supervised.ts';
import { TritonFaults } from './triton-faults.ts';

const params = chaosParams();
let endpoints: Endpoints;
let kafka: Kafka;
let cfg: StackConfig;
let triton: TritonFaults;
const scratch = mkdtempSync(join(tmpdir(), 'ipt-chaos-'));
const model = chaosModel();
const services: Supervised[] = [];
/** What the schedule is doing now, to tell when a service died on its own. */
let phase = 'start';

beforeAll(async () => {
  process.env.IPT_ENDPOINTS = inject('reliabilityEndpoints');
  endpoints = loadEndpoints();
  cfg = privateStackConfig(inject('reliabilityStack'), simArgs());
  // The driver's own Kafka clients lose brokers on purpose: their complaints go to a file, not the console.
  const clientLog = pino(
    { level: 'warn' },
    pino.destination(join(cfg.stateDir, 'logs', 'chaos-clients.log')),
  );
  kafka = kafkaClient('ipt-reliability-chaos', endpoints.kafka.brokers, clientLog);
  triton = new TritonFaults(cfg, ['--models', model, ...simArgs()], scratch, log);
  await triton.start();
});

afterAll(async () => {
  for (const s of services) if (s.proc?.alive()) await s.proc.kill();
  await triton?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const namespaceOf = (topics: Topics) => topics.raw.slice(0, -'.ipt.docs.raw'.length);

/**
 * Documents accounted for so far (in a committed augmented record of the run or in the DLQ), from a live
 * read_committed follower of the outputs; -1 while it cannot tell (the broker is restarting), after
 * which a fresh follower is started.
 */
class Progress {
  private follower: RunOutputs | undefined;

  constructor(
    private readonly topics: Topics,
    private readonly runId: string,
    private readonly docIds: () => readonly string[],
  ) {}

  async accounted(): Promise<number> {
    try {
      this.follower ??= await RunOutputs.start(kafka, endpoints.registry.url, this.topics, this.runId, {
        from: 'earliest',
      });
      const c = this.follower.coverage(this.docIds().map(docKey));
      return c.augmented + c.deadLettered;
    } catch (error) {
      log(`progress follower restarts: ${(error as Error).message}`);
      await this.stop();
      return -1;
    }
  }

  async stop(): Promise<void> {
    const follower = this.follower;
    this.follower = undefined;
    await Promise.race([follower?.stop(), sleep(10_000)]).catch(() => {});
  }
}

function printReport(a: ChaosAccounting, extra: Record<string, string>): void {
  const lines = [
    `ipt reliability — chaos run (${params.profile}, seed ${params.seed})`,
    `  documents        ${a.documents}`,
    `  kills survived   ${services.reduce((n, s) => n + s.kills, 0)} (${services.map((s) => `${s.name} ${s.kills}`).join(', ')})`,
    `  duplicates       ${a.duplicates.length}`,
    `  lost             ${a.lost.length}`,
    `  DLQ by reason    ${
      Object.keys(a.dlqByReason).length === 0
        ? 'none'
        : Object.entries(a.dlqByReason)
            .map(([r, n]) => `${r} ${n}`)
            .join(', ')
    }`,
    `  augmented        ${a.augmented} documents in ${a.records} records (${a.duplicateRecords} record ids twice); ${a.deadLettered} documents dead-lettered`,
    ...Object.entries(extra).map(([k, v]) => `  ${k.padEnd(16)} ${v}`),
  ];
  console.log(lines.join('\n'));
}

type Event = 'kill' | 'triton-stop' | 'endpoint-fault' | BrokerFault;

/** The faults of the profile in a seeded random order. */
function schedule(random: () => number): Event[] {
  const events: Event[] = [
    ...Array.from({ length: params.kills }, () => 'kill' as const),
    ...params.brokerFaults,
    ...(params.tritonStopMs > 0 ? (['triton-stop'] as const) : []),
    ...(params.endpointFaultMs > 0 ? (['endpoint-fault'] as const) : []),
  ];
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [events[i], events[j]] = [events[j] as Event, events[i] as Event];
  }
  return events;
}

const pct = (x: number) => `${Math.round(x * 100)} %`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A fault as struck: its record, and the traffic around it. */
interface Struck extends FaultRecord {
  /** Rounds committed between the end of the fault before (or the start) and this one. */
  roundsBefore: number;
  /** Fed documents not yet processed when it struck. */
  waitingAtStrike: number;
}

/** One line per fault: when, what, how long until the affected stages committed again, rounds around it. */
function faultLines(faults: Struck[], clock: CommitClock, topics: Topics, started: number, ended: number) {
  const span = ended - started;
  return [...faults]
    .sort((a, b) => a.at - b.at)
    .map((f) => {
      const recovery = clock.recoveryMs(f.stages, f.from);
      const during = clock.rate(topics.rounds, f.at, Math.max(f.endedAt, f.at + 10_000));
      const after = clock.rate(topics.rounds, f.endedAt, f.endedAt + 30_000);
      return (
        `    +${((f.at - started) / 1000).toFixed(0).padStart(4)} s (${pct((f.at - started) / span).padStart(5)}) ${f.what}; ` +
        `recovered in ${recovery === undefined ? 'never' : seconds(recovery)}; ${f.roundsBefore} rounds before, ` +
        `${f.waitingAtStrike} documents waiting; rounds/s ${during.toFixed(1)} during, ${after.toFixed(1)} after`
      );
    });
}

function wasteLines(w: GpuWaste, synthKills: number): Record<string, string> {
  const share = (x: number) => (Number.isNaN(x) ? 'n/a' : `${(x * 100).toFixed(1)} %`);
  // By rounds, the unit the engines finish: token counts of the engines and of the committed rounds
  // come from two tokenizers and need not agree to the token.
  const wasted = w.generatedRounds > 0 ? (w.busyGpuSeconds * w.regeneratedRounds) / w.generatedRounds : 0;
  const perKill = (x: number) => (x / Math.max(1, synthKills)).toFixed(1);
  return {
    'GPU work': `${w.generatedRounds} rounds generated for ${w.committedRounds} committed (${(w.generatedRounds / Math.max(1, w.committedRounds)).toFixed(3)}×): ${w.regeneratedRounds} again or for nobody, ${perKill(w.regeneratedRounds)} per synth kill (${synthKills}); output tokens ${w.ratio.toFixed(3)}× the committed`,
    'GPU wasted': `${wasted.toFixed(1)} engine-s of ${w.busyGpuSeconds.toFixed(1)} busy (${perKill(wasted)} per synth kill; one full batch on every engine ${w.fullBatchGpuSeconds.toFixed(1)})`,
    'prefix hits': `${share(w.prefixHitShareSteady)} of prompt tokens steady, ${share(w.prefixHitShareAfterKills)} in the minute after a synth kill`,
  };
}

function logLines(v: LogVerdict): Record<string, string> {
  return {
    'aborted records': `${Object.entries(v.aborted)
      .map(([t, n]) => `${n} in ${t.split('.').slice(-2).join('.')}`)
      .join(', ')}; ${v.abortedSeen.length} handed to a read_committed reader`,
    'log order': `${v.outOfOrder.length} chains out of round order; ${v.roundsNotCommitted.length} augmented rounds not committed`,
    'two reads': `${v.readsDisagree.length} positions where the live and the final read differ`,
  };
}

/** The services' common flags. */
const commonArgs = (topics: Topics) => [
  '--topic-namespace',
  namespaceOf(topics),
  '--brokers',
  endpoints.kafka.brokers.join(','),
  '--registry',
  endpoints.registry.url,
  '--ops-port',
  '0',
  // A killed member's partitions move after this long without a heartbeat.
  '--session-timeout-ms',
  '6000',
];

/** Waits for `until` while the services are kept running; fails the run past the deadline. */
async function waitFor(what: string, until: () => boolean, deadline: number): Promise<void> {
  phase = what;
  await supervise(services, () => {
    if (Date.now() > deadline) throw new Error(`run timed out (${params.timeoutMs / 1000} s) during ${what}`);
    return until();
  });
}

describe('chaos run', () => {
  const faultCount = params.kills + params.brokerFaults.length;
  it(`every document in exactly one augmented record or the DLQ after ${faultCount} kills of services and brokers, a paused broker and Triton faults`, async () => {
    const random = prng(params.seed);
    log(
      `${params.profile}: ${JSON.stringify(params)} (IPT_RELIABILITY_SEED=${params.seed} repeats the schedule)`,
    );
    const started = Date.now();
    const deadline = started + params.timeoutMs;
    const topics = await freshTopics('chaos', params.partitions);
    const runId = `chaos-${randomUUID().slice(0, 8)}`;
    // Rounds count only ROUND records: a CLOSE ends a chain early and processes no document.
    const clock = await CommitClock.start(
      kafka,
      [topics.rounds, topics.assembleState, topics.dlq, topics.augmented],
      { counted: { [topics.rounds]: isRoundRecord } },
    );
    const processed = () => clock.count(topics.rounds) + clock.count(topics.dlq);
    // The engines' own accounting, from before any traffic: what the GPU generated against what was committed.
    const engines = await EngineWatch.start(triton.statsUrls());

    const during = () => phase;
    const synth = new Supervised(
      'synth',
      () => [
        'synth',
        '--run-id',
        runId,
        '--triton',
        triton.urls().join(','),
        '--model',
        model,
        '--idle-ms',
        '3000',
        ...commonArgs(topics),
      ],
      during,
    );
    const assemble = new Supervised(
      'assemble',
      () => ['assemble', '--run', runId, ...commonArgs(topics)],
      during,
    );
    services.push(synth, assemble);
    synth.start();
    assemble.start();
    const feed = await LiveFeed.start(kafka, endpoints.registry.url, topics.raw, mistralTokenizer(), {
      batch: 50,
      backlog: () => {
        const now = Date.now();
        const rate = clock.rate(topics.rounds, now - 30_000, now);
        return Math.max(params.minBacklog, Math.ceil(rate * params.backlogSeconds));
      },
      processed,
      log,
    });
    log(`feeding ${topics.raw} (${params.partitions} partitions, 3 replicas)`);
    const progress = new Progress(topics, runId, () => feed.fedIds());
    const brokerContext = {
      cfg,
      topics,
      runId,
      partitions: params.partitions,
      downMs: params.brokerDownMs,
      pauseMs: params.brokerPauseMs,
      wait: (until: Promise<unknown> | (() => boolean)) => supervise(services, until),
      async crashServices() {
        await Promise.all([synth.kill(), assemble.kill()]);
        synth.start();
        assemble.start();
      },
      log,
    };

    // Each fault waits for committed traffic since the one before ended, so faults land one after
    // another all through a run that lasts as long as they need. Triton faults run in the background
    // while the schedule goes on.
    const events = schedule(random);
    const faults: Struck[] = [];
    const background: Promise<void>[] = [];
    let tritonFault: Promise<unknown> = Promise.resolve();
    let lastEnd = started;
    for (const event of events) {
      await waitFor(
        `the wait for ${params.roundsBetweenFaults} rounds before "${event}"`,
        () =>
          clock.countSince(topics.rounds, lastEnd) >= params.roundsBetweenFaults &&
          Date.now() - lastEnd >= params.minGapMs,
        deadline,
      );
      if ((BROKER_FAULTS as readonly string[]).includes(event)) {
        // Fault the cluster under running services, not under ones still starting (a failed start exits by design).
        await waitFor(
          'the wait for settled services',
          () => services.every((s) => Date.now() - s.startedAt > 15_000),
          deadline,
        );
      } else if (event === 'triton-stop' || event === 'endpoint-fault') {
        // One Triton fault at a time: an erroring endpoint that is also stopped tests nothing.
        phase = 'the wait for Triton to recover';
        await supervise(services, tritonFault);
      }
      phase = event;
      const traffic = {
        roundsBefore: clock.countSince(topics.rounds, lastEnd),
        waitingAtStrike: feed.waiting(),
      };
      log(
        `${event} @ ${((Date.now() - started) / 1000).toFixed(0)} s: ${traffic.roundsBefore} rounds since the last fault, ${feed.fedIds().length} documents fed, ${traffic.waitingAtStrike} waiting`,
      );
      const at = Date.now();
      if (event === 'kill') {
        // Either service, keeping the two within one kill of each other so both are exercised.
        const target =
          synth.kills !== assemble.kills
            ? synth.kills > assemble.kills
              ? assemble
              : synth
            : random() < 0.5
              ? synth
              : assemble;
        await target.kill();
        await sleep(random() * 2_000); // sometimes the replacement starts at once, sometimes a moment later
        target.start();
        const stage = target === synth ? topics.rounds : topics.assembleState;
        faults.push({
          what: `kill ${target.name}`,
          at,
          from: at,
          endedAt: Date.now(),
          stages: [stage],
          ...traffic,
        });
      } else if (event === 'triton-stop' || event === 'endpoint-fault') {
        const fault =
          event === 'triton-stop'
            ? triton.stopAll(params.tritonStopMs, [topics.rounds])
            : triton.endpointErrors(params.endpointFaultMs, [topics.rounds]);
        tritonFault = fault;
        background.push(fault.then((f) => void faults.push({ ...f, ...traffic })));
      } else {
        faults.push({ ...(await strikeBrokerFault(event, brokerContext)), ...traffic });
      }
      lastEnd = Date.now();
      log(`${event} done`);
    }
    phase = 'the end of the schedule';
    await supervise(services, Promise.all(background));
    // Traffic after the last fault too: feed until every fault's stage has committed again and the
    // rounds have gone on for as long as between faults.
    const scheduleEnd = Math.max(...faults.map((f) => f.endedAt));
    await waitFor(
      'the wait for every fault to recover',
      () =>
        faults.every((f) => clock.recoveryMs(f.stages, f.from) !== undefined) &&
        clock.countSince(topics.rounds, scheduleEnd) >= params.roundsBetweenFaults,
      deadline,
    );
    await feed.stop();
    const fed = feed.fedIds().length;
    log(
      `schedule done after ${((Date.now() - started) / 1000).toFixed(0)} s; ${fed} documents fed (${feed.uncertainCount()} in failed sends); draining`,
    );

    // Wait until a committed scan accounts for every document, restarting anything that dies meanwhile.
    let accounting: ChaosAccounting | undefined;
    phase = 'the wait for every document';
    for (;;) {
      for (const s of services) s.watch();
      const accounted = await progress.accounted();
      if (accounted >= fed) {
        accounting = await scanAccounting(kafka, endpoints.registry.url, topics, runId);
        log(`scan: ${accounting.documents - accounting.lost.length}/${accounting.documents} accounted`);
        if (accounting.lost.length === 0) break;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `not every document accounted for after ${params.timeoutMs / 1000} s` +
            `\n--- synth ---\n${synth.proc?.tail(30)}\n--- assemble ---\n${assemble.proc?.tail(30)}`,
        );
      }
      log(`${accounted} of ${fed} documents accounted`);
      await sleep(5_000);
    }
    const ended = Date.now();
    await progress.stop();
    await Promise.all(services.map((s) => s.proc?.stop(60_000)));
    // One more scan with the services stopped: nothing may have been added twice since.
    accounting = await scanAccounting(kafka, endpoints.registry.url, topics, runId);
    const logs = await checkLogs(kafka, endpoints.registry.url, topics, runId, clock);
    await clock.stop();
    const waste = gpuWaste({
      samples: await engines.stop(),
      kills: synth.killedAt,
      committed: await committedOutput(kafka, endpoints.registry.url, topics.rounds, runId),
      engines: { cost: await engineCost(triton.statsUrls()[0] as string), count: 2 },
    });
    const unplanned = services
      .map(
        (s) =>
          `${s.name} ${s.unplannedExits.length}${s.unplannedExits.map((e) => ` (during ${e.during})`).join('')}`,
      )
      .join(', ');
    const runSeconds = (ended - started) / 1000;
    printReport(accounting, {
      fed: `${fed} documents acknowledged, ${feed.uncertainCount()} in sends that failed for good`,
      'unplanned exits': unplanned,
      throughput: `${(clock.count(topics.rounds) / runSeconds).toFixed(1)} rounds/s over the run (${runSeconds.toFixed(0)} s to the last document)`,
      ...logLines(logs),
      ...wasteLines(waste, synth.killedAt.length),
      faults: `${faults.length}, by start (share of the run), recovery = first committed output of the stage hit`,
    });
    console.log(faultLines(faults, clock, topics, started, ended).join('\n'));

    // Every acknowledged document is in the raw topic; of the failed sends, some may be.
    expect(accounting.documents).toBeGreaterThanOrEqual(fed);
    expect(accounting.documents).toBeLessThanOrEqual(fed + feed.uncertainCount());
    const brokerCrashes = params.brokerFaults.includes('broker-down-with-services') ? 2 : 0;
    expect(synth.kills + assemble.kills).toBe(params.kills + brokerCrashes);
    expect(accounting.duplicates).toEqual([]);
    expect(accounting.lost).toEqual([]);
    expect(accounting.duplicateRecords).toBe(0);
    expect(faults).toHaveLength(events.length);
    // Every fault struck mid-stream: rounds committed before it, documents waiting, and the stage it
    // hit committing again after it.
    expect(faults.filter((f) => f.roundsBefore === 0 || f.waitingAtStrike <= 0).map((f) => f.what)).toEqual(
      [],
    );
    expect(faults.filter((f) => clock.recoveryMs(f.stages, f.from) === undefined).map((f) => f.what)).toEqual(
      [],
    );
    expect(faults.filter((f) => clock.countSince(topics.rounds, f.endedAt) === 0).map((f) => f.what)).toEqual(
      [],
    );
    // The logs a consumer reads: no aborted record handed out, rounds in order, two reads alike.
    expect(logs.abortedSeen).toEqual([]);
    expect(logs.outOfOrder).toEqual([]);
    expect(logs.roundsNotCommitted).toEqual([]);
    expect(logs.readsDisagree).toEqual([]);
    // The engines' accounting was read through the run: they did at least the committed work.
    expect(waste.generatedRounds).toBeGreaterThanOrEqual(waste.committedRounds);
  });
});
