// Chaos run (issues #10, #20): documents flow through `ipt synth` and `ipt assemble` (child processes, as
// an operator runs them) on a three-node Kafka cluster while, spread over the whole run: both services
// are SIGKILLed and restarted; the broker leading most partitions, the one coordinating synth's
// transactions and the one coordinating assemble's group are SIGKILLed and brought back; a broker is
// frozen (SIGSTOP) until it drops out of the ISR; a broker is down while both services crash; every
// Triton endpoint is stopped for a while and one endpoint answers every request with an error for a
// while. Afterwards a read_committed scan must find every raw document in exactly one augmented record
// or in the DLQ, and every fault must be followed by committed work (its recovery time is reported).
// Runs on the suite's private stack (global-setup.ts), never on the shared dev stack.

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
import { produceRawDocuments, rawDocument } from '../helpers/raw-docs.ts';
import { type ChaosAccounting, scanAccounting } from './accounting.ts';
import { BROKER_FAULTS, type BrokerFault, type FaultRecord, strikeBrokerFault } from './broker-faults.ts';
import { CommitClock } from './commit-clock.ts';
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
    private readonly docIds: string[],
  ) {}

  async accounted(): Promise<number> {
    try {
      this.follower ??= await RunOutputs.start(kafka, endpoints.registry.url, this.topics, this.runId, {
        from: 'earliest',
      });
      const c = this.follower.coverage(this.docIds.map(docKey));
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

/** Share of the run's rounds (committed, or dead-lettered) at which the first and the last fault strike. */
const FIRST_FAULT_AT = 0.05;
const LAST_FAULT_AT = 0.85;

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

/** Where each fault's share of the run lies: evenly from FIRST_FAULT_AT to LAST_FAULT_AT. */
const shareAt = (k: number, n: number) =>
  n === 1 ? FIRST_FAULT_AT : FIRST_FAULT_AT + ((LAST_FAULT_AT - FIRST_FAULT_AT) * k) / (n - 1);

const pct = (x: number) => `${Math.round(x * 100)} %`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One line per fault: when, what, how long until the affected stages committed again, rounds/s around it. */
function faultLines(
  faults: FaultRecord[],
  clock: CommitClock,
  topics: Topics,
  started: number,
  ended: number,
) {
  const span = ended - started;
  return [...faults]
    .sort((a, b) => a.at - b.at)
    .map((f) => {
      const recovery = clock.recoveryMs(f.stages, f.from);
      const during = clock.rate(topics.rounds, f.at, Math.max(f.endedAt, f.at + 10_000));
      const after = clock.rate(topics.rounds, f.endedAt, f.endedAt + 30_000);
      return (
        `    +${((f.at - started) / 1000).toFixed(0).padStart(4)} s (${pct((f.at - started) / span).padStart(5)}) ${f.what}; ` +
        `recovered in ${recovery === undefined ? 'never' : seconds(recovery)}; rounds/s ${during.toFixed(1)} during, ${after.toFixed(1)} after`
      );
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
    const topics = await freshTopics('chaos', params.partitions);
    const runId = `chaos-${randomUUID().slice(0, 8)}`;
    const tokens = mistralTokenizer();
    const docs = Array.from({ length: params.documents }, (_, i) => rawDocument(i, undefined, tokens));
    await produceRawDocuments(kafka, endpoints.registry.url, topics.raw, docs);
    log(`${docs.length} raw documents on ${topics.raw} (${params.partitions} partitions, 3 replicas)`);
    const clock = await CommitClock.start(kafka, [topics.rounds, topics.assembleState, topics.dlq]);

    const common = [
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
        ...common,
      ],
      during,
    );
    const assemble = new Supervised('assemble', () => ['assemble', '--run', runId, ...common], during);
    services.push(synth, assemble);
    synth.start();
    assemble.start();
    const progress = new Progress(
      topics,
      runId,
      docs.map((d) => d.doc_id),
    );
    const roundsShare = () => (clock.count(topics.rounds) + clock.count(topics.dlq)) / docs.length;
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

    // Each fault waits for its share of the rounds, so faults land all through the run — the last ones
    // while assemble holds most chains. Triton faults run in the background while the schedule goes on.
    const events = schedule(random);
    const faults: FaultRecord[] = [];
    const background: Promise<void>[] = [];
    let tritonFault: Promise<unknown> = Promise.resolve();
    let lastEnd = started;
    for (const [k, event] of events.entries()) {
      const share = shareAt(k, events.length);
      phase = `the wait for ${pct(share)} of the rounds before "${event}"`;
      await supervise(services, () => roundsShare() >= share && Date.now() - lastEnd >= params.minGapMs);
      if ((BROKER_FAULTS as readonly string[]).includes(event)) {
        // Fault the cluster under running services, not under ones still starting (a failed start exits by design).
        phase = 'the wait for settled services';
        await supervise(services, () => services.every((s) => Date.now() - s.startedAt > 15_000));
      } else if (event === 'triton-stop' || event === 'endpoint-fault') {
        // One Triton fault at a time: an erroring endpoint that is also stopped tests nothing.
        phase = 'the wait for Triton to recover';
        await supervise(services, tritonFault);
      }
      phase = event;
      const accounted = await progress.accounted();
      // A fault after the last document is accounted for tests nothing: the run is too short for the schedule.
      expect(accounted, `the pipeline finished before "${event}": raise the documents`).toBeLessThan(
        docs.length,
      );
      log(
        `${event} @ ${((Date.now() - started) / 1000).toFixed(0)} s: ${pct(roundsShare())} of the rounds committed, ${accounted} documents accounted`,
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
        faults.push({ what: `kill ${target.name}`, at, from: at, endedAt: Date.now(), stages: [stage] });
      } else if (event === 'triton-stop' || event === 'endpoint-fault') {
        const fault =
          event === 'triton-stop'
            ? triton.stopAll(params.tritonStopMs, [topics.rounds])
            : triton.endpointErrors(params.endpointFaultMs, [topics.rounds]);
        tritonFault = fault;
        background.push(fault.then((f) => void faults.push(f)));
      } else {
        faults.push(await strikeBrokerFault(event, brokerContext));
      }
      lastEnd = Date.now();
      log(`${event} done`);
    }
    phase = 'the end of the schedule';
    await supervise(services, Promise.all(background));
    phase = 'the wait for every document';
    log(`schedule done after ${((Date.now() - started) / 1000).toFixed(0)} s; waiting for every document`);

    // Wait until a committed scan accounts for every document, restarting anything that dies meanwhile.
    const deadline = started + params.timeoutMs;
    let accounting: ChaosAccounting | undefined;
    for (;;) {
      for (const s of services) s.watch();
      const accounted = await progress.accounted();
      if (accounted >= docs.length) {
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
      log(`${accounted} of ${docs.length} documents accounted`);
      await sleep(5_000);
    }
    const ended = Date.now();
    await progress.stop();
    await Promise.all(services.map((s) => s.proc?.stop(60_000)));
    await clock.stop();
    // One more scan with the services stopped: nothing may have been added twice since.
    accounting = await scanAccounting(kafka, endpoints.registry.url, topics, runId);
    const unplanned = services
      .map(
        (s) =>
          `${s.name} ${s.unplannedExits.length}${s.unplannedExits.map((e) => ` (during ${e.during})`).join('')}`,
      )
      .join(', ');
    const runSeconds = (ended - started) / 1000;
    printReport(accounting, {
      'unplanned exits': unplanned,
      throughput: `${(clock.count(topics.rounds) / runSeconds).toFixed(1)} rounds/s over the run (${runSeconds.toFixed(0)} s to the last document)`,
      faults: `${faults.length}, by start (share of the run), recovery = first committed output of the stage hit`,
    });
    console.log(faultLines(faults, clock, topics, started, ended).join('\n'));

    expect(accounting.documents).toBe(params.documents);
    const brokerCrashes = params.brokerFaults.includes('broker-down-with-services') ? 2 : 0;
    expect(synth.kills + assemble.kills).toBe(params.kills + brokerCrashes);
    expect(accounting.duplicates).toEqual([]);
    expect(accounting.lost).toEqual([]);
    expect(accounting.duplicateRecords).toBe(0);
    expect(faults).toHaveLength(events.length);
    // After every fault the stage it hit committed again.
    expect(faults.filter((f) => clock.recoveryMs(f.stages, f.from) === undefined).map((f) => f.what)).toEqual(
      [],
    );
    // Faults reach the last third of the run, not only its start.
    const lastStrike = Math.max(...faults.map((f) => f.at));
    expect(lastStrike - started).toBeGreaterThan(((ended - started) * 2) / 3);
  });
});
