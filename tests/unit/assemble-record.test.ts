import { describe, expect, it } from 'vitest';
import { mistralReferenceTokenizer, mistralTokenizer } from '../../core/mistral.ts';
import { renderChain, templateSeed } from '../../core/templates/render.ts';
import { pairFragments } from '../../core/templates/structure.ts';
import { TEMPLATE_VERSION } from '../../core/templates/version.ts';
import type { AssembleState } from '../../core/types.ts';
import { ChainCollector } from '../../services/assemble/collect.ts';
import {
  augmentedRecordId,
  buildAugmentedRecord,
  TemplateError,
  TokenizerMismatchError,
} from '../../services/assemble/record.ts';
import { chainRounds, closeOf, testRun } from '../fixtures/synth-rounds.ts';

// The service's tokenizer: rendered counts are derived from the rounds' ingest counts plus the
// wording around them, and must equal counting each rendered text whole.
const tokens = mistralTokenizer();
const whole = mistralReferenceTokenizer();
const NOW = 5_000;

function finished(records: ReturnType<typeof chainRounds>): AssembleState {
  const collector = new ChainCollector();
  for (const record of records) {
    const outcome = collector.offer(record, 1);
    if (outcome.kind === 'ready') return outcome.state;
  }
  throw new Error('chain did not finish');
}

describe('buildAugmentedRecord', () => {
  const run = testRun('rec-run', 3);

  it('counts every rendered text exactly over 300 chains (every framing, 1 to 4 rounds)', () => {
    const framings = new Set<string>();
    for (let index = 0; index < 300; index++) {
      const rounds = chainRounds({ run: testRun('rec-run', 1 + (index % 4)), index });
      const record = buildAugmentedRecord(finished(rounds), { tokenCounter: tokens, now: NOW });
      for (const t of record.texts) {
        framings.add(t.framing);
        expect(t.token_count, `${record.id} ${t.framing}`).toBe(whole.count(t.text));
      }
    }
    expect(framings.size).toBeGreaterThan(5);
  });

  it('records rounds, followed_by_next, texts, seed, version and token sums', () => {
    // Pair sets 0 and 1 have pairs, 5 has none: round 1 inherits, round 2 starts a new segment.
    const rounds = chainRounds({ run, index: 0, pairs: [0, 1, 5] });
    const record = buildAugmentedRecord(finished(rounds), { tokenCounter: tokens, now: NOW });

    expect(record.id).toBe(rounds[0]?.chain_id);
    expect(record.chain_id).toBe(rounds[0]?.chain_id);
    expect(record.run).toEqual(run);
    expect(record.doc_ids).toEqual(rounds.map((r) => r.doc_id));
    expect(record.rounds.map((r) => r.inherit_from_prev)).toEqual([false, true, false]);
    // Round r was followed iff round r + 1 used history: 1 used round 0, 2 used round 1.
    expect(record.rounds.map((r) => r.followed_by_next)).toEqual([true, true, false]);
    expect(record.texts.map((t) => t.round_indexes)).toEqual([[0, 1], [2]]);
    expect(record.texts[1]).toMatchObject({ text: rounds[2]?.text, framing: 'plain' });
    expect(record.template_version).toBe(TEMPLATE_VERSION);
    expect(record.template_seed).toBe(templateSeed(record.id, TEMPLATE_VERSION));
    expect(
      record.texts.map(({ text, round_indexes, framing }) => ({ text, round_indexes, framing })),
    ).toEqual(renderChain(rounds, record.template_seed));
    for (const t of record.texts) expect(t.token_count).toBe(whole.count(t.text));
    expect(record.rendered_tokens).toBe(record.texts.reduce((n, t) => n + t.token_count, 0));
    expect(record.text_tokens).toBe(rounds.reduce((n, r) => n + r.text_tokens, 0));
    expect(record.close).toBeNull();
    expect(record.assembled_at).toBe(NOW);
  });

  it('puts every pair of every round into the rendered texts', () => {
    for (let index = 0; index < 40; index++) {
      const rounds = chainRounds({ run, index });
      const record = buildAugmentedRecord(finished(rounds), { tokenCounter: tokens, now: NOW });
      const all = record.texts.map((t) => t.text).join('\n');
      for (const round of rounds) {
        for (const pair of round.pairs) for (const f of pairFragments(pair)) expect(all).toContain(f);
        expect(all).toContain(round.text);
      }
    }
  });

  it('a closed chain keeps only the rounds it has and records why it closed', () => {
    const rounds = chainRounds({ run, index: 1, rounds: 1 });
    const close = closeOf(run, 1, 1);
    const record = buildAugmentedRecord(finished([...rounds, close]), { tokenCounter: tokens, now: NOW });
    expect(record.rounds).toHaveLength(1);
    expect(record.rounds[0]?.followed_by_next).toBe(false);
    expect(record.close).toEqual(close.close);
    expect(record.texts).toHaveLength(1);
  });

  it('is deterministic, and a re-assembly as another run gets its own id and seed', () => {
    const state = finished(chainRounds({ run, index: 2 }));
    expect(buildAugmentedRecord(state, { tokenCounter: tokens, now: NOW })).toEqual(
      buildAugmentedRecord(state, { tokenCounter: tokens, now: NOW }),
    );
    const again = buildAugmentedRecord(state, { tokenCounter: tokens, now: NOW, runId: 'rec-run-2' });
    expect(again.id).toBe(`rec-run-2/${state.chain_id}`);
    expect(again.run.run_id).toBe('rec-run-2');
    expect(again.chain_id).toBe(state.chain_id);
    expect(again.template_seed).toBe(templateSeed(again.id));
  });

  it('renders with the run’s own template version unless told another', () => {
    const state = finished(chainRounds({ run, index: 4 }));
    const oldRun = { ...state, run: { ...state.run, template_version: 'ipt-templates-1' } };
    const old = buildAugmentedRecord(oldRun, { tokenCounter: tokens, now: NOW });
    expect(old.template_version).toBe('ipt-templates-1');
    expect(old.template_seed).toBe(templateSeed(old.id, 'ipt-templates-1'));
    const rounds = [...state.rounds].sort((a, b) => a.round_index - b.round_index);
    const texts = (r: typeof old) =>
      r.texts.map(({ text, round_indexes, framing }) => ({ text, round_indexes, framing }));
    expect(texts(old)).toEqual(renderChain(rounds, old.template_seed, 'ipt-templates-1'));
    const again = buildAugmentedRecord(oldRun, {
      tokenCounter: tokens,
      now: NOW,
      templateVersion: TEMPLATE_VERSION,
    });
    expect(again.template_version).toBe(TEMPLATE_VERSION);
    expect(again.run.template_version).toBe(TEMPLATE_VERSION);
    expect(texts(again)).toEqual(renderChain(rounds, again.template_seed, TEMPLATE_VERSION));
    expect(texts(again)).not.toEqual(texts(old));
  });

  it('an unknown template version is a TemplateError', () => {
    const state = finished(chainRounds({ run, index: 3 }));
    expect(() =>
      buildAugmentedRecord(state, { tokenCounter: tokens, now: NOW, templateVersion: 'nope' }),
    ).toThrow(TemplateError);
    const oldRun = { ...state, run: { ...state.run, template_version: 'ipt-templates-0' } };
    expect(() => buildAugmentedRecord(oldRun, { tokenCounter: tokens, now: NOW })).toThrow(/ipt-templates-0/);
  });
});

describe("the run's tokenizer", () => {
  const state = finished(chainRounds({ run: testRun('tok-run', 2), index: 1 }));

  it('builds the record when assemble counts with the tokenizer the run counted with', () => {
    expect(state.run.tokenizer.startsWith('mistral-7b-v0.1')).toBe(true);
    expect(() =>
      buildAugmentedRecord(state, { tokenCounter: tokens, tokenizer: tokens.name, now: NOW }),
    ).not.toThrow();
    const fileRun = { ...state, run: { ...state.run, tokenizer: 'v3.model sha256:ab' } };
    expect(() =>
      buildAugmentedRecord(fileRun, { tokenCounter: tokens, tokenizer: 'v3.model sha256:ab', now: NOW }),
    ).not.toThrow();
  });

  it('refuses a chain counted with another tokenizer, naming both', () => {
    const fileRun = { ...state, run: { ...state.run, tokenizer: 'v3.model sha256:ab' } };
    expect(() =>
      buildAugmentedRecord(fileRun, { tokenCounter: tokens, tokenizer: tokens.name, now: NOW }),
    ).toThrow(TokenizerMismatchError);
    expect(() =>
      buildAugmentedRecord(state, { tokenCounter: tokens, tokenizer: 'v3.model sha256:ab', now: NOW }),
    ).toThrow(/counted with tokenizer "mistral-7b-v0.1.*assemble counts with "v3.model sha256:ab"/);
  });
});

describe('augmentedRecordId', () => {
  it('is the chain id inside its own run, prefixed by the run otherwise', () => {
    expect(augmentedRecordId('r1', 'r1/ipt.docs.raw/0/0/3')).toBe('r1/ipt.docs.raw/0/0/3');
    expect(augmentedRecordId('r10', 'r1/ipt.docs.raw/0/0/3')).toBe('r10/r1/ipt.docs.raw/0/0/3');
  });
});
