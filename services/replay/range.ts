// Which raw records a replay takes: `--from` / `--to` as the operator writes them, and their
// resolution into one [start, end) offset range per partition. Pure — the Kafka look-ups
// (log start, LSO, offsets for a time) are done by the caller and handed in, so every rule here is
// unit-tested without a broker.

/** A position on the raw topic as written on the command line. */
export type PositionSpec =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'time'; ms: number; text: string }
  | { kind: 'offsets'; offsets: Map<number, bigint> };

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;
const OFFSET_ENTRY = /^(\d+):(\d+)$/;

/**
 * Parses `--from` (earliest | ISO time | partition:offset,…) or `--to` (latest | ISO time |
 * partition:offset,…). A time without a zone is UTC, so a command means the same on every machine.
 * Throws an Error whose message is one line naming the flag.
 */
export function parsePosition(text: string, flag: '--from' | '--to'): PositionSpec {
  const value = text.trim();
  const allowed = flag === '--from' ? 'earliest' : 'latest';
  const fail = (why: string): never => {
    throw new Error(
      `${flag} ${JSON.stringify(text)}: ${why} (expected ${allowed}, an ISO time such as 2026-01-31T12:00:00Z, or partition:offset,… such as 0:1200,1:950)`,
    );
  };
  if (value === '') fail('empty');
  if (value.toLowerCase() === allowed) return flag === '--from' ? { kind: 'earliest' } : { kind: 'latest' };
  if (value.toLowerCase() === 'earliest' || value.toLowerCase() === 'latest')
    fail(`${value} is not allowed here`);

  const iso = ISO.exec(value);
  if (iso) return parseTime(iso, value, fail);
  if (/^\d/.test(value) && value.includes(':')) return parseOffsets(value, fail);
  return fail('not understood');
}

type Fail = (why: string) => never;

/** An ISO time the ISO pattern matched; a date that does not exist (2026-02-30) fails. */
function parseTime(iso: RegExpExecArray, value: string, fail: Fail): PositionSpec {
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = iso;
  const normalized = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac ? `.${frac.slice(0, 3).padEnd(3, '0')}` : ''}${zone ?? 'Z'}`;
  const ms = Date.parse(normalized);
  // Date.parse rolls 2026-02-30 over to March; a date that does not round-trip is a typo.
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  const exists = check.getUTCMonth() === Number(mo) - 1 && check.getUTCDate() === Number(d);
  const clock = Number(h) <= 23 && Number(mi) <= 59 && Number(s) <= 59;
  if (Number.isNaN(ms) || !exists || !clock) fail('not a valid date/time');
  if (ms < 0) fail('before 1970');
  return { kind: 'time', ms, text: value };
}

/** `partition:offset,…`, each partition once. */
function parseOffsets(value: string, fail: Fail): PositionSpec {
  const offsets = new Map<number, bigint>();
  for (const entry of value.split(',')) {
    const m = OFFSET_ENTRY.exec(entry.trim());
    if (!m) fail(`"${entry.trim()}" is not partition:offset`);
    const [, p, o] = m as RegExpExecArray;
    const partition = Number(p);
    if (!Number.isSafeInteger(partition)) fail(`partition ${p} is out of range`);
    if (offsets.has(partition)) fail(`partition ${partition} is given twice`);
    offsets.set(partition, BigInt(o as string));
  }
  return { kind: 'offsets', offsets };
}

/** A partition's committed offsets now: log start and last stable offset (exclusive end). */
export interface PartitionBounds {
  low: bigint;
  high: bigint;
}

/** One partition's part of a replay: offsets [start, end). start = end: nothing from it. */
export interface PartitionRange {
  partition: number;
  start: bigint;
  end: bigint;
}

export interface RangeInputs {
  bounds: ReadonlyMap<number, PartitionBounds>;
  /** Offsets of the first record at or after `--from`'s time (only for a time). */
  fromTimeOffsets?: ReadonlyMap<number, bigint>;
  /** Offsets of the first record at or after `--to`'s time (only for a time). */
  toTimeOffsets?: ReadonlyMap<number, bigint>;
}

/**
 * The replay range of every partition. Rules: `earliest` is the log start, `latest` the LSO now, a
 * time the first record at or after it (the LSO when there is none). Explicit `--from` offsets
 * replay only the partitions they name; explicit `--to` offsets bound the partitions they name and
 * leave the others at the LSO. Explicit offsets must lie within what the partition holds now —
 * silently moving them would replay other records than asked for. Throws one-line errors.
 */
export function resolveRange(from: PositionSpec, to: PositionSpec, inputs: RangeInputs): PartitionRange[] {
  const { bounds } = inputs;
  checkNamedPartitions('--from', from, bounds);
  checkNamedPartitions('--to', to, bounds);
  const ranges: PartitionRange[] = [];
  for (const partition of [...bounds.keys()].sort((a, b) => a - b)) {
    const b = bounds.get(partition) as PartitionBounds;
    let end = rangeEnd(to, partition, b, inputs.toTimeOffsets);
    const start = rangeStart(from, partition, b, end, inputs.fromTimeOffsets);
    if (end < start) {
      if (from.kind === 'offsets' || to.kind === 'offsets') {
        throw new Error(`--to is before --from on partition ${partition} (${end} < ${start})`);
      }
      end = start; // two times: nothing in between on this partition
    }
    ranges.push({ partition, start, end });
  }
  if (from.kind === 'time' && to.kind === 'time' && to.ms < from.ms) {
    throw new Error(`--to ${to.text} is before --from ${from.text}`);
  }
  return ranges;
}

/** Explicit offsets may only name partitions the topic has. */
function checkNamedPartitions(
  flag: '--from' | '--to',
  spec: PositionSpec,
  bounds: ReadonlyMap<number, PartitionBounds>,
): void {
  if (spec.kind !== 'offsets') return;
  for (const partition of spec.offsets.keys()) {
    if (!bounds.has(partition)) {
      throw new Error(
        `${flag}: the raw topic has no partition ${partition} (it has ${[...bounds.keys()].sort((a, b) => a - b).join(', ')})`,
      );
    }
  }
}

function clamp(x: bigint, b: PartitionBounds): bigint {
  if (x < b.low) return b.low;
  return x > b.high ? b.high : x;
}

/** Where `--to` ends one partition (exclusive). */
function rangeEnd(
  to: PositionSpec,
  partition: number,
  b: PartitionBounds,
  timeOffsets: ReadonlyMap<number, bigint> | undefined,
): bigint {
  if (to.kind === 'latest') return b.high;
  if (to.kind === 'time') return clamp(timeOffsets?.get(partition) ?? b.high, b);
  if (to.kind !== 'offsets') throw new Error('--to cannot be earliest');
  const named = to.offsets.get(partition);
  if (named !== undefined && (named > b.high || named < b.low)) {
    throw new Error(
      `--to ${partition}:${named} is outside partition ${partition}, which holds offsets ${b.low}…${b.high} now`,
    );
  }
  return named ?? b.high;
}

/** Where `--from` starts one partition; a partition explicit offsets do not name starts at its end. */
function rangeStart(
  from: PositionSpec,
  partition: number,
  b: PartitionBounds,
  end: bigint,
  timeOffsets: ReadonlyMap<number, bigint> | undefined,
): bigint {
  if (from.kind === 'earliest') return b.low;
  if (from.kind === 'time') return clamp(timeOffsets?.get(partition) ?? b.high, b);
  if (from.kind !== 'offsets') throw new Error('--from cannot be latest');
  const named = from.offsets.get(partition);
  if (named === undefined) return end;
  if (named < b.low) {
    throw new Error(
      `--from ${partition}:${named} is before the log start of partition ${partition} (${b.low}): those records are gone`,
    );
  }
  if (named > b.high) {
    throw new Error(`--from ${partition}:${named} is past the end of partition ${partition} (${b.high})`);
  }
  return named;
}

/** "p0 120…480, p1 0…301" for logs and the summary. */
export function describeRanges(ranges: readonly PartitionRange[]): string {
  return ranges.map((r) => `p${r.partition} ${r.start}…${r.end}`).join(', ');
}
