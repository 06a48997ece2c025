// --from / --to as written on the command line, and their resolution into per-partition ranges.

import { describe, expect, it } from 'vitest';
import { etaSeconds, formatDuration, progressLine } from '../../services/replay/progress.ts';
import { type PartitionBounds, parsePosition, resolveRange } from '../../services/replay/range.ts';

const bounds = new Map<number, PartitionBounds>([
  [0, { low: 0n, high: 100n }],
  [1, { low: 10n, high: 50n }],
]);
const from = (s: string) => parsePosition(s, '--from');
const to = (s: string) => parsePosition(s, '--to');

describe('parsePosition', () => {
  it('reads earliest/latest, ISO times (UTC without a zone) and partition:offset lists', () => {
    expect(from('earliest')).toEqual({ kind: 'earliest' });
    expect(to('LATEST')).toEqual({ kind: 'latest' });
    expect(from('2026-01-31T12:00:00Z')).toEqual({
      kind: 'time',
      ms: Date.UTC(2026, 0, 31, 12),
      text: '2026-01-31T12:00:00Z',
    });
    expect(from('2026-01-31T12:00')).toMatchObject({ ms: Date.UTC(2026, 0, 31, 12) });
    expect(from('2026-01-31')).toMatchObject({ ms: Date.UTC(2026, 0, 31) });
    expect(from('2026-01-31T14:00:00.5+02:00')).toMatchObject({ ms: Date.UTC(2026, 0, 31, 12, 0, 0, 500) });
    expect(from('0:1200, 1:950')).toEqual({
      kind: 'offsets',
      offsets: new Map([
        [0, 1200n],
        [1, 950n],
      ]),
    });
  });

  it('rejects what it cannot read, naming the flag and the accepted forms', () => {
    expect(() => from('latest')).toThrow('--from "latest": latest is not allowed here (expected earliest,');
    expect(() => to('earliest')).toThrow('--to "earliest": earliest is not allowed here (expected latest,');
    expect(() => from('yesterday')).toThrow('--from "yesterday": not understood');
    expect(() => from('2026-02-30')).toThrow('not a valid date/time');
    expect(() => from('2026-01-31T25:00Z')).toThrow('not a valid date/time');
    expect(() => from('0:1,0:2')).toThrow('partition 0 is given twice');
    expect(() => from('0:1,x')).toThrow('"x" is not partition:offset');
    expect(() => from('0:-1')).toThrow('"0:-1" is not partition:offset');
    expect(() => from('')).toThrow('empty');
    for (const bad of ['yesterday', '', '0:1,0:2']) {
      expect(() => from(bad)).toThrow(/^[^\n]+$/); // one line
    }
  });
});

describe('resolveRange', () => {
  it('earliest…latest is every partition from its log start to its LSO', () => {
    expect(resolveRange(from('earliest'), to('latest'), { bounds })).toEqual([
      { partition: 0, start: 0n, end: 100n },
      { partition: 1, start: 10n, end: 50n },
    ]);
  });

  it('explicit --from replays only the partitions it names; explicit --to bounds only the ones it names', () => {
    expect(resolveRange(from('1:20'), to('latest'), { bounds })).toEqual([
      { partition: 0, start: 100n, end: 100n },
      { partition: 1, start: 20n, end: 50n },
    ]);
    expect(resolveRange(from('earliest'), to('0:40'), { bounds })).toEqual([
      { partition: 0, start: 0n, end: 40n },
      { partition: 1, start: 10n, end: 50n },
    ]);
  });

  it('times use the offsets looked up for them (the LSO where no record is that late)', () => {
    const fromTimeOffsets = new Map([[0, 30n]]);
    const toTimeOffsets = new Map([
      [0, 60n],
      [1, 5n],
    ]);
    expect(
      resolveRange(from('2026-01-01'), to('2026-01-02'), { bounds, fromTimeOffsets, toTimeOffsets }),
    ).toEqual([
      { partition: 0, start: 30n, end: 60n },
      // partition 1: no record after --from (→ its LSO); --to's offset is below the log start (→ clamped),
      // so its range is empty rather than backwards
      { partition: 1, start: 50n, end: 50n },
    ]);
    expect(() => resolveRange(from('2026-01-02'), to('2026-01-01'), { bounds })).toThrow(
      '--to 2026-01-01 is before --from 2026-01-02',
    );
  });

  it('refuses offsets the partitions do not hold, and backwards ranges', () => {
    expect(() => resolveRange(from('2:0'), to('latest'), { bounds })).toThrow(
      '--from: the raw topic has no partition 2 (it has 0, 1)',
    );
    expect(() => resolveRange(from('1:5'), to('latest'), { bounds })).toThrow(
      '--from 1:5 is before the log start of partition 1 (10): those records are gone',
    );
    expect(() => resolveRange(from('0:101'), to('latest'), { bounds })).toThrow(
      '--from 0:101 is past the end of partition 0 (100)',
    );
    expect(() => resolveRange(from('earliest'), to('1:51'), { bounds })).toThrow(
      '--to 1:51 is outside partition 1, which holds offsets 10…50 now',
    );
    expect(() => resolveRange(from('0:50'), to('0:20'), { bounds })).toThrow(
      '--to is before --from on partition 0 (20 < 50)',
    );
  });
});

describe('replay progress', () => {
  it('estimates the time left from the rate so far', () => {
    const p = { done: 25, total: 100, chains: 10, deadLetters: 1, elapsedMs: 10_000 };
    expect(etaSeconds(p)).toBe(30);
    expect(etaSeconds({ ...p, done: 0 })).toBeNull();
    expect(etaSeconds({ ...p, done: 100 })).toBe(0);
    expect(formatDuration(30)).toBe('30s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(7_260)).toBe('2h01m');
    expect(formatDuration(null)).toBe('?');
    expect(progressLine(p, 'documents')).toBe(
      '25/100 documents (25.0%), 10 chains, 1 dead letters, 10s elapsed, ETA 30s',
    );
  });
});
