import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import type { AugmentedRecord, SynthRound } from '../../core/types.ts';
import { schemaText } from '../../lib/registry.ts';
import { chainRounds, closeOf, testRun } from '../fixtures/synth-rounds.ts';
import { countSince, observe, type TopicTimes } from '../reliability/commit-clock.ts';
import {
  abortedPositions,
  disagreements,
  isRoundRecord,
  type RoundAt,
  roundOrderViolations,
  roundsNotCommitted,
} from '../reliability/log-checks.ts';

describe('abortedPositions', () => {
  it('is what a read_uncommitted read holds and the read_committed one does not', () => {
    const uncommitted = new Map([
      ['0:0', 'a'],
      ['0:1', 'b'],
      ['0:3', 'c'],
      ['1:0', 'd'],
    ]);
    const committed = new Map([
      ['0:0', 'a'],
      ['1:0', 'd'],
    ]);
    expect([...abortedPositions(uncommitted, committed)]).toEqual(['0:1', '0:3']);
  });
});

describe('disagreements', () => {
  it('names positions missing from either read or holding another record', () => {
    const live = new Map([
      ['0:0', 'a'],
      ['0:1', 'b'],
      ['0:2', 'x'],
    ]);
    const final = new Map([
      ['0:0', 'a'],
      ['0:2', 'c'],
      ['0:4', 'e'],
    ]);
    expect(disagreements(live, final).sort()).toEqual(['0:1', '0:2', '0:4']);
    expect(disagreements(final, new Map(final))).toEqual([]);
  });
});

describe('roundOrderViolations', () => {
  const at = (
    chain_id: string,
    round_index: number,
    kind: RoundAt['kind'] = 'ROUND',
    partition = 0,
  ): RoundAt => ({
    chain_id,
    round_index,
    kind,
    partition,
  });

  it('accepts rounds in increasing order, each chain ending in at most one CLOSE', () => {
    expect(
      roundOrderViolations([at('a', 0), at('b', 0), at('a', 1), at('b', 1), at('b', 0, 'CLOSE')]),
    ).toEqual([]);
  });

  it('names a chain whose round comes after a later one, twice, after its CLOSE, or in two partitions', () => {
    expect(roundOrderViolations([at('a', 1), at('a', 0)])).toEqual(['a: round 0 after round 1']);
    expect(roundOrderViolations([at('a', 0), at('a', 0)])).toEqual(['a: round 0 after round 0']);
    expect(roundOrderViolations([at('a', 0), at('a', 0, 'CLOSE'), at('a', 1)])).toEqual([
      'a: a ROUND after its CLOSE',
    ]);
    expect(roundOrderViolations([at('a', 0), at('a', 1, 'ROUND', 2)])).toEqual(['a: in partitions 0 and 2']);
  });
});

describe('roundsNotCommitted', () => {
  const round = (chain_id: string, round_index: number, doc_id: string) =>
    ({ kind: 'ROUND', chain_id, round_index, doc_id }) as SynthRound;
  const record = (chain_id: string, rounds: [number, string][]) =>
    ({
      chain_id,
      rounds: rounds.map(([round_index, doc_id]) => ({ round_index, doc_id })),
    }) as AugmentedRecord;

  it('names rounds of augmented records that the rounds topic does not hold', () => {
    const rounds = [round('a', 0, 'd1'), round('a', 1, 'd2')];
    expect(
      roundsNotCommitted(
        [
          record('a', [
            [0, 'd1'],
            [1, 'd2'],
          ]),
        ],
        rounds,
      ),
    ).toEqual([]);
    expect(
      roundsNotCommitted(
        [
          record('a', [
            [0, 'd1'],
            [1, 'd9'],
          ]),
        ],
        rounds,
      ),
    ).toEqual(['a#1:d9']);
    expect(roundsNotCommitted([record('b', [[0, 'd1']])], rounds)).toEqual(['b#0:d1']);
  });
});

describe('countSince', () => {
  it('counts records seen and produced at or after the moment', () => {
    const o = new Map<string, TopicTimes>();
    observe(o, 'rounds', 900, 900);
    observe(o, 'rounds', 1_100, 950); // produced before, committed after
    observe(o, 'rounds', 1_200, 1_000);
    observe(o, 'rounds', 1_300, 1_250);
    expect(countSince(o, 'rounds', 1_000)).toBe(2);
    expect(countSince(o, 'other', 0)).toBe(0);
  });
});

describe('isRoundRecord', () => {
  const type = avro.Type.forSchema(JSON.parse(schemaText('SynthRound')));
  // The registry serdes' wire format: magic byte 0, a 4-byte schema id, then the Avro body.
  const wire = (round: SynthRound) => Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), type.toBuffer(round)]);
  const run = testRun('kinds');

  it('tells a ROUND from a CLOSE on the wire', () => {
    const [round] = chainRounds({ run, index: 0 });
    expect(isRoundRecord(wire(round as SynthRound))).toBe(true);
    expect(isRoundRecord(wire(closeOf(run, 0, 1)))).toBe(false);
    expect(isRoundRecord(null)).toBe(false);
  });
});
