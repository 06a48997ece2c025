import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { mistralTokenizer } from '../../core/mistral.ts';
import type { AssembleState, SynthRound } from '../../core/types.ts';
import { AssembleMetrics } from '../../services/assemble/metrics.ts';
import { AssembleProcessor, type AssembleProcessorDeps } from '../../services/assemble/processor.ts';
import { chainIdOf, chainRounds, closeOf, testRun } from '../fixtures/synth-rounds.ts';
import { fakeContext, inputRecord } from '../helpers/fake-context.ts';

const run = testRun('asm-unit', 2);
const tokens = mistralTokenizer();

function setup(over: Partial<AssembleProcessorDeps> = {}, restored = new Map<string, AssembleState>()) {
  const metrics = new AssembleMetrics(new Registry());
  const processor = new AssembleProcessor(
    { tokenCounter: tokens, metrics, run: run.run_id, now: () => 1_000, ...over },
    0,
  );
  const context = fakeContext<'augmented', 'assembleState'>({ restored });
  processor.init(context);
  let offset = 0;
  const feed = (records: SynthRound[]) => {
    for (const r of records) processor.process(inputRecord(offset++, r));
    processor.afterBatch();
  };
  return { processor, context, metrics, feed };
}

describe('AssembleProcessor with a fake context', () => {
  it('keeps a chain in the store until it is complete, then emits its record and deletes the state', () => {
    const { context, metrics, feed } = setup();
    const [r0, r1] = chainRounds({ run, index: 1 }) as [SynthRound, SynthRound];
    feed([r0]);
    expect(context.writes.map((w) => [w.key, w.value?.rounds.length ?? null])).toEqual([
      [chainIdOf(run, 1), 1],
    ]);
    expect(metrics.stats(0).openChains).toBe(1);
    feed([r0, r1]); // the same round again is a duplicate
    expect(context.forwarded.map((f) => [f.output, f.key, f.value.doc_ids])).toEqual([
      ['augmented', chainIdOf(run, 1), [r0.doc_id, r1.doc_id]],
    ]);
    expect(context.writes.at(-1)).toEqual({ key: chainIdOf(run, 1), value: null });
    expect(metrics.stats(0)).toMatchObject({ rounds: 3, duplicates: 1, emitted: 1, openChains: 0 });
    expect(context.letters).toEqual([]);
  });

  it('dead-letters invalid rounds and untemplatable chains, skips other runs, drops empty chains', () => {
    const { context, metrics, feed } = setup();
    const [bad] = chainRounds({ run, index: 2, rounds: 1 }) as [SynthRound];
    const oldTemplates = chainRounds({ run: { ...run, template_version: 'ipt-templates-0' }, index: 3 });
    const other = chainRounds({ run: testRun('someone-else'), index: 4 });
    feed([{ ...bad, round_index: 5 }, ...oldTemplates, ...other, closeOf(run, 5, 0)]);
    expect(context.letters.map((l) => [l.letter.errorClass, l.letter.chainId, l.letter.runId])).toEqual([
      ['VALIDATION', chainIdOf(run, 2), run.run_id],
      ['TEMPLATE_ERROR', chainIdOf(run, 3), run.run_id],
    ]);
    expect(context.letters[1]?.letter.context?.doc_ids).toBe(oldTemplates.map((r) => r.doc_id).join(','));
    expect(context.forwarded).toEqual([]);
    // The untemplatable chain's state is deleted with its dead letter.
    expect(context.writes.at(-1)).toEqual({ key: chainIdOf(run, 3), value: null });
    expect(metrics.stats(0)).toMatchObject({ otherRuns: 2, empty: 1, openChains: 0 });
  });

  it('re-assembles as another run: records and dead letters name the new run', () => {
    const { context, feed } = setup({ asRun: 'asm-new' });
    const [r0, r1] = chainRounds({ run, index: 6 }) as [SynthRound, SynthRound];
    feed([r0, { ...r1, round_index: 9 }, r1]);
    expect(context.forwarded[0]?.value.run.run_id).toBe('asm-new');
    expect(context.forwarded[0]?.value.id).toBe(`asm-new/${chainIdOf(run, 6)}`);
    expect(context.letters.map((l) => l.letter.runId)).toEqual(['asm-new']);
  });

  it('continues a chain restored from the store', () => {
    const [r0, r1] = chainRounds({ run, index: 7 }) as [SynthRound, SynthRound];
    const first = setup();
    first.feed([r0]);
    const saved = first.context.writes[0]?.value as AssembleState;
    const { context, feed } = setup({}, new Map([[chainIdOf(run, 7), saved]]));
    feed([r1]);
    expect(context.forwarded.map((f) => f.value.doc_ids)).toEqual([[r0.doc_id, r1.doc_id]]);
  });
});
