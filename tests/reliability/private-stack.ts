// The reliability suite's own stack: Kafka, the registry and Triton in a temporary state directory on
// ports of their own, Kafka as a three-node cluster. The chaos run kills brokers and takes Triton away; doing that to the shared
// dev stack (.ipt/stack, 19092/18081/18000) would break whatever else is running against it.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type StackConfig, type StackOverrides, stackConfig } from '../../stack/config.ts';
import { portFree } from '../../stack/processes.ts';
import { down, endpointsFile, up } from '../../stack/stack.ts';

export interface PrivateStack {
  cfg: StackConfig;
  /** endpoints.json of this stack: what IPT_ENDPOINTS must point at for helpers and child services. */
  endpointsFile: string;
  down(): Promise<void>;
}

async function allFree(ports: number[]): Promise<boolean> {
  for (const p of ports) if (!(await portFree(p))) return false;
  return true;
}

/**
 * Ports for Kafka (P+92 … P+97: three nodes and their controllers), the registry (P+81, P+82) and
 * Triton (P … P+3), from the 29xxx range first (below Linux's ephemeral range, so no outgoing
 * connection takes one between this check and the bind).
 */
async function freePorts(): Promise<{ kafka: number; registry: number; triton: number }> {
  const preferred = Number(process.env.IPT_RELIABILITY_BASE_PORT ?? 29_000);
  for (let i = 0; i < 60; i++) {
    const base = i === 0 ? preferred : 22_000 + Math.floor(Math.random() * 9_000);
    const ports = { kafka: base + 92, registry: base + 81, triton: base };
    const kafka = Array.from({ length: 2 * RELIABILITY_BROKERS }, (_, i) => ports.kafka + i);
    const all = [...kafka, ports.registry, ports.registry + 1, base, base + 1, base + 2, base + 3];
    if (await allFree(all)) return ports;
  }
  throw new Error('no free ports for the reliability stack');
}

/** The private stack's config; `tritonArgs` go to its serve.py (as IPT_TRITON_ARGS would). */
export function privateStackConfig(overrides: Required<StackOverrides>, tritonArgs: string[]): StackConfig {
  const cfg = stackConfig(overrides);
  return { ...cfg, triton: { ...cfg.triton, args: tritonArgs } };
}

/** The suite runs on a Kafka cluster: leadership moves, ISR shrinks and coordinator failovers are its faults. */
export const RELIABILITY_BROKERS = 3;

export async function startPrivateStack(
  say: (line: string) => void,
  tritonArgs: string[],
): Promise<PrivateStack> {
  const stateDir = mkdtempSync(join(tmpdir(), 'ipt-reliability-stack-'));
  const ports = await freePorts();
  const cfg = privateStackConfig(
    {
      stateDir,
      kafkaPort: ports.kafka,
      registryPort: ports.registry,
      tritonPort: ports.triton,
      kafkaBrokers: RELIABILITY_BROKERS,
    },
    tritonArgs,
  );
  const stack: PrivateStack = {
    cfg,
    endpointsFile: endpointsFile(cfg),
    async down() {
      await down(cfg, { wipe: false }, say);
      if (process.env.IPT_RELIABILITY_KEEP_STATE === '1') say(`kept ${stateDir}`);
      else rmSync(stateDir, { recursive: true, force: true });
    },
  };
  try {
    await up(cfg, say);
  } catch (error) {
    await stack.down().catch(() => {});
    throw error;
  }
  return stack;
}
