import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pairFragments } from '../../core/templates/structure.ts';
import type { AugmentedRecord, SynthRound } from '../../core/types.ts';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { createLogger } from '../../lib/log.ts';
import type { Topics } from '../../lib/topics.ts';
import { type AssembleService, startAssemble } from '../../services/assemble/main.ts';
import { chainIdOf, chainRounds, closeOf, testRun } from '../fixtures/synth-rounds.ts';
import {
  produce,
  produceRounds,
  readAll,
  type Serdes,
  serdesFor,
  stateKeys,
  waitFor,
} from '../helpers/assemble-io.ts';
import { freshTopics } from '../helpers/pipeline-topics.ts';

const endpoints = loadEndpoints();
const kafka = new Kafka({
  clientId: 'test-assemble',
  brokers: endpoints.kafka.brokers,
  logLevel: logLevel.NOTHING,
});
const log = createLogger('assemble-test', 'error');
const run = testRun(`asm-${randomUUID().slice(0, 8)}`, 2);

let topics: Topics;
let serdes: Serdes;
let service: AssembleService | undefined;

beforeAll(async () => {
  topics = await freshTopics('assemble');
  serdes = serdesFor(endpoints.registry.url, topics);
});
afterAll(async () => {
  await service?.stop();
});

/** Every fragment of every pair of `rounds` must appear in the record's rendered texts. */
function expectPairsRendered(record: AugmentedRecord, rounds: SynthRound[]): void {
  const all = record.texts.map((t) => t.text).join('\n');
  for (const round of rounds) {
    expect(all).toContain(round.text);
    for (const pair of round.pairs) for (const f of pairFragments(pair)) expect(all).toContain(f);
  }
}

describe('assemble service on the real stack', () => {
  it('emits one validated record per finished chain, dead-letters what it cannot use, and leaves no state', async () => {
    const complete = [0, 1, 2, 3, 4, 5].map((index) => chainRounds({ run, index }));
    const [c1r0, c1r1] = complete[1] as [SynthRound, SynthRound];
    const failedLater = chainRounds({ run, index: 6, rounds: 1 });
    const reversed = chainRounds({ run, index: 11 }).reverse();
    const oldTemplates = chainRounds({ run: { ...run, template_version: 'ipt-templates-0' }, index: 9 });
    const otherRun = chainRounds({ run: testRun('someone-else'), index: 10 });
    const [badIndex] = chainRounds({ run, index: 8, rounds: 1 }) as [SynthRound];
    // Counted with another tokenizer than this assemble's (Mistral-7B-v0.1): refused, not miscounted.
    const foreignTokenizer = chainRounds({ run: { ...run, tokenizer: 'other.model sha256:00' }, index: 13 });

    await produceRounds(kafka, topics, serdes, [
      ...complete.filter((_, i) => i !== 1).flat(),
      c1r0,
      c1r0, // the same round twice: counted once
      c1r1,
      c1r1,
      ...failedLater,
      closeOf(run, 6, 1), // round 1 failed for good: the chain ends with the round it has
      closeOf(run, 7, 0), // round 0 failed: nothing to emit
      ...reversed,
      ...oldTemplates,
      ...otherRun,
      { ...badIndex, round_index: 5 },
      ...foreignTokenizer,
    ]);
    await produce(kafka, topics.rounds, [{ key: chainIdOf(run, 12), value: Buffer.from('not avro') }]);

    service = await startAssemble({
      brokers: endpoints.kafka.brokers,
      registryUrl: endpoints.registry.url,
      topics,
      run: run.run_id,
      opsPort: 0,
      log,
    });
    expect(service.groupId).toBe(`ipt-assemble.${run.run_id}`);
    const active = service;
    await waitFor(
      'the chains to be assembled',
      async () => active.stats(),
      (s) => s.emitted + s.deadLettered >= 12,
    );
    const ready = await fetch(`${active.ops?.url}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${active.ops?.url}/metrics`)).text();
    expect(metrics).toMatch(/ipt_assemble_records_total\{event="emitted"\} 8/);
    expect(metrics).toMatch(/ipt_assemble_records_total\{event="other_run"\} 2/);
    await active.stop();
    service = undefined;

    const records = await readAll(kafka, topics.augmented, serdes.augmented.deserialize);
    const byChain = new Map(records.map((r) => [r.value.chain_id, r.value]));
    expect(records.map((r) => r.key).sort()).toEqual(records.map((r) => r.value.chain_id).sort());
    expect(records).toHaveLength(8);
    expect([...byChain.keys()].sort()).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 11].map((i) => chainIdOf(run, i)).sort(),
    );

    for (const [i, rounds] of complete.entries()) {
      const record = byChain.get(chainIdOf(run, i)) as AugmentedRecord;
      expect(record.id).toBe(chainIdOf(run, i));
      expect(record.doc_ids).toEqual(rounds.map((r) => r.doc_id));
      expect(record.rounds).toHaveLength(2);
      expect(record.close).toBeNull();
      expectPairsRendered(record, rounds);
    }
    const closed = byChain.get(chainIdOf(run, 6)) as AugmentedRecord;
    expect(closed.rounds.map((r) => r.doc_id)).toEqual(failedLater.map((r) => r.doc_id));
    expect(closed.close).toMatchObject({ reason: 'PERMANENT_FAILURE', rounds_total: 1 });
    expectPairsRendered(closed, failedLater);
    const outOfOrder = byChain.get(chainIdOf(run, 11)) as AugmentedRecord;
    expect(outOfOrder.rounds.map((r) => r.round_index)).toEqual([0, 1]);

    const letters = await readAll(kafka, topics.dlq, serdes.dlq.deserialize);
    const byClass = new Map(
      letters
        .filter((l) => l.value.chain_id !== chainIdOf(run, 13))
        .map((l) => [l.value.error_class, l.value]),
    );
    expect(letters).toHaveLength(4);
    expect([...byClass.keys()].sort()).toEqual(['DESERIALIZATION', 'TEMPLATE_ERROR', 'VALIDATION']);
    const foreign = letters.find((l) => l.value.chain_id === chainIdOf(run, 13))?.value;
    expect(foreign).toMatchObject({ error_class: 'VALIDATION', run_id: run.run_id });
    expect(foreign?.message).toMatch(
      /counted with tokenizer "other\.model sha256:00", assemble counts with "mistral-7b-v0\.1/,
    );
    for (const l of letters) expect(l.value.stage).toBe('ASSEMBLE');
    expect(byClass.get('VALIDATION')).toMatchObject({
      chain_id: chainIdOf(run, 8),
      source_topic: topics.rounds,
    });
    expect(byClass.get('VALIDATION')?.message).toMatch(/round_index/);
    expect(byClass.get('TEMPLATE_ERROR')).toMatchObject({ chain_id: chainIdOf(run, 9), run_id: run.run_id });
    expect(byClass.get('TEMPLATE_ERROR')?.context.doc_ids).toBe(oldTemplates.map((r) => r.doc_id).join(','));
    expect(byClass.get('DESERIALIZATION')?.value?.toString()).toBe('not avro');

    // Every chain was assembled, dead-lettered or empty: nothing is left in the changelog.
    expect(await stateKeys(kafka, topics, `ipt-assemble.${run.run_id}`)).toEqual([]);
  }, 90_000);
});
