import { describe, expect, it } from 'vitest';
import { docKey, RunTally, rawKey } from '../../services/accounting/run-outputs.ts';
import { sampleAugmentedRecord, sampleDeadLetter } from '../fixtures/records.ts';

const RUN = sampleAugmentedRecord.run.run_id;
const tally = () => new RunTally(RUN, 'ipt.docs.raw');
const keys = (...ids: string[]) => ids.map(docKey);

describe('RunTally: where a run left its documents', () => {
  it('counts the documents of the run’s augmented records once, ignoring other runs', () => {
    const t = tally();
    t.addRecord(sampleAugmentedRecord);
    t.addRecord(sampleAugmentedRecord);
    t.addRecord({
      ...sampleAugmentedRecord,
      id: 'other/x',
      doc_ids: ['doc-3'],
      run: { ...sampleAugmentedRecord.run, run_id: 'other' },
    });
    expect(t.records.size).toBe(1);
    expect(t.coverage(keys('doc-1', 'doc-2', 'doc-3'))).toEqual({
      documents: 3,
      augmented: 2,
      deadLettered: 0,
      missing: [docKey('doc-3')],
    });
  });

  it('accounts for the documents a chain dead-lettered at assembly names in its context', () => {
    const t = tally();
    t.addDeadLetter({
      ...sampleDeadLetter,
      stage: 'ASSEMBLE',
      doc_id: null,
      chain_id: 'c-7',
      source_topic: 'ipt.synth.rounds',
      context: { doc_ids: 'doc-5,doc-6' },
    });
    expect(t.coverage(keys('doc-5', 'doc-6'))).toMatchObject({ augmented: 0, deadLettered: 2, missing: [] });
    expect(t.chains.has('c-7')).toBe(true);
  });

  it('knows an undecodable raw record by its position, and a record beats a dead letter', () => {
    const t = tally();
    t.addDeadLetter({ ...sampleDeadLetter, doc_id: null, source_partition: 1, source_offset: 9 });
    t.addDeadLetter({ ...sampleDeadLetter, doc_id: 'doc-1' });
    t.addRecord(sampleAugmentedRecord);
    expect(t.accounted(rawKey(null, 1, 9))).toBe(true);
    expect(t.accounted(rawKey(null, 1, 10))).toBe(false);
    expect(t.coverage(keys('doc-1'))).toMatchObject({ augmented: 1, deadLettered: 0 });
  });

  it('ignores dead letters of other runs and of ingest (no run)', () => {
    const t = tally();
    t.addDeadLetter({ ...sampleDeadLetter, run_id: 'other', doc_id: 'doc-1' });
    t.addDeadLetter({ ...sampleDeadLetter, run_id: null, doc_id: 'doc-2' });
    expect(t.deadLetters).toHaveLength(0);
    expect(t.coverage(keys('doc-1', 'doc-2')).missing).toHaveLength(2);
  });
});
