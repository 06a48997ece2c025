// `npm run demo` as a user runs it (the CLI in its own process, no TTY), in a namespace of its own so
// it starts from nothing: every document accounted for, the export in the loaders' format, and a
// second run that reports the same from the same, byte-identical output.

import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DemoReport } from '../../services/demo/demo.ts';
import type { ExportRow } from '../../services/export/rows.ts';
import { REPO_ROOT } from '../../stack/config.ts';
import { corpusDocuments } from '../helpers/pipeline-outputs.ts';
import { type IptResult, runIpt } from '../helpers/service-process.ts';

const out = mkdtempSync(join(tmpdir(), 'ipt-e2e-demo-'));
const namespace = `e2e-demo-${randomUUID().slice(0, 8)}`;

afterAll(() => rmSync(out, { recursive: true, force: true }));

function demo(...extra: string[]): Promise<IptResult> {
  // Well within "a few minutes" on a 2-core machine, or the demo is broken.
  return runIpt(['demo', '--namespace', namespace, '--out', out, ...extra], {
    env: { IPT_LOG_LEVEL: process.env.IPT_LOG_LEVEL ?? 'info' },
    timeoutMs: 150_000,
  });
}

/** As a user runs it: no IPT_LOG_LEVEL, so the logs go to the demo's log file. */
function demoAsUser(): Promise<IptResult> {
  return runIpt(['demo', '--namespace', namespace, '--out', out], {
    env: { IPT_LOG_LEVEL: undefined },
    timeoutMs: 150_000,
  });
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('npm run demo', () => {
  it('runs the corpus end to end, exports it, and reports the same when run again', {
    timeout: 400_000,
  }, async () => {
    const corpus = corpusDocuments();
    const first = await demo('--json');
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout) as DemoReport;
    expect(first.stderr).toContain(`accounted for ${corpus.length}/${corpus.length} documents`);

    expect(report.ingest).toMatchObject({ accepted: corpus.length, duplicates: 0, rejected: 0 });
    expect(report.documents).toBe(corpus.length);
    expect(report.documentsAugmented + report.documentsDeadLettered).toBe(corpus.length);
    expect(report.deadLetters).toBe(0);
    // K = 4, M = 2: most chains have both rounds; the CPU synthesizer finds several pairs per text.
    expect(report.fullChains).toBeGreaterThanOrEqual(20);
    expect(report.pairsPerDocument).toBeGreaterThan(3);
    expect(report.pipelineSeconds).toBeGreaterThan(0);

    // The export: one JSON object per line with text, id and metadata, covering every document.
    const file = join(out, 'augmented.jsonl');
    expect(report.output.file).toBe(file);
    expect(sha256(file)).toBe(report.output.sha256);
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    const rows = lines.map((l) => JSON.parse(l) as ExportRow);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(['text', 'id', 'metadata']);
      expect(typeof row.text).toBe('string');
      expect(typeof row.id).toBe('string');
      expect(row.metadata.run_id).toBe('demo');
    }
    expect(rows).toHaveLength(report.texts);
    expect(rows.flatMap((r) => r.metadata.doc_ids).sort()).toEqual(corpus.map((d) => d.id).sort());
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'))).toMatchObject({
      run_id: 'demo',
      rows: rows.length,
    });
    expect(rows.map((r) => r.id)).toContain(report.example.id);

    // Again: nothing new to ingest, the same report and the same bytes.
    const second = await demo('--json');
    expect(second.code, second.stderr).toBe(0);
    const again = JSON.parse(second.stdout) as DemoReport;
    expect(again.ingest).toMatchObject({ accepted: 0, duplicates: corpus.length, rejected: 0 });
    const { elapsedSeconds: _a, ingest: _b, ...same } = report;
    const { elapsedSeconds: _c, ingest: _d, ...sameAgain } = again;
    expect(sameAgain).toEqual(same);
    expect(sha256(file)).toBe(report.output.sha256);

    // The text summary a user reads, and a console of progress lines and the summary only: the
    // services' and kafkajs's JSON logs went to the log file the summary names.
    const third = await demoAsUser();
    expect(third.code, third.stderr).toBe(0);
    const consoleLines = `${third.stderr}\n${third.stdout}`.split('\n');
    expect(consoleLines.filter((l) => l.trimStart().startsWith('{"level"'))).toEqual([]);
    expect(
      third.stderr.split('\n').filter((l) => l && !l.startsWith('[demo] ') && !l.startsWith('[stack] ')),
    ).toEqual([]);
    const logFile = /logs +(\S+demo\.log) /.exec(third.stdout)?.[1];
    expect(logFile, third.stdout).toBeDefined();
    expect(existsSync(join(REPO_ROOT, logFile as string))).toBe(true);
    expect(third.stdout).toMatch(new RegExp(`documents +${corpus.length} \\(`));
    expect(third.stdout).toContain(`sha256 ${report.output.sha256.slice(0, 16)}`);
    expect(third.stdout).toContain(report.example.text);
  });
});
