import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChainId } from '../../core/chain-id.ts';
import { MISTRAL_TOKENIZER_NAME } from '../../core/mistral.ts';
import type { DeadLetter, SynthRound } from '../../core/types.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { kafkaClient } from '../../lib/kafka/client.ts';
import { loadTokenizer } from '../../lib/tokenizer-file.ts';
import type { Topics } from '../../lib/topics.ts';
import { type SynthService, startSynth } from '../../services/synth/service.ts';
import { computeGolden } from '../fixtures/golden/chains.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';
import { produceRawDocuments, rawDocument, sampleText } from '../helpers/raw-docs.ts';
import { readDecoded } from '../helpers/read-topic.ts';
import { type SpawnedTriton, spawnTriton } from '../helpers/triton-server.ts';

const FAULT_MARKER = '[[ipt-fault:inference-error]]';
const endpoints = loadEndpoints();
let kafka: Kafka;
let triton: SpawnedTriton;

beforeAll(async () => {
  kafka = kafkaClient('test-synth', endpoints.kafka.brokers);
  triton = await spawnTriton({ args: ['--models', 'instruction_synthesizer_cpu'] });
});
afterAll(async () => {
  await triton?.stop();
});

interface Decoded {
  rounds: SynthRound[];
  closes: SynthRound[];
  dead: DeadLetter[];
}

async function outputs(topics: Topics): Promise<Decoded> {
  const all = await readDecoded<SynthRound>(kafka, endpoints.registry.url, topics.rounds);
  const dead = await readDecoded<DeadLetter>(kafka, endpoints.registry.url, topics.dlq);
  return {
    rounds: all.filter((r) => r.kind === 'ROUND'),
    closes: all.filter((r) => r.kind === 'CLOSE'),
    dead,
  };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function startTestSynth(
  topics: Topics,
  runId: string,
  extra: Partial<Parameters<typeof startSynth>[0]> = {},
) {
  return startSynth({
    brokers: endpoints.kafka.brokers,
    registryUrl: endpoints.registry.url,
    tritonUrls: [triton.url],
    topics,
    runId,
    chainsPerBlock: 4,
    roundsPerChain: 2,
    idleMs: 1_500,
    maxAttempts: 2,
    opsPort: 0,
    ...extra,
  });
}

describe('synth on the real stack', () => {
  it('sends Triton exactly the prompts core prescribes for multi-round chains', async () => {
    const topics = await freshTopics('synth-golden', 1);
    const docs = Array.from({ length: 24 }, (_, i) => rawDocument(i));
    await produceRawDocuments(kafka, endpoints.registry.url, topics.raw, docs);
    const before = triton.observed().length;
    const runId = `golden-${randomUUID().slice(0, 8)}`;
    const synth = await startTestSynth(topics, runId);
    try {
      await until('24 rounds', async () => (await outputs(topics)).rounds.length >= 24);
      const ready = await fetch(`${synth.ops?.url}/readyz`);
      expect(ready.status).toBe(200);
      const metrics = await (await fetch(`${synth.ops?.url}/metrics`)).text();
      expect(metrics).toMatch(/ipt_synth_rounds_total 24/);
    } finally {
      await synth.stop();
    }
    const { rounds, closes, dead } = await outputs(topics);
    expect(rounds).toHaveLength(24);
    expect(closes).toEqual([]);
    expect(dead).toEqual([]);
    expect(new Set(rounds.map((r) => r.doc_id))).toEqual(new Set(docs.map((d) => d.doc_id)));

    // Layout: K = 4, M = 2 → chain j of block b takes records 8b + j and 8b + 4 + j.
    const byChain = new Map<string, SynthRound[]>();
    for (const r of rounds) byChain.set(r.chain_id, [...(byChain.get(r.chain_id) ?? []), r]);
    expect(byChain.size).toBe(12);
    const observedPrompts = triton
      .observed()
      .slice(before)
      .flatMap((b) => b.prompts);
    let followed = 0;
    for (const [chainId, chainRounds] of byChain) {
      const { block, chainIndex } = parseChainId(chainId);
      chainRounds.sort((a, b) => a.round_index - b.round_index);
      expect(chainRounds.map((r) => r.doc_id)).toEqual([
        docs[8 * block + chainIndex]?.doc_id,
        docs[8 * block + 4 + chainIndex]?.doc_id,
      ]);
      const golden = computeGolden({
        name: chainId,
        chain_id: chainId,
        texts: chainRounds.map((r) => r.text),
        outputs: chainRounds.map((r) => r.raw_output),
      });
      for (const [i, round] of chainRounds.entries()) {
        const expected = golden.rounds[i];
        expect(round.prompt).toBe(expected?.prompt);
        expect(round.pairs).toEqual(expected?.pairs);
        expect(round.inherit_from_prev).toBe(expected?.inherit_from_prev);
        expect(round.history_rounds_used).toBe(expected?.history_rounds_used);
        // What the server saw, byte for byte.
        expect(observedPrompts).toContain(expected?.prompt);
      }
      const [first, second] = chainRounds as [SynthRound, SynthRound];
      if (first.pairs.length > 0) {
        followed++;
        // Spelled out without core: round 1's prompt is round 0 as history, then its own reading block.
        const pairs = first.pairs.map((p) => `<QUE> ${p.question} <ANS> ${p.answer} </END>`).join('\n\n');
        expect(second.prompt).toBe(
          `<s> <CON> ${first.text} </CON>\n\n${pairs}</s><s> <CON> ${second.text} </CON>\n\n`,
        );
      }
    }
    expect(followed).toBeGreaterThan(6); // the CPU synthesizer finds pairs in these texts
  });

  it('dead-letters a record whose inference always fails, closes its chain, and carries on', async () => {
    const topics = await freshTopics('synth-poison', 1);
    // K = 4, M = 2: doc 1 is round 0 of chain 1 (its round 1, doc 5, is orphaned);
    // doc 6 is round 1 of chain 2 (which closes with one round).
    const docs = Array.from({ length: 16 }, (_, i) =>
      rawDocument(i, i === 1 || i === 6 ? `${rawDocument(i).text} ${FAULT_MARKER}` : undefined),
    );
    await produceRawDocuments(kafka, endpoints.registry.url, topics.raw, docs);
    const synth = await startTestSynth(topics, `poison-${randomUUID().slice(0, 8)}`);
    try {
      await until('14 rounds and 3 dead letters', async () => {
        const o = await outputs(topics);
        return o.rounds.length >= 13 && o.dead.length >= 3;
      });
    } finally {
      await synth.stop();
    }
    const { rounds, closes, dead } = await outputs(topics);
    expect(rounds.map((r) => r.doc_id).sort()).toEqual(
      docs.map((d) => d.doc_id).filter((id) => !['doc-000001', 'doc-000005', 'doc-000006'].includes(id)),
    );
    const deadBy = new Map(dead.map((d) => [d.doc_id, d]));
    expect([...deadBy.keys()].sort()).toEqual(['doc-000001', 'doc-000005', 'doc-000006']);
    expect(deadBy.get('doc-000001')?.error_class).toMatch(/^INFERENCE_/);
    expect(deadBy.get('doc-000001')?.stage).toBe('SYNTH');
    expect(deadBy.get('doc-000006')?.error_class).toMatch(/^INFERENCE_/);
    expect(deadBy.get('doc-000005')?.error_name).toBe('ChainClosedError');
    expect(deadBy.get('doc-000001')?.value?.toString()).toContain(FAULT_MARKER);
    // Chain 2 ends with its one good round; chain 1 never had one, so nothing to close.
    expect(closes).toHaveLength(1);
    expect(closes[0]?.close).toMatchObject({ reason: 'PERMANENT_FAILURE', rounds_total: 1 });
    expect(parseChainId(closes[0]?.chain_id as string)).toMatchObject({ block: 0, chainIndex: 2 });
  });

  it('closes the chains of a partial block once input stops for idleMs', async () => {
    const topics = await freshTopics('synth-idle', 1);
    const docs = Array.from({ length: 10 }, (_, i) => rawDocument(100 + i));
    await produceRawDocuments(kafka, endpoints.registry.url, topics.raw, docs.slice(0, 6));
    const synth: SynthService = await startTestSynth(topics, `idle-${randomUUID().slice(0, 8)}`);
    try {
      // Block 0 holds 6 of 8 records: chains 0, 1 complete; chains 2, 3 wait for a round 1 that never comes.
      await until('two idle closes', async () => (await outputs(topics)).closes.length >= 2);
      // Records after the idle close start a fresh block instead of joining closed chains.
      await produceRawDocuments(kafka, endpoints.registry.url, topics.raw, docs.slice(6));
      await until('10 rounds', async () => (await outputs(topics)).rounds.length >= 10);
    } finally {
      await synth.stop();
    }
    const { rounds, closes } = await outputs(topics);
    expect(
      closes.map((c) => [parseChainId(c.chain_id).chainIndex, c.close?.reason, c.close?.rounds_total]),
    ).toEqual([
      [2, 'IDLE_TIMEOUT', 1],
      [3, 'IDLE_TIMEOUT', 1],
    ]);
    const late = rounds.filter((r) => docs.slice(6).some((d) => d.doc_id === r.doc_id));
    expect(late.map((r) => [parseChainId(r.chain_id).block, r.round_index])).toEqual([
      [1, 0],
      [1, 0],
      [1, 0],
      [1, 0],
    ]);
  });

  it("budgets with the run's own tokenizer file and records it on the run", async () => {
    // Mistral's v3 SentencePiece model, as the mistral-common wheel ships it: the v0.1 vocabulary
    // under other ids plus control tokens, so `[INST]` in a text is one token instead of four.
    const file = join(
      import.meta.dirname,
      '../../.venv/lib/python3.11/site-packages/mistral_common/data/mistral_instruct_tokenizer_240323.model.v3',
    );
    const other = loadTokenizer(file);
    const topics = await freshTopics('synth-tokenizer', 1);
    const docs = Array.from({ length: 8 }, (_, i) =>
      rawDocument(200 + i, `[INST] ${sampleText(200 + i)} [/INST]`),
    );
    expect(docs.every((d) => other.count(d.text) < d.token_count)).toBe(true);
    await produceRawDocuments(kafka, endpoints.registry.url, topics.raw, docs);
    const synth = await startTestSynth(topics, `tok-${randomUUID().slice(0, 8)}`, { tokenizer: file });
    try {
      await until('8 rounds', async () => (await outputs(topics)).rounds.length >= 8);
    } finally {
      await synth.stop();
    }
    expect(synth.run.tokenizer).toBe(other.name);
    expect(synth.run.tokenizer).not.toBe(MISTRAL_TOKENIZER_NAME);
    const { rounds } = await outputs(topics);
    for (const r of rounds) {
      expect(r.run.tokenizer).toBe(other.name);
      // Counted again with the run's tokenizer, not ingest's Mistral count.
      expect(r.text_tokens).toBe(other.count(r.text));
    }
  });
});
