// The .avsc files are the source of truth; core/types.ts mirrors them. This test fails when
// the two drift: every sample (typed with the TS interfaces, so the compiler pins the TS side)
// must validate, round-trip, and have exactly the schema's fields at every level.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  CHAIN_CLOSE_REASONS,
  DEAD_LETTER_ERROR_CLASSES,
  DEAD_LETTER_STAGES,
  DEDUP_ANSWERS,
  DEDUP_MESSAGE_KINDS,
  SYNTH_RECORD_KINDS,
} from '../../core/types.ts';
import { SAMPLES, sampleRawDocument } from '../fixtures/records.ts';

const DIR = join(import.meta.dirname, '../../schemas');
const files = readdirSync(DIR).filter((f) => f.endsWith('.avsc'));
const raw = (f: string): Record<string, unknown> => JSON.parse(readFileSync(join(DIR, f), 'utf8'));
const types = new Map(files.map((f) => [f, avro.Type.forSchema(raw(f) as avro.Schema)]));

/** Paths where the value's own keys differ from the schema's record fields. */
function shapeErrors(type: avro.Type, value: unknown, path: string): string[] {
  if (type instanceof avro.types.RecordType) {
    const v = value as Record<string, unknown>;
    const want = type.fields.map((f) => f.name).sort();
    const have = Object.keys(v).sort();
    const errs = JSON.stringify(want) === JSON.stringify(have) ? [] : [`${path}: fields ${have} ≠ ${want}`];
    for (const f of type.fields) errs.push(...shapeErrors(f.type, v[f.name], `${path}.${f.name}`));
    return errs;
  }
  if (type instanceof avro.types.UnwrappedUnionType) {
    const branch = type.types.find((t) => t.isValid(value));
    return branch ? shapeErrors(branch, value, path) : [`${path}: no union branch`];
  }
  if (type instanceof avro.types.ArrayType)
    return (value as unknown[]).flatMap((x, i) => shapeErrors(type.itemsType, x, `${path}[${i}]`));
  if (type instanceof avro.types.MapType)
    return Object.entries(value as Record<string, unknown>).flatMap(([k, x]) =>
      shapeErrors(type.valuesType, x, `${path}.${k}`),
    );
  return [];
}

type Json = Record<string, unknown>;
/** Every record field and named type in a schema, depth first. */
function walk(schema: unknown, visit: (node: Json, field?: Json) => void): void {
  if (Array.isArray(schema)) {
    for (const s of schema) walk(s, visit);
    return;
  }
  if (!schema || typeof schema !== 'object') return;
  const node = schema as Json;
  visit(node);
  if (node.type === 'record') {
    for (const field of node.fields as Json[]) {
      visit(field, field);
      walk(field.type, visit);
    }
  } else if (node.type === 'array') walk(node.items, visit);
  else if (node.type === 'map') walk(node.values, visit);
}

describe('schemas', () => {
  it('are the ten expected records', () => {
    expect(files.sort()).toEqual(
      [
        'AssembleState',
        'AugmentedRecord',
        'CrawlInput',
        'CrawlProgress',
        'DeadLetter',
        'DedupMessage',
        'DedupState',
        'RawDocument',
        'SynthRound',
        'SynthState',
      ].map((n) => `${n}.avsc`),
    );
  });

  it.each(SAMPLES)(
    '$name validates, round-trips and matches the schema shape ($schema)',
    ({ schema, value }) => {
      const type = types.get(schema) as avro.Type;
      const bad: string[] = [];
      const ok = type.isValid(value, { errorHook: (p) => bad.push(p.join('.')) });
      expect(bad).toEqual([]);
      expect(ok).toBe(true);
      expect(type.fromBuffer(type.toBuffer(value))).toEqual(value);
      expect(shapeErrors(type, value, '$')).toEqual([]);
    },
  );

  it('document every field and named type, in namespace ipt.v1', () => {
    for (const f of files) {
      const top = raw(f);
      expect(top.namespace, f).toBe('ipt.v1');
      walk(top, (node, field) => {
        if (field)
          expect(typeof field.doc === 'string' && field.doc.length > 0, `${f}: ${field.name}`).toBe(true);
        else if (['record', 'enum'].includes(node.type as string))
          expect(node.doc, `${f}: ${node.name}`).toBeTruthy();
      });
    }
  });

  it('type every time as timestamp-millis', () => {
    for (const f of files) {
      walk(raw(f), (_node, field) => {
        if (!field || !/(_at|_time)$/.test(field.name as string)) return;
        const t = field.type;
        const branches = Array.isArray(t) ? t.filter((x) => x !== 'null') : [t];
        expect(branches, `${f}: ${field.name}`).toEqual([{ type: 'long', logicalType: 'timestamp-millis' }]);
      });
    }
  });

  it('define shared named types identically in every file', () => {
    const seen = new Map<string, string>();
    for (const f of files) {
      walk(raw(f), (node, field) => {
        if (field || !['record', 'enum'].includes(node.type as string)) return;
        const name = node.name as string;
        const key = JSON.stringify(node);
        const prev = seen.get(name);
        if (prev) expect(key, `${name} in ${f}`).toBe(prev);
        else seen.set(name, key);
      });
    }
    expect([...seen.keys()]).toEqual(expect.arrayContaining(['Run', 'QAPair', 'ChainClose']));
  });

  it('enums match the TypeScript unions', () => {
    const enumOf = (file: string, name: string): string[] => {
      let symbols: string[] = [];
      walk(raw(file), (node, field) => {
        if (!field && node.type === 'enum' && node.name === name) symbols = node.symbols as string[];
      });
      return symbols;
    };
    expect(enumOf('SynthRound.avsc', 'ChainCloseReason')).toEqual([...CHAIN_CLOSE_REASONS]);
    expect(enumOf('SynthRound.avsc', 'SynthRecordKind')).toEqual([...SYNTH_RECORD_KINDS]);
    expect(enumOf('DeadLetter.avsc', 'DeadLetterStage')).toEqual([...DEAD_LETTER_STAGES]);
    expect(enumOf('DeadLetter.avsc', 'DeadLetterErrorClass')).toEqual([...DEAD_LETTER_ERROR_CLASSES]);
    expect(enumOf('DedupMessage.avsc', 'DedupMessageKind')).toEqual([...DEDUP_MESSAGE_KINDS]);
    expect(enumOf('DedupMessage.avsc', 'DedupAnswer')).toEqual([...DEDUP_ANSWERS]);
  });

  it('reject a value with a missing field', () => {
    const { text: _dropped, ...rest } = sampleRawDocument as unknown as Record<string, unknown>;
    expect((types.get('RawDocument.avsc') as avro.Type).isValid(rest)).toBe(false);
  });
});

describe('shape check', () => {
  it('catches a field the schema does not have', () => {
    const type = types.get('RawDocument.avsc') as avro.Type;
    expect(shapeErrors(type, { ...sampleRawDocument, extra: 1 }, '$')).toHaveLength(1);
  });
});
