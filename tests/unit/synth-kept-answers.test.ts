// What a synth crash costs: a restored task finishes rounds with the answers the earlier owner kept
// instead of generating them again, counts the rounds it does send again, and sends a restored
// chain to the engine that served it.

import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BUDGET, promptTokenModel } from '../../core/budget.ts';
import { mistralTokenizer } from '../../core/mistral.ts';
import type { KeptAnswer, OpenChain, RawDocument, SynthState } from '../../core/types.ts';
import { SynthMetrics } from '../../services/synth/metrics.ts';
import {
  type Effect,
  PartitionChains,
  promptDigest,
  type RoundStart,
} from '../../services/synth/partition-chains.ts';
import { SynthProcessor, type SynthProcessorDeps } from '../../services/synth/processor.ts';
import { synthRun } from '../../services/synth/topology.ts';
import { type FakeContext, fakeContext, inputRecord } from '../helpers/fake-context.ts';

const tokenizer = mistralTokenizer();
const M = 3;
const run = synthRun(
  {
    runId: 'r1',
    model: 'm',
    modelVersion: '1',
    maxNewTokens: 256,
    maxModelLen: 4096,
    roundsPerChain: M,
    chainsPerBlock: 2,
  },
  'mistral-7b-v0.1',
);
const output = (i: number) => `<QUE> Why does river ${i} matter? <ANS> Because it does. </END>`;
const text = (i: number) => `Document ${i} is about rivers because rivers matter.`;
const doc = (i: number): RawDocument =>
  ({ doc_id: `d${i}`, text: text(i), token_count: tokenizer.count(text(i)) }) as RawDocument;
const ENGINE_A = 'http://engine-a';
const ENGINE_B = 'http://engine-b';

/** Inference whose answers the test gives; remembers which engine "served" each chain. */
function fakeInference() {
  const waiting = new Map<string, (s: string) => void>();
  const prompts: { chainId: string; prompt: string }[] = [];
  const served = new Map<string, string>();
  const preferred = new Map<string, string>();
  return {
    prompts,
    served,
    preferred,
    answer(chainId: string, out: string, engine = ENGINE_A) {
      served.set(chainId, engine);
      waiting.get(chainId)?.(out);
    },
    deps: {
      infer: (prompt: string, chainId: string, onSent?: () => void) =>
        new Promise<string>((resolve) => {
          prompts.push({ chainId, prompt });
          waiting.set(chainId, resolve);
          onSent?.();
        }),
      engineOf: (chainId: string) => served.get(chainId),
      prefer: (chainId: string, engine: string) => preferred.set(chainId, engine),
    },
  };
}

function processor(keepAnswers = true) {
  const inference = fakeInference();
  const registry = new Registry();
  const deps: SynthProcessorDeps = {
    run,
    rawTopic: 'raw',
    chains: {
      layout: { chainsPerBlock: 2, roundsPerChain: M },
      budget: DEFAULT_BUDGET,
      promptTokens: promptTokenModel(tokenizer),
      idleMs: 60_000,
      keepAnswers,
    },
    ...inference.deps,
    maxBuffered: 100,
    recordPrompts: true,
    metrics: new SynthMetrics(registry),
  };
  return { processor: new SynthProcessor(deps, 3), inference, registry };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const counter = async (registry: Registry, name: string) =>
  (await registry.getSingleMetric(name)?.get())?.values[0]?.value ?? 0;

/** The changelog as a restored task reads it: committed transactional writes, then kept writes. */
function changelog(
  committed: FakeContext<'rounds', 'synthState'>['writes'],
  kept: FakeContext<'rounds', 'synthState'>['kept'] = [],
): Map<string, SynthState> {
  const state = new Map<string, SynthState>();
  for (const w of committed) {
    if (w.value) state.set(w.key, w.value);
    else state.delete(w.key);
  }
  for (const k of kept) state.set(k.key, k.value);
  return state;
}

/**
 * A first owner places six records (two chains of three rounds), gets round 0 of chain 0/0 back
 * and has round 1 of it in flight when it dies; its last transaction held only the placement.
 */
async function crashAfterAnswer(keepAnswers: boolean) {
  const first = processor(keepAnswers);
  const before = fakeContext<'rounds', 'synthState'>({ partition: 3 });
  first.processor.init(before);
  for (let i = 0; i < 6; i++) first.processor.process(inputRecord(i, doc(i), 3));
  first.processor.afterBatch();
  const committed = [...before.writes];
  first.inference.answer('r1/raw/3/0/0', output(0), ENGINE_B);
  await settle();
  expect(before.forwarded.map((f) => f.value.doc_id)).toEqual(['d0']); // queued, never committed
  expect(first.inference.prompts.map((p) => p.chainId)).toEqual([
    'r1/raw/3/0/0',
    'r1/raw/3/0/1',
    'r1/raw/3/0/0',
  ]);
  const afterAnswer = before.writes.slice(committed.length);
  return { committed, afterAnswer, kept: before.kept, roundOnePrompt: first.inference.prompts[2]?.prompt };
}

describe('a restored synth task and the answers its earlier owner kept', () => {
  it('marks each round sent and keeps its answer outside the transaction; its transaction deletes both', async () => {
    const { kept, afterAnswer } = await crashAfterAnswer(true);
    expect(kept.map((k) => [k.key, k.value.answer?.output ?? null])).toEqual([
      ['0/0/answer/0', null],
      ['0/1/answer/0', null],
      ['0/0/answer/0', output(0)],
      ['0/0/answer/1', null],
    ]);
    expect(kept[2]?.value.answer).toMatchObject({
      chain_id: 'r1/raw/3/0/0',
      round_index: 0,
      output: output(0),
      engine: ENGINE_B,
    });
    expect(afterAnswer.map((w) => [w.key, w.value === null])).toEqual([
      ['0/0', false],
      ['0/0/answer/0', true],
    ]);
    expect(afterAnswer[0]?.value?.chain?.engine).toBe(ENGINE_B);
  });

  it('finishes a round with its kept answer instead of generating it again', async () => {
    const { committed, kept, roundOnePrompt } = await crashAfterAnswer(true);
    const { processor: p, inference, registry } = processor(true);
    const context = fakeContext<'rounds', 'synthState'>({
      partition: 3,
      restored: changelog(committed, kept),
    });
    p.init(context);
    // Round 0 of chain 0/0 comes from the kept answer; round 1 (in flight at the crash) and round 0
    // of chain 0/1 (in flight too) are generated again, with the same prompts as before.
    expect(context.forwarded.map((f) => [f.value.doc_id, f.value.raw_output, f.value.attempts])).toEqual([
      ['d0', output(0), 0],
    ]);
    expect(inference.prompts.map((x) => x.chainId).sort()).toEqual(['r1/raw/3/0/0', 'r1/raw/3/0/1']);
    expect(inference.prompts.find((x) => x.chainId === 'r1/raw/3/0/0')?.prompt).toBe(roundOnePrompt);
    expect(await counter(registry, 'ipt_synth_reused_answers_total')).toBe(1);
    expect(await counter(registry, 'ipt_synth_regenerated_rounds_total')).toBe(2);
    // Round 1 goes where the kept round 0 was generated.
    expect(inference.preferred.get('r1/raw/3/0/0')).toBe(ENGINE_B);
    // The kept answer is deleted in the transaction that commits its round.
    expect(context.writes.filter((w) => w.key === '0/0/answer/0').map((w) => w.value)).toEqual([null]);
  });

  it('without kept answers, generates the round again and counts it', async () => {
    const { committed, kept } = await crashAfterAnswer(false);
    expect(kept.map((k) => k.value.answer?.output ?? null)).toEqual([null, null, null]); // sent marks only
    const { processor: p, inference, registry } = processor(false);
    const context = fakeContext<'rounds', 'synthState'>({
      partition: 3,
      restored: changelog(committed, kept),
    });
    p.init(context);
    expect(context.forwarded).toEqual([]);
    expect(inference.prompts.map((x) => x.chainId).sort()).toEqual(['r1/raw/3/0/0', 'r1/raw/3/0/1']);
    expect(await counter(registry, 'ipt_synth_reused_answers_total')).toBe(0);
    expect(await counter(registry, 'ipt_synth_regenerated_rounds_total')).toBe(2);
  });

  it("sends a restored chain's next round to the engine that served its last one", async () => {
    const { committed, afterAnswer } = await crashAfterAnswer(true);
    // This time the transaction with round 0 committed before the crash.
    const { processor: p, inference } = processor(true);
    p.init(
      fakeContext<'rounds', 'synthState'>({
        partition: 3,
        restored: changelog([...committed, ...afterAnswer]),
      }),
    );
    expect(inference.preferred).toEqual(new Map([['r1/raw/3/0/0', ENGINE_B]]));
    expect(inference.prompts.map((x) => x.chainId).sort()).toEqual(['r1/raw/3/0/0', 'r1/raw/3/0/1']);
  });
});

describe('PartitionChains with kept answers', () => {
  const chainsConfig = {
    runId: 'run',
    topic: 'raw',
    partition: 3,
    layout: { chainsPerBlock: 1, roundsPerChain: M },
    budget: DEFAULT_BUDGET,
    promptTokens: promptTokenModel(tokenizer),
    idleMs: 60_000,
    keepAnswers: true,
  };
  const pending = (i: number) => ({
    seq: i,
    offset: i,
    round_index: i,
    doc_id: `d${i}`,
    text: text(i),
    text_tokens: tokenizer.count(text(i)),
  });
  const open = (): OpenChain => ({
    chain_id: 'run/raw/3/0/0',
    block: 0,
    chain_index: 0,
    rounds: [],
    pending: [pending(0), pending(1), pending(2)],
    opened_at: 0,
    last_activity_at: 0,
    closed_reason: null,
    engine: ENGINE_A,
  });
  const counters = { next_seq: 3, next_offset: 3 };
  const starts = (effects: Effect[]): RoundStart[] =>
    effects.flatMap((e) => (e.kind === 'start' ? [e.start] : []));

  /** The prompts a live run gives rounds 0, 1 and 2, with the answers it gets. */
  function liveRun() {
    const chains = new PartitionChains(chainsConfig, { counters: null, chains: [] }, 0);
    for (let i = 0; i < 3; i++) chains.admit(pending(i), 0);
    const [r0] = starts(chains.takeEffects()) as [RoundStart];
    chains.finish(r0, { output: output(0), attempts: 1, latencyMs: 1, engine: ENGINE_B }, 1);
    const [r1] = starts(chains.takeEffects()) as [RoundStart];
    chains.finish(r1, { output: output(1), attempts: 1, latencyMs: 1, engine: ENGINE_B }, 1);
    const [r2] = starts(chains.takeEffects()) as [RoundStart];
    return { r0, r1, r2 };
  }
  const kept = (start: RoundStart, out: string | null): KeptAnswer => ({
    chain_id: start.chainId,
    round_index: start.roundIndex,
    prompt_sha256: promptDigest(start.plan.prompt),
    output: out,
    engine: ENGINE_B,
  });

  it('replays consecutive kept rounds and flags a round sent before but not answered', () => {
    const { r0, r1, r2: sentBefore } = liveRun();
    const chains = new PartitionChains(
      chainsConfig,
      {
        counters,
        chains: [open()],
        answers: [kept(r1, output(1)), kept(r0, output(0)), kept(sentBefore, null)],
      },
      0,
    );
    const effects = chains.takeEffects();
    expect(
      effects.filter((e) => e.kind === 'round').map((e) => e.kind === 'round' && e.round.result.reused),
    ).toEqual([true, true]);
    const [r2] = starts(effects) as [RoundStart];
    expect([r2.roundIndex, r2.again, r2.plan.prompt]).toEqual([2, true, sentBefore.plan.prompt]);
    // Without its sent mark the same round was never sent: not counted.
    const unsent = new PartitionChains(
      chainsConfig,
      { counters, chains: [open()], answers: [kept(r1, output(1)), kept(r0, output(0))] },
      0,
    );
    expect(starts(unsent.takeEffects()).map((s) => [s.roundIndex, s.again])).toEqual([[2, false]]);
    const changes = chains.takeStateChanges();
    expect(changes.answersDone).toEqual([
      { chainId: 'run/raw/3/0/0', roundIndex: 0 },
      { chainId: 'run/raw/3/0/0', roundIndex: 1 },
    ]);
    expect(changes.chains.get('run/raw/3/0/0')?.engine).toBe(ENGINE_B);
  });

  it('never uses an answer for another prompt, and deletes answers of rounds already committed', () => {
    const { r0 } = liveRun();
    const other = { ...kept(r0, 'something else'), prompt_sha256: promptDigest('another prompt') };
    const chains = new PartitionChains(chainsConfig, { counters, chains: [open()], answers: [other] }, 0);
    const [start] = starts(chains.takeEffects()) as [RoundStart];
    expect([start.roundIndex, start.again]).toEqual([0, false]);
    expect(chains.takeStateChanges().answersDone).toEqual([{ chainId: 'run/raw/3/0/0', roundIndex: 0 }]);

    const committed = {
      ...open(),
      rounds: [{ ...pending(0), pairs: [], inherit_from_prev: false, history_tokens: 0 }],
    };
    committed.pending = committed.pending.slice(1);
    const stale = new PartitionChains(
      chainsConfig,
      {
        counters,
        chains: [committed],
        answers: [kept(r0, output(0)), { ...kept(r0, output(0)), chain_id: 'gone' }],
      },
      0,
    );
    expect(stale.takeEffects().filter((e) => e.kind === 'round')).toEqual([]);
    expect(stale.takeStateChanges().answersDone.map((a) => a.chainId)).toEqual(['run/raw/3/0/0', 'gone']);
    expect(stale.keptAnswers).toBe(0);
  });

  it('flags nothing in a live run', () => {
    const { r0, r1, r2 } = liveRun();
    expect([r0.again, r1.again, r2.again]).toEqual([false, false, false]);
  });
});
