// A partition whose start never finishes (a kafkajs request to a broker that died mid-call can stay
// pending for ever) must not hold the member: after the start timeout the member rebuilds, and the
// abandoned start installs nothing even if it finishes later.

import type { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.ts';
import type { Codecs } from '../../lib/streams/codecs.ts';
import type { Committer } from '../../lib/streams/committer.ts';
import { StreamMetrics } from '../../lib/streams/metrics.ts';
import type { StreamTask } from '../../lib/streams/task.ts';
import { TaskManager } from '../../lib/streams/task-manager.ts';
import type { Processor } from '../../lib/streams/topology.ts';
import { TOPICS } from '../../lib/topics.ts';
import { testTopology } from '../helpers/stream-topology.ts';

const topology = testTopology;

const processor = (): Processor<'raw', 'rounds', 'synthState'> => ({ init() {}, process() {}, close() {} });

/** A committer whose fencing (open) waits until the test lets it go, as on a dead broker's connection. */
function hangingCommitter() {
  let release: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    release = resolve;
  });
  const closed: number[] = [];
  const committer = {
    open: () => opened,
    close: async (partition: number) => {
      closed.push(partition);
    },
  } as unknown as Committer<StreamTask<'raw', 'rounds', 'synthState'>>;
  return { committer, release, closed };
}

function manager(committer: Committer<StreamTask<'raw', 'rounds', 'synthState'>>, fatal: string[] = []) {
  return new TaskManager({
    kafka: {} as Kafka,
    groupId: 'g',
    inputTopic: 'in',
    changelogTopic: 'state',
    createProcessor: processor,
    deps: {
      topology,
      topics: TOPICS,
      codecs: {} as Codecs,
      metrics: new StreamMetrics(new Registry(), 'test'),
      log: createLogger('task-manager-test', 'silent'),
      commitSoon: () => {},
      keep: () => {},
    },
    committer,
    log: createLogger('task-manager-test', 'silent'),
    stopped: () => false,
    onFatal: (reason) => fatal.push(reason),
    startTimeoutMs: 50,
  });
}

describe('TaskManager start timeout', () => {
  it('gives up on a start that hangs, asks for a rebuild, and installs nothing when it finishes late', async () => {
    const { committer, release, closed } = hangingCommitter();
    const fatal: string[] = [];
    const tasks = manager(committer, fatal);
    tasks.assign(new Set([3]));
    expect(tasks.restoring).toBe(1);
    await expect(tasks.taskFor(3)).resolves.toBeUndefined();
    expect(fatal).toEqual(['partition 3 did not start within 50 ms']);
    expect(tasks.restoring).toBe(0);

    // The hung fencing finishes after the member gave up: the abandoned start stops before reading
    // anything and neither installs a task nor closes the (by now new) producer of the partition.
    release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(tasks.activePartitions()).toEqual([]);
    expect(closed).toEqual([]);
  });
});

describe('TaskManager fenced', () => {
  it('asks for a rejoin only when the latest assignment still gives the fenced partition here', () => {
    const { committer } = hangingCommitter();
    const tasks = manager(committer);
    tasks.assign(new Set([0, 2]));
    const task = (partition: number) =>
      ({ partition, close: () => true }) as unknown as StreamTask<'raw', 'rounds', 'synthState'>;
    // Still assigned here: a member that held it in a generation this one missed fenced it.
    expect(tasks.fenced(task(0))).toBe(true);
    // Revoked by the latest assignment: the new owner fenced it, as it should.
    tasks.assign(new Set([0]));
    expect(tasks.fenced(task(2))).toBe(false);
  });
});
