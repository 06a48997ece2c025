// The chaos run's Kafka faults on the three-node cluster: what production loses in practice is not a
// whole cluster but one node — the one leading most partitions, the one coordinating a service's
// transactions or its group, one that hangs (SIGSTOP) long enough to be dropped from the ISR, one that
// is down while the services themselves crash and restart. Each fault picks its broker from the
// cluster's own metadata at the moment it strikes, and each waits until every partition is back in
// sync before it returns, so the next fault again finds three healthy nodes (with min.insync.replicas
// 2, a second node lost while the first is still catching up would stop writes by design).

import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import type { Topics } from '../../lib/topics.ts';
import { assembleGroupId } from '../../services/assemble/topology.ts';
import { synthGroupId } from '../../services/synth/topology.ts';
import { kafkaNodeList } from '../../stack/components.ts';
import type { StackConfig } from '../../stack/config.ts';
import { killComponent, pauseComponent, startComponent } from '../../stack/stack.ts';
import {
  awaitFullyReplicated,
  awaitIsrExcludes,
  busiestNode,
  groupCoordinatorNode,
  isrExcludes,
  leaderCounts,
  transactionalIdsFor,
  transactionCoordinatorNodes,
} from './cluster.ts';

export const BROKER_FAULTS = [
  'kill-leader',
  'kill-txn-coordinator',
  'kill-group-coordinator',
  'pause-broker',
  'broker-down-with-services',
] as const;
export type BrokerFault = (typeof BROKER_FAULTS)[number];

export interface BrokerFaultContext {
  cfg: StackConfig;
  topics: Topics;
  runId: string;
  partitions: number;
  /** How long a killed broker stays down. */
  downMs: number;
  /** How long a paused broker stays frozen (it must be dropped from the ISR meanwhile). */
  pauseMs: number;
  /** Waits while the services are kept running. */
  wait(until: Promise<unknown> | (() => boolean)): Promise<void>;
  /** SIGKILLs synth and assemble and starts them again (for the fault that crashes them with a broker down). */
  crashServices(): Promise<void>;
  log(line: string): void;
}

/** One fault as the report shows it: when it struck, when the pipeline should commit again, what it hit. */
export interface FaultRecord {
  what: string;
  /** When the fault struck. */
  at: number;
  /** Recovery is timed from here: the strike, or when the services came back for faults that restart them. */
  from: number;
  /** When the fault was over (the broker back in sync, Triton back). */
  endedAt: number;
  /** The topics whose first committed record after `from` marks recovery. */
  stages: string[];
}

/**
 * An Admin that asks one healthy node. kafkajs sends metadata requests to any broker it is connected
 * to, and one sent to a frozen broker hangs for the whole request timeout; a fresh client connected
 * only to `via` asks that node alone. Short timeouts: a probe that fails is retried by its caller.
 */
async function probe<T>(cfg: StackConfig, via: number, ask: (admin: Admin) => Promise<T>): Promise<T> {
  const node = kafkaNodeList(cfg).find((n) => n.id === via);
  if (!node) throw new Error(`no Kafka node ${via} in this stack`);
  const admin = new Kafka({
    clientId: 'ipt-chaos-probe',
    brokers: [`127.0.0.1:${node.port}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    requestTimeout: 5_000,
    retry: { retries: 2 },
  }).admin();
  try {
    await admin.connect();
    return await ask(admin);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** A node other than `node` (the one under fault), to ask about the cluster. */
const otherNode = (cfg: StackConfig, node: number) =>
  (kafkaNodeList(cfg).find((n) => n.id !== node) as { id: number }).id;

const secondsSince = (t: number) => `${((Date.now() - t) / 1000).toFixed(1)} s`;

/** The stack component name (kafka-1 …) of a node id. */
export function nodeName(cfg: StackConfig, id: number): string {
  const node = kafkaNodeList(cfg).find((n) => n.id === id);
  if (!node) throw new Error(`no Kafka node ${id} in this stack`);
  return node.name;
}

/** The broker the fault strikes, and why that one. */
function target(fault: BrokerFault, ctx: BrokerFaultContext): Promise<{ node: number; why: string }> {
  return probe(ctx.cfg, 1, (admin) => pickTarget(admin, fault, ctx));
}

async function pickTarget(
  admin: Admin,
  fault: BrokerFault,
  ctx: BrokerFaultContext,
): Promise<{ node: number; why: string }> {
  const { topics, runId } = ctx;
  const pick = (counts: Map<number, number>, what: string) => {
    const node = busiestNode(counts);
    if (node === undefined || node < 0) throw new Error(`no broker found for ${what}`);
    return { node, why: `${what}: ${counts.get(node)}` };
  };
  if (fault === 'kill-txn-coordinator') {
    const ids = transactionalIdsFor(synthGroupId(runId), topics.raw, ctx.partitions);
    return pick(
      await transactionCoordinatorNodes(admin, ids),
      `synth transactions it coordinates of ${ids.length}`,
    );
  }
  if (fault === 'kill-group-coordinator') {
    const node = await groupCoordinatorNode(admin, assembleGroupId({ run: runId }));
    return { node, why: 'coordinator of the assemble group' };
  }
  const counts = await leaderCounts(admin, Object.values(topics));
  return pick(counts, 'pipeline partitions it leads');
}

/** Resolves once no partition of any topic is under-replicated. */
const inSync = (ctx: BrokerFaultContext) =>
  probe(ctx.cfg, 1, (admin) => awaitFullyReplicated(admin, { timeoutMs: 180_000 }));

/** Restarts a killed broker after `downMs`, waits until every partition is back in sync; returns when it was up again. */
async function restore(ctx: BrokerFaultContext, name: string, downSince: number): Promise<number> {
  await ctx.wait(() => Date.now() - downSince >= ctx.downMs);
  await ctx.wait(startComponent(ctx.cfg, name, (line) => ctx.log(`[stack] ${line}`)));
  const back = Date.now();
  await ctx.wait(inSync(ctx));
  ctx.log(`${name} back; every partition in sync ${secondsSince(back)} after it started`);
  return back;
}

/** Strikes one broker fault and returns once the cluster has healed from it. */
export async function strikeBrokerFault(fault: BrokerFault, ctx: BrokerFaultContext): Promise<FaultRecord> {
  const { node, why } = await target(fault, ctx);
  const name = nodeName(ctx.cfg, node);
  const bothStages = [ctx.topics.rounds, ctx.topics.assembleState];
  if (fault === 'pause-broker') return pause(ctx, name, node, why, bothStages);
  const at = Date.now();
  await killComponent(ctx.cfg, name);
  ctx.log(`SIGKILL ${name} (${why})`);
  let from = at;
  if (fault === 'broker-down-with-services') {
    await sleep(2_000);
    await ctx.crashServices();
    from = Date.now();
    ctx.log(`synth and assemble SIGKILLed and restarted while ${name} is down`);
  }
  const back = await restore(ctx, name, at);
  const detail = fault === 'broker-down-with-services' ? ', synth and assemble crashed meanwhile' : '';
  return {
    what: `${fault}: SIGKILL ${name} (${why}), down ${((back - at) / 1000).toFixed(0)} s${detail}`,
    at,
    from,
    endedAt: Date.now(),
    stages: bothStages,
  };
}

/** SIGSTOP the broker until it has left the ISR and `pauseMs` has passed, then SIGCONT and wait for the ISR to fill. */
async function pause(
  ctx: BrokerFaultContext,
  name: string,
  node: number,
  why: string,
  stages: string[],
): Promise<FaultRecord> {
  const at = Date.now();
  pauseComponent(ctx.cfg, name, true);
  ctx.log(`SIGSTOP ${name} (${why})`);
  const via = otherNode(ctx.cfg, node);
  let leftIsrAfter = -1;
  let outOf = 0;
  try {
    const left = probe(ctx.cfg, via, (admin) =>
      awaitIsrExcludes(admin, node, { timeoutMs: Math.max(ctx.pauseMs, 60_000) }),
    );
    await ctx.wait(left); // the services stay watched meanwhile
    leftIsrAfter = await left;
    await ctx.wait(() => Date.now() - at >= ctx.pauseMs);
    outOf = await probe(ctx.cfg, via, (admin) => isrExcludes(admin, node));
  } finally {
    pauseComponent(ctx.cfg, name, false);
  }
  ctx.log(`SIGCONT ${name} after ${secondsSince(at)}; it had left the ISR after ${leftIsrAfter / 1000} s`);
  const resumed = Date.now();
  await ctx.wait(inSync(ctx));
  ctx.log(`${name} back in every ISR ${secondsSince(resumed)} after SIGCONT`);
  return {
    what: `pause-broker: SIGSTOP ${name} (${why}) ${((resumed - at) / 1000).toFixed(0)} s; out of the ISR after ${(leftIsrAfter / 1000).toFixed(1)} s (${outOf} partitions at SIGCONT)`,
    at,
    from: at,
    endedAt: Date.now(),
    stages,
  };
}
