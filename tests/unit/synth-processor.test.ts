import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BUDGET, promptTokenModel } from '../../core/budget.ts';
import { mistralTokenizer } from '../../core/mistral.ts';
import type { RawDocument, SynthState } from '../../core/types.ts';
import { SynthMetrics } from '../../services/synth/metrics.ts';
import { SynthProcessor, type SynthProcessorDeps } from '../../services/synth/processor.ts';
import { synthRun } from '../../services/synth/topology.ts';
import { fakeContext, inputRecord } from '../helpers/fake-context.ts';

const tokenizer = mistralTokenizer();
const run = synthRun(
  {
    runId: 'r1',
    model: 'm',
    modelVersion: '1',
    maxNewTokens: 256,
    maxModelLen: 4096,
    roundsPerChain: 2,
    chainsPerBlock: 2,
  },
  'mistral-7b-v0.1',
);
const OUTPUT = '<QUE> Why do rivers matter? <ANS> Because they do. </END>';

const doc = (i: number): RawDocument =>
  ({
    doc_id: `d${i}`,
    text: `Document ${i} is about rivers because rivers matter.`,
    token_count: tokenizer.count(`Document ${i} is about rivers because rivers matter.`),
  }) as RawDocument;

/** Inference whose answers the test gives, per chain. */
function fakeInference() {
  const waiting = new Map<string, { resolve: (s: string) => void; reject: (e: unknown) => void }>();
  const prompts: { chainId: string; prompt: string }[] = [];
  const infer = (prompt: string, chainId: string) =>
    new Promise<string>((resolve, reject) => {
      prompts.push({ chainId, prompt });
      waiting.set(chainId, { resolve, reject });
    });
  return { infer, prompts, waiting };
}

function processor(over: Partial<SynthProcessorDeps> = {}, partition = 3) {
  const inference = fakeInference();
  const deps: SynthProcessorDeps = {
    run,
    rawTopic: 'raw',
    chains: {
      layout: { chainsPerBlock: 2, roundsPerChain: 2 },
      budget: DEFAULT_BUDGET,
      promptTokens: promptTokenModel(tokenizer),
      idleMs: 1_000,
      keepAnswers: true,
    },
    infer: inference.infer,
    maxBuffered: 100,
    recordPrompts: true,
    metrics: new SynthMetrics(new Registry()),
    ...over,
  };
  return { processor: new SynthProcessor(deps, partition), inference };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('SynthProcessor with a fake context', () => {
  it('places documents, sends round 0 of each chain to inference and stores counters and chains', () => {
    const { processor: p, inference } = processor();
    const context = fakeContext<'rounds', 'synthState'>({ partition: 3 });
    p.init(context);
    for (let i = 0; i < 4; i++) {
      expect(p.admit(BigInt(i))).toBe(true);
      p.process(inputRecord(i, doc(i), 3));
    }
    p.afterBatch();
    expect(inference.prompts.map((x) => x.chainId)).toEqual(['r1/raw/3/0/0', 'r1/raw/3/0/1']);
    // Counters under the scope itself (key ''), chains under their id past the scope.
    expect(context.writes.map((w) => w.key)).toEqual(['', '0/0', '0/1']);
    expect(context.writes[0]?.value?.counters).toEqual({ next_seq: 4, next_offset: 4 });
    expect(context.writes[1]?.value?.chain?.pending.map((r) => r.doc_id)).toEqual(['d0', 'd2']);
    expect(context.forwarded).toEqual([]);
  });

  it('turns a finished round into a ROUND record and a failed one into dead letters and a close', async () => {
    const { processor: p, inference } = processor();
    const context = fakeContext<'rounds', 'synthState'>({ partition: 3 });
    p.init(context);
    for (let i = 0; i < 4; i++) p.process(inputRecord(i, doc(i), 3));
    p.afterBatch();
    inference.waiting.get('r1/raw/3/0/0')?.resolve(OUTPUT);
    inference.waiting.get('r1/raw/3/0/1')?.reject(new Error('model failed'));
    await settle();
    const rounds = context.forwarded.map((f) => [f.key, f.value.kind, f.value.doc_id]);
    expect(rounds).toEqual([['r1/raw/3/0/0', 'ROUND', 'd0']]);
    expect(context.forwarded[0]?.value.pairs).toHaveLength(1);
    expect(context.commitRequests).toBeGreaterThan(0);
    // d1 failed; d3 (round 1 of the same chain) can never run: both dead-lettered, keyed by doc id.
    expect(context.letters.map((l) => [l.key, l.letter.errorClass, l.letter.chainId])).toEqual([
      ['d1', 'INFERENCE_ERROR', 'r1/raw/3/0/1'],
      ['d3', 'OTHER', 'r1/raw/3/0/1'],
    ]);
    // Round 1 of chain 0 started with round 0 as its history.
    expect(inference.prompts.map((x) => x.chainId)).toEqual(['r1/raw/3/0/0', 'r1/raw/3/0/1', 'r1/raw/3/0/0']);
  });

  it('takes each offset once, nothing past a bounded input, and ends the partial block there', async () => {
    const { processor: p, inference } = processor({ end: 3n });
    const context = fakeContext<'rounds', 'synthState'>({ partition: 3 });
    p.init(context);
    expect([0n, 1n, 2n, 3n, 4n].map((o) => p.admit(o))).toEqual([true, true, true, false, false]);
    for (let i = 0; i < 3; i++) p.process(inputRecord(i, doc(i), 3));
    p.afterBatch();
    expect(p.saturated()).toBe(true); // at its end: nothing more is fetched
    for (const chainId of ['r1/raw/3/0/0', 'r1/raw/3/0/1']) inference.waiting.get(chainId)?.resolve(OUTPUT);
    await settle();
    inference.waiting.get('r1/raw/3/0/0')?.resolve(OUTPUT);
    await settle();
    p.punctuate(Date.now());
    const kinds = context.forwarded.map((f) => [f.value.kind, f.value.close?.reason ?? null]);
    expect(kinds).toEqual([
      ['ROUND', null],
      ['ROUND', null],
      ['ROUND', null],
      ['CLOSE', 'END_OF_INPUT'],
    ]);
  });

  it('restores counters and open chains from the store, restarts their rounds and skips placed records', () => {
    const first = processor();
    const before = fakeContext<'rounds', 'synthState'>({ partition: 3 });
    first.processor.init(before);
    for (let i = 0; i < 3; i++) first.processor.process(inputRecord(i, doc(i), 3));
    first.processor.afterBatch();
    first.processor.close();
    const restored = new Map<string, SynthState>();
    for (const w of before.writes) if (w.value) restored.set(w.key, w.value);

    const { processor: p, inference } = processor();
    const context = fakeContext<'rounds', 'synthState'>({ partition: 3, position: 1n, restored });
    p.init(context);
    expect(inference.prompts.map((x) => x.chainId)).toEqual(['r1/raw/3/0/0', 'r1/raw/3/0/1']);
    // The state ran ahead of the committed offset: records 1 and 2 are placed already.
    expect([1n, 2n, 3n].map((o) => p.admit(o))).toEqual([false, false, true]);
  });
});
