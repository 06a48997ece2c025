// `ipt stack up --brokers 3`: the node layout, how the size is chosen and remembered, and the refusal
// to start a cluster on a single node's data. (The cluster itself runs in the reliability suite.)

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { brokerAddresses, kafkaNodeList, newClusterId } from '../../stack/components.ts';
import { clusterFile, savedBrokerCount, stackConfig } from '../../stack/config.ts';
import { ComponentStartError, up } from '../../stack/stack.ts';

let stateDir: string;
const savedEnv = process.env.IPT_STACK_BROKERS;

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'ipt-stack-cluster-'));
  delete process.env.IPT_STACK_BROKERS;
});

afterEach(() => {
  rmSync(stateDir, { recursive: true, force: true });
  if (savedEnv === undefined) delete process.env.IPT_STACK_BROKERS;
  else process.env.IPT_STACK_BROKERS = savedEnv;
});

describe('stack Kafka nodes', () => {
  it('cluster ids never start with "-", which the storage tool would read as an option', () => {
    // One id in 64 started with '-' before, and a fresh machine then failed to format Kafka's storage.
    const ids = Array.from({ length: 2000 }, newClusterId);
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^[A-Za-z0-9_-]{22}$/.test(id))).toBe(true);
  });

  it('one node keeps the historical name and ports', () => {
    const cfg = stackConfig({ stateDir, kafkaPort: 19092 });
    expect(kafkaNodeList(cfg)).toEqual([{ id: 1, name: 'kafka', port: 19092, controllerPort: 19093 }]);
    expect(brokerAddresses(cfg)).toEqual(['127.0.0.1:19092']);
  });

  it('three nodes take a listener and a controller port each, one after another', () => {
    const cfg = stackConfig({ stateDir, kafkaPort: 29092, kafkaBrokers: 3 });
    expect(kafkaNodeList(cfg).map((n) => [n.id, n.name, n.port, n.controllerPort])).toEqual([
      [1, 'kafka-1', 29092, 29093],
      [2, 'kafka-2', 29094, 29095],
      [3, 'kafka-3', 29096, 29097],
    ]);
    expect(brokerAddresses(cfg)).toEqual(['127.0.0.1:29092', '127.0.0.1:29094', '127.0.0.1:29096']);
  });

  it('the size comes from the flag, else the environment, else what the state directory was started with, else 1', () => {
    expect(stackConfig({ stateDir }).kafka.brokers).toBe(1);
    writeFileSync(clusterFile(stateDir), JSON.stringify({ brokers: 3 }));
    expect(stackConfig({ stateDir }).kafka.brokers).toBe(3);
    process.env.IPT_STACK_BROKERS = '1';
    expect(stackConfig({ stateDir }).kafka.brokers).toBe(1);
    expect(stackConfig({ stateDir, kafkaBrokers: 3 }).kafka.brokers).toBe(3);
  });

  it('rejects a size the stack does not run', () => {
    expect(() => stackConfig({ stateDir, kafkaBrokers: 2 })).toThrow(/1 or 3 Kafka brokers/);
    process.env.IPT_STACK_BROKERS = 'five';
    expect(() => stackConfig({ stateDir })).toThrow(/IPT_STACK_BROKERS=five/);
  });

  it('a state directory from before the option counts as one node', () => {
    expect(savedBrokerCount(stateDir)).toBeUndefined();
    mkdirSync(join(stateDir, 'kafka', 'data'), { recursive: true });
    expect(savedBrokerCount(stateDir)).toBe(1);
  });

  it('refuses to start a cluster on a single node’s data, before starting anything', async () => {
    writeFileSync(clusterFile(stateDir), JSON.stringify({ brokers: 1 }));
    const attempt = up(stackConfig({ stateDir, kafkaBrokers: 3 }), () => {});
    await expect(attempt).rejects.toBeInstanceOf(ComponentStartError);
    await expect(attempt).rejects.toThrow(/holds a 1-broker Kafka's data, not 3.*down --wipe/);
  });
});
