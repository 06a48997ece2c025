// `ipt ingest --explain` and the per-step summary: a dry run over a file with a kept document, an
// exact duplicate, a near-duplicate and a too-short text names each outcome and the step that
// decided it, with the near-duplicate's kept document; the CLI does it with no Kafka reachable; the
// text summary prints every step's in → out and its drops by reason.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TokenCounter } from '../../core/tokens.ts';
import { explainIngest, explanationText } from '../../services/ingest/explain.ts';
import { summaryText } from '../../services/ingest/progress.ts';
import { runIpt } from '../helpers/service-process.ts';

const words: TokenCounter = { count: (t) => t.split(/\s+/).filter(Boolean).length };
const demo = readFileSync(new URL('../../demo/corpus/sample.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as { text: string });
const article = demo[0]?.text ?? '';

const dir = mkdtempSync(join(tmpdir(), 'ipt-explain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'four.jsonl');
writeFileSync(
  file,
  [
    { id: 'kept', text: article },
    { id: 'copy', text: article },
    { id: 'near', text: `Home | News | Sport | Weather\n${article}\nCopyright 2026. All rights reserved.` },
    { id: 'short', text: 'Far too short to be a document.' },
    { id: 'sixth', text: demo[1]?.text },
  ]
    .map((d) => JSON.stringify(d))
    .join('\n'),
);
const options = { tokenizer: words, normalize: { minChars: 200 } };

describe('ipt ingest --explain', () => {
  it('names what each step did to each document, and stops at the limit', async () => {
    const { explanations, stats } = await explainIngest(options, [file], { limit: 4 });
    expect(explanations.map((e) => [e.docId, e.outcome])).toEqual([
      ['kept', 'accepted'],
      ['copy', 'duplicate'],
      ['near', 'rejected'],
      ['short', 'rejected'],
    ]);
    const last = (i: number) => explanations[i]?.steps.at(-1);
    expect(explanations[0]?.steps.map((s) => s.outcome)).toEqual(explanations[0]?.steps.map(() => 'kept'));
    expect(last(1)).toMatchObject({ step: 'dedup', outcome: 'duplicate' });
    expect(last(2)).toMatchObject({
      step: 'dedup',
      outcome: 'rejected',
      reason: 'near_duplicate',
      detail: { kept_doc_id: 'kept' },
    });
    expect(last(3)).toMatchObject({ step: 'length', outcome: 'rejected', reason: 'too_short' });
    expect(stats.inputs).toBe(4);

    const text = explanationText(explanations);
    expect(text).toContain(
      'dedup        rejected near_duplicate  decided_by=the dedup stage (ipt dedup) near_dup=on kept_doc_id=kept similarity=',
    );
    expect(text).toMatch(/#4 .*\(short\): rejected\n(.*\n)*\s+length\s+rejected too_short/);
  });

  it("marks the dedup verdicts as the dedup stage's", async () => {
    const { explanations } = await explainIngest(options, [file], { limit: 3 });
    const decidedBy = 'the dedup stage (ipt dedup)';
    expect(explanations[0]?.steps.find((t) => t.step === 'dedup')).toMatchObject({
      outcome: 'kept',
      detail: { decided_by: decidedBy, near_dup: 'on' },
    });
    expect(explanations[1]?.steps.at(-1)).toMatchObject({
      step: 'dedup',
      detail: { decided_by: decidedBy, kept_doc_id: 'kept' },
    });
    expect(explanations[2]?.steps.at(-1)).toMatchObject({
      step: 'dedup',
      reason: 'near_duplicate',
      detail: { kept_doc_id: 'kept', decided_by: decidedBy },
    });
    expect(explanationText(explanations)).toContain(`decided_by=${decidedBy}`);
  });

  it('leaves near-duplicates in when no signature is sent, and has no dedup step without the stage', async () => {
    const exact = await explainIngest({ ...options, nearDup: false }, [file], { limit: 3 });
    expect(exact.explanations.map((e) => e.outcome)).toEqual(['accepted', 'duplicate', 'accepted']);
    const none = await explainIngest({ ...options, dedupStage: false }, [file], { limit: 3 });
    expect(none.explanations.map((e) => e.outcome)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(none.explanations[0]?.steps.map((t) => t.step)).not.toContain('dedup');
  });

  it('runs from the CLI without Kafka and prints JSON', async () => {
    const r = await runIpt([
      'ingest',
      file,
      '--explain',
      '--explain-limit',
      '3',
      '--json',
      '--brokers',
      '127.0.0.1:1',
      '--registry',
      'http://127.0.0.1:1',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { explanations: { outcome: string }[]; steps: object };
    expect(out.explanations.map((e) => e.outcome)).toEqual(['accepted', 'duplicate', 'rejected']);
    expect(out.steps).toHaveProperty('dedup');
  }, 30_000);
});

describe('the ingest summary', () => {
  it("prints each step's in → out and its drops by reason", async () => {
    const { stats } = await explainIngest(options, [file], { limit: 5 });
    const text = summaryText(stats, 1);
    expect(text).toContain('steps (in → out):');
    expect(text).toMatch(/\n {2}decode\s+5 → 5\n/);
    expect(text).toMatch(/\n {2}length\s+5 → 4 {2}dropped: too_short 1\n/);
    expect(text).toMatch(
      /\n {2}dedup\s+4 → 2 {2}dropped: (duplicate 1, near_duplicate 1|near_duplicate 1, duplicate 1)\n/,
    );
  });
});
