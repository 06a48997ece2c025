// What a newcomer meets first: topics created by hand can be ingested into (ingest registers the
// schemas, as synth and assemble do), and a real error reaches the console as one readable line
// that names the log file, never as JSON logs.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { checkSchemas, registryClient } from '../../lib/registry.ts';
import { topicsFor } from '../../lib/topics.ts';
import { runIpt } from '../helpers/service-process.ts';

const asUser = { IPT_LOG_LEVEL: undefined };

describe('a first run by hand', () => {
  it('ingests into topics created with `ipt topics create`, registering their schemas', {
    timeout: 120_000,
  }, async () => {
    const namespace = `first-${randomUUID().slice(0, 8)}`;
    const created = await runIpt(['topics', 'create', '--topic-namespace', namespace], { env: asUser });
    expect(created.code, created.stderr).toBe(0);
    const registry = registryClient(loadEndpoints().registry.url);
    const before = await checkSchemas(registry, topicsFor(namespace));
    expect(before.map((c) => c.status)).toContain('missing');

    const ingest = await runIpt(['ingest', 'demo/corpus/sample.jsonl', '--topic-namespace', namespace], {
      env: asUser,
      timeoutMs: 90_000,
    });
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(ingest.stdout).toMatch(/ingested 51 documents/);
    // Nothing runs `ipt dedup` here: the user is told the documents wait for one.
    expect(ingest.stderr).toContain('no dedup stage is running for these topics');
    const after = await checkSchemas(registry, topicsFor(namespace));
    expect(after.map((c) => c.status)).toEqual(after.map(() => 'same'));
  });

  it('reports a registry that is down as one line naming the log file, with the details in it', {
    timeout: 60_000,
  }, async () => {
    const namespace = `first-${randomUUID().slice(0, 8)}`;
    await runIpt(['topics', 'create', '--topic-namespace', namespace], { env: asUser });
    const run = await runIpt(
      [
        'run',
        '--run-id',
        namespace,
        '--topic-namespace',
        namespace,
        '--registry',
        'http://127.0.0.1:9/apis/ccompat/v7',
        '--ingest-port',
        '0',
        '--ingest-ops-port',
        '0',
        '--synth-ops-port',
        '0',
        '--assemble-ops-port',
        '0',
      ],
      { env: asUser, timeoutMs: 45_000 },
    );
    expect(run.code).toBe(1);
    const lines = `${run.stdout}${run.stderr}`.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(1);
    const match =
      /^error: cannot register the schema of .* registry at http:\/\/127\.0\.0\.1:9\/.*\(log: (\S+run\.log)\)$/.exec(
        lines[0] ?? '',
      );
    expect(match, lines[0]).not.toBeNull();
    const logged =
      readFileSync(match?.[1] as string, 'utf8')
        .trim()
        .split('\n')
        .at(-1) ?? '';
    expect(JSON.parse(logged)).toMatchObject({ level: 60, msg: expect.stringContaining('127.0.0.1:9') });
  });
});
