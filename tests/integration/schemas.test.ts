import { beforeAll, describe, expect, it } from 'vitest';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { checkSchemas, registerSchemas, registryClient, topicSerde } from '../../lib/registry.ts';
import { TOPICS, type TopicName } from '../../lib/topics.ts';
import * as samples from '../fixtures/records.ts';

const client = registryClient(loadEndpoints().registry.url);

const sampleOf: Record<TopicName, unknown[]> = {
  [TOPICS.raw]: [samples.sampleRawDocument],
  [TOPICS.rounds]: [samples.sampleSynthRound, samples.sampleCloseRecord],
  [TOPICS.augmented]: [samples.sampleAugmentedRecord],
  [TOPICS.dlq]: [samples.sampleDeadLetter],
  [TOPICS.synthState]: [samples.sampleSynthStateChain, samples.sampleSynthStateCounters],
  [TOPICS.assembleState]: [samples.sampleAssembleState],
  [TOPICS.candidates]: [samples.sampleDedupCandidate, samples.sampleDedupReply],
  [TOPICS.dedupState]: [samples.sampleDedupDocState, samples.sampleDedupBandState],
  [TOPICS.crawlInputs]: [samples.sampleCrawlInput],
  [TOPICS.crawlProgress]: [samples.sampleCrawlProgress],
};

describe('pipeline schemas in the registry', () => {
  beforeAll(async () => {
    await registerSchemas(client);
  });

  it('registering again is a no-op and check reports every schema as registered', async () => {
    const first = await registerSchemas(client);
    expect(await registerSchemas(client)).toEqual(first);
    const checks = await checkSchemas(client);
    expect(checks.map((c) => c.status)).toEqual(Object.keys(sampleOf).map(() => 'same'));
  });

  it.each(Object.entries(sampleOf))(
    '%s round-trips its records through the registry serdes',
    async (topic, values) => {
      const serde = topicSerde<unknown>(client, topic as TopicName);
      for (const value of values) {
        const bytes = await serde.serialize(value);
        expect(bytes[0]).toBe(0);
        expect(await serde.deserialize(bytes)).toEqual(value);
      }
    },
  );

  it('refuses to write a record that does not match its schema', async () => {
    const serde = topicSerde<unknown>(client, TOPICS.raw);
    const { token_count: _dropped, ...missingField } = samples.sampleRawDocument;
    await expect(serde.serialize(missingField)).rejects.toThrow(/token_count|invalid/i);
    await expect(serde.serialize({ ...samples.sampleRawDocument, chunk_index: 'first' })).rejects.toThrow();
  });
});
