// `ipt run` as a small deployment runs it: one process serving POST /documents, synth and assemble,
// configured from a file; documents posted over HTTP come out as augmented records; SIGTERM stops it
// cleanly even with work in flight, and a restart finishes that work without duplicating anything.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import type { Topics } from '../../lib/topics.ts';
import { REPO_ROOT } from '../../stack/config.ts';
import { account, corpusDocuments, jsonl, waitAccounted } from '../helpers/pipeline-outputs.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';

const endpoints = loadEndpoints();
const kafka: Kafka = kafkaClient('test-e2e-run', endpoints.kafka.brokers);
const dir = mkdtempSync(join(tmpdir(), 'ipt-e2e-run-'));
const TOKEN = `token-${randomUUID()}`;
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function ipt(args: string[]): Running {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'ipt.js'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, IPT_LOG_LEVEL: 'warn', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

interface Urls {
  documents: string;
  ops: string[];
}

async function started(run: Running): Promise<Urls> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const out = run.output();
    const post = out.match(/POST (http:\/\/\S+\/documents)/);
    const ops = out.match(/ops: ingest (\S+) +dedup (\S+) +synth (\S+) +assemble (\S+)/);
    if (post?.[1] && ops) return { documents: post[1], ops: ops.slice(1, 5) as string[] };
    if (run.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`ipt run did not start:\n${run.output()}`);
}

function startRun(topics: Topics, runId: string, config: string): Running {
  const namespace = topics.raw.slice(0, -'.ipt.docs.raw'.length);
  return ipt(['run', '--run-id', runId, '--topic-namespace', namespace, '--config', config]);
}

const post = (url: string, body: string, token?: string) =>
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-ndjson',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body,
  });

describe('ipt run', () => {
  it('--help names the services, the shared flags and the config file', async () => {
    const run = ipt(['run', '--help']);
    expect(await run.exited).toBe(0);
    for (const flag of ['--run-id', '--ingest-port', '--k', '--idle-ms', '--brokers', '--triton', '--config'])
      expect(run.output()).toContain(flag);
    // Every ingest document option (declared once, shared with ipt ingest) and the dedup stage's.
    for (const flag of [
      '--extract',
      '--normalize',
      '--languages',
      '--no-quality',
      '--clean-lines',
      '--max-record-bytes',
    ])
      expect(run.output()).toContain(flag);
    for (const flag of ['--dedup-window', '--near-dup-threshold', '--no-near-dup', '--dedup-ops-port'])
      expect(run.output()).toContain(flag);
  });

  it('refuses to start on missing topics, saying how to create them', async () => {
    const run = ipt(['run', '--run-id', 'x', '--topic-namespace', `absent-${randomUUID().slice(0, 8)}`]);
    expect(await run.exited).not.toBe(0);
    expect(run.output()).toMatch(/missing Kafka topics: .*ipt topics create/);
  });

  it('HTTP documents in, augmented records out; SIGTERM mid-work, restart: each document once', {
    timeout: 180_000,
  }, async () => {
    const topics = await freshTopics('e2e-run', 2);
    const runId = `e2e-run-${randomUUID().slice(0, 8)}`;
    const config = join(dir, 'run.json');
    // Ports 0: any free ones (the test reads them from the startup lines).
    writeFileSync(
      config,
      JSON.stringify({
        k: 4,
        idleMs: 1500,
        ingestToken: TOKEN,
        ingestPort: 0,
        ingestOpsPort: 0,
        dedupOpsPort: 0,
        synthOpsPort: 0,
        assembleOpsPort: 0,
      }),
    );
    const docs = corpusDocuments().slice(0, 30);

    const first = startRun(topics, runId, config);
    const urls = await started(first);
    expect((await post(urls.documents, jsonl(docs.slice(0, 1)))).status).toBe(401); // the token is from the file
    const accepted = await post(urls.documents, jsonl(docs.slice(0, 16)), TOKEN);
    expect(accepted.status).toBe(200);
    for (const ops of urls.ops) {
      const ready = async () => (await fetch(`${ops}/readyz`)).status;
      const deadline = Date.now() + 30_000;
      while ((await ready()) !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(await ready(), ops).toBe(200);
      expect(await (await fetch(`${ops}/metrics`)).text()).toMatch(/^ipt_/m);
    }
    await waitAccounted(kafka, endpoints.registry.url, topics, runId, { expectDocuments: 16 });
    // More documents, and SIGTERM while they are being synthesized.
    expect((await post(urls.documents, jsonl(docs.slice(16)), TOKEN)).status).toBe(200);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('SIGTERM: stopping');
    expect(first.output()).toMatch(/dedup kept \d+, dropped 0 duplicates and 0 near-duplicates/);

    // A restart of the same run finishes whatever was left, without redoing what was committed.
    const second = startRun(topics, runId, config);
    await started(second);
    const outputs = await waitAccounted(kafka, endpoints.registry.url, topics, runId, {
      expectDocuments: docs.length,
      timeoutMs: 90_000,
    });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    expect(outputs.raw.map((d) => d.doc_id).sort()).toEqual(docs.map((d) => d.id).sort());
    expect(account(outputs, runId)).toMatchObject({ missing: [], duplicated: [], both: [], deadLettered: 0 });
    const chainIds = outputs.records.map((r) => r.chain_id);
    expect(new Set(chainIds).size).toBe(chainIds.length);
    const rounds = outputs.rounds
      .filter((r) => r.kind === 'ROUND')
      .map((r) => `${r.chain_id}@${r.round_index}`);
    expect(new Set(rounds).size).toBe(rounds.length);
    expect(rounds).toHaveLength(docs.length);
    // Chains of K = 4: positions j and 4 + j of a block.
    expect(outputs.records.every((r) => r.run.chains_per_block === 4)).toBe(true);
  });
});
