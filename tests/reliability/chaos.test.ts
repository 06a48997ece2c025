// Chaos run (issue #10): documents flow through `ipt synth` and `ipt assemble` (child processes, as an
// operator runs them) while both are SIGKILLed and restarted at random moments, the broker is restarted,
// every Triton endpoint is stopped for a while, and one endpoint answers every request with an error for
// a while (a 500 from the static-batch sim; a 400 from the engine sim, as the generate extension reports
// any model-side failure). Afterwards a read_committed scan must find every raw document in exactly one
// augmented record or in the DLQ. Runs on the suite's private stack (global-setup.ts), never on the
// shared dev stack. The model is the engine sim in the reduced run, the static-batch sim in the full one.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mistralTokenizer } from '../../core/mistral.ts';
import { type Endpoints, loadEndpoints } from '../../lib/endpoints.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import type { Topics } from '../../lib/topics.ts';
import { docKey, RunOutputs } from '../../services/accounting/run-outputs.ts';
import type { StackConfig } from '../../stack/config.ts';
import { startComponent, stopComponent } from '../../stack/stack.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';
import { produceRawDocuments, rawDocument } from '../helpers/raw-docs.ts';
import { type ServiceProcess, spawnIpt } from '../helpers/service-process.ts';
import { type SpawnedTriton, spawnTriton } from '../helpers/triton-server.ts';
import { type ChaosAccounting, scanAccounting } from './accounting.ts';
import { chaosModel, chaosParams, prng, simArgs } from './params.ts';
import { privateStackConfig } from './private-stack.ts';

const params = chaosParams();
let endpoints: Endpoints;
let kafka: Kafka;
let cfg: StackConfig;
let second: SpawnedTriton | undefined;
const scratch = mkdtempSync(join(tmpdir(), 'ipt-chaos-'));
const faultFile = join(scratch, 'endpoint-fault');
const model = chaosModel();
const secondArgs = ['--models', model, ...simArgs(), '--fault-file', faultFile];
const services: Supervised[] = [];
/** What the schedule is doing now, to tell when a service died on its own. */
let phase = 'start';
let brokerBackAt: number | undefined;
const log = (line: string) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);

/** Waits for `until` (a promise or a condition) while keeping the services running. */
async function supervise(until: Promise<unknown> | (() => boolean)): Promise<void> {
  let settled = false;
  const done = typeof until === 'function' ? undefined : until.finally(() => (settled = true));
  for (;;) {
    for (const s of services) s.watch();
    if (typeof until === 'function' ? until() : settled) break;
    await sleep(250);
  }
  await done;
}

/** A service the driver keeps running: SIGKILLed on purpose, restarted; unplanned exits are counted. */
class Supervised {
  proc: ServiceProcess | undefined;
  startedAt = 0;
  kills = 0;
  /** What was going on when it died on its own, and its last log lines. */
  readonly unplannedExits: { during: string; tail: string }[] = [];

  constructor(
    readonly name: string,
    private readonly args: () => string[],
  ) {}

  start(): void {
    this.proc = spawnIpt(this.args(), this.name);
    this.startedAt = Date.now();
  }

  async kill(): Promise<void> {
    await this.proc?.kill();
    this.kills++;
  }

  /** Restarts the service if it died on its own (a crash on a broker restart, say) and records why. */
  watch(): void {
    if (this.proc && !this.proc.alive()) {
      const tail = this.proc.tail(15);
      const secondsSince = (t: number) => ((Date.now() - t) / 1000).toFixed(0);
      const during =
        `${phase}, ${secondsSince(this.startedAt)} s after it started` +
        (brokerBackAt === undefined ? '' : `, ${secondsSince(brokerBackAt)} s after the broker came back`);
      this.unplannedExits.push({ during, tail });
      log(
        `${this.name} exited on its own during ${during} (pid ${this.proc.pid}, log ${this.proc.log}); restarting. Last lines:\n${tail}`,
      );
      this.start();
    }
  }
}

beforeAll(async () => {
  process.env.IPT_ENDPOINTS = inject('reliabilityEndpoints');
  endpoints = loadEndpoints();
  cfg = privateStackConfig(inject('reliabilityStack'), simArgs());
  kafka = kafkaClient('ipt-reliability-chaos', endpoints.kafka.brokers);
  // The second Triton endpoint: the one that will answer with errors for a while.
  second = await spawnTriton({ args: secondArgs });
});

afterAll(async () => {
  for (const s of services) if (s.proc?.alive()) await s.proc.kill();
  await second?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** Failed requests a fault-switched serve.py logged (one "injected endpoint fault" per failed batch). */
function faultsIn(logFile: string): number {
  try {
    return readFileSync(logFile, 'utf8').split('injected endpoint fault').length - 1;
  } catch {
    return 0;
  }
}

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

  /**
   * End offsets of the rounds topic, summed: how far synth has got while no chain is complete yet (all
   * round-0 prompts go first). Counts transaction markers and aborted writes too, so it is a gauge only.
   */
  async roundsLogEnd(): Promise<number> {
    const admin = kafka.admin();
    try {
      await admin.connect();
      return (await admin.fetchTopicOffsets(this.topics.rounds)).reduce((n, p) => n + Number(p.high), 0);
    } catch {
      return -1;
    } finally {
      await admin.disconnect().catch(() => {});
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

describe('chaos run', () => {
  it(`every document in exactly one augmented record or the DLQ after ${params.kills} kills, a broker restart and Triton faults`, async () => {
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
    log(`${docs.length} raw documents on ${topics.raw} (${params.partitions} partitions)`);

    const stackTriton = endpoints.triton.urls[0] as string;
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
    const synth = new Supervised('synth', () => [
      'synth',
      '--run-id',
      runId,
      '--triton',
      `${stackTriton},${second?.url}`,
      '--model',
      model,
      '--idle-ms',
      '3000',
      ...common,
    ]);
    const assemble = new Supervised('assemble', () => ['assemble', '--run', runId, ...common]);
    services.push(synth, assemble);
    synth.start();
    assemble.start();
    const progress = new Progress(
      topics,
      runId,
      docs.map((d) => d.doc_id),
    );

    // The schedule: the kills, one broker restart, one Triton outage, one erroring endpoint, in a seeded
    // random order with random pauses between them. Outages and faults run in the background while the
    // kills go on; the broker restart is waited for.
    type Event = 'kill' | 'broker' | 'triton-stop' | 'endpoint-fault';
    const events: Event[] = [
      ...Array.from({ length: params.kills }, () => 'kill' as const),
      ...(params.brokerRestart ? (['broker'] as const) : []),
      ...(params.tritonStopMs > 0 ? (['triton-stop'] as const) : []),
      ...(params.endpointFaultMs > 0 ? (['endpoint-fault'] as const) : []),
    ];
    for (let i = events.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [events[i], events[j]] = [events[j] as Event, events[i] as Event];
    }
    const background: Promise<void>[] = [];
    let tritonFault: Promise<void> | undefined;
    // Each fault with the moment it began, listed in that order at the end (outages finish later).
    const timeline: { at: number; what: string }[] = [];
    const done: string[] = [];
    for (const event of events) {
      const [lo, hi] = params.gapMs;
      const gapEnd = Date.now() + lo + random() * (hi - lo);
      phase = `the pause before "${event}"`;
      await supervise(() => Date.now() >= gapEnd);
      if (event === 'broker') {
        // Restart the broker under running services, not under ones still starting (a failed start
        // exits by design): each must have been up for a while.
        phase = 'the wait for settled services';
        await supervise(() => services.every((s) => Date.now() - s.startedAt > 20_000));
      } else if (event === 'triton-stop' || event === 'endpoint-fault') {
        // One Triton fault at a time: an erroring endpoint that is also stopped tests nothing.
        phase = 'the wait for Triton to recover';
        await supervise(tritonFault ?? Promise.resolve());
      }
      phase = event;
      const accounted = await progress.accounted();
      // A fault after the last document is accounted for tests nothing: the run is too short for the schedule.
      expect(
        accounted,
        `the pipeline finished before "${event}" (after ${done.join(', ')}): raise the documents`,
      ).toBeLessThan(docs.length);
      const t0 = Date.now();
      const at = `${((t0 - started) / 1000).toFixed(0)} s, ${accounted} documents accounted, rounds log end ${await progress.roundsLogEnd()}`;
      if (event === 'kill') {
        // Either service, keeping the two within one kill of each other so both are exercised.
        const target =
          synth.kills > assemble.kills
            ? assemble
            : assemble.kills > synth.kills
              ? synth
              : random() < 0.5
                ? synth
                : assemble;
        await target.kill();
        await sleep(random() * 2_000); // sometimes the replacement starts at once, sometimes a moment later
        target.start();
        timeline.push({ at: t0, what: `kill ${target.name} @ ${at}` });
      } else if (event === 'broker') {
        log(`restarting the broker @ ${at}`);
        await stopComponent(cfg, 'kafka');
        await sleep(1_000 + random() * 3_000);
        await startComponent(cfg, 'kafka', (line) => log(`[stack] ${line}`));
        brokerBackAt = Date.now();
        timeline.push({
          at: t0,
          what: `broker restart @ ${at} (down ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
        });
      } else if (event === 'triton-stop') {
        log(`stopping every Triton endpoint for ${params.tritonStopMs / 1000} s @ ${at}`);
        await Promise.all([stopComponent(cfg, 'triton', { graceMs: 5_000 }), second?.kill()]);
        tritonFault = (async () => {
          await sleep(params.tritonStopMs);
          const port = second?.httpPort;
          await second?.stop();
          [second] = await Promise.all([
            spawnTriton({ ...(port ? { httpPort: port } : {}), args: secondArgs }),
            startComponent(cfg, 'triton', (line) => log(`[stack] ${line}`)),
          ]);
          timeline.push({
            at: t0,
            what: `Triton stopped @ ${at} (all endpoints down ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
          });
          log('Triton endpoints back');
        })();
        background.push(tritonFault);
      } else if (event === 'endpoint-fault') {
        log(
          `${second?.url} answers every batch with an error for ${params.endpointFaultMs / 1000} s @ ${at}`,
        );
        writeFileSync(faultFile, 'fault\n');
        const server = second;
        tritonFault = (async () => {
          await sleep(params.endpointFaultMs);
          rmSync(faultFile, { force: true });
          const failed = server ? faultsIn(server.log) : 0;
          timeline.push({
            at: t0,
            what: `endpoint errors @ ${at} for ${params.endpointFaultMs / 1000} s (${failed} requests failed)`,
          });
          log(`endpoint fault cleared; ${failed} requests were answered with an error`);
        })();
        background.push(tritonFault);
      }
      done.push(event);
      log(`${event} done`);
    }
    phase = 'the end of the schedule';
    await supervise(Promise.all(background));
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
    await progress.stop();
    await Promise.all(services.map((s) => s.proc?.stop(60_000)));
    // One more scan with the services stopped: nothing may have been added twice since.
    accounting = await scanAccounting(kafka, endpoints.registry.url, topics, runId);
    const unplanned = services
      .map(
        (s) =>
          `${s.name} ${s.unplannedExits.length}${s.unplannedExits.map((e) => ` (during ${e.during})`).join('')}`,
      )
      .join(', ');
    printReport(accounting, {
      'unplanned exits': unplanned,
      faults: timeline
        .sort((a, b) => a.at - b.at)
        .map((t) => t.what)
        .join('; '),
      duration: `${((Date.now() - started) / 1000).toFixed(0)} s`,
    });

    expect(accounting.documents).toBe(params.documents);
    expect(synth.kills + assemble.kills).toBe(params.kills);
    expect(accounting.duplicates).toEqual([]);
    expect(accounting.lost).toEqual([]);
    expect(accounting.duplicateRecords).toBe(0);
  });
});
