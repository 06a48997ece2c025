// ipt-templates-1, kept for re-rendering old runs: its behaviour is pinned here and its exact
// output by the golden chains (chain.json).
import { describe, expect, it } from 'vitest';
import { LABEL_STYLES, NONE_OPTIONS, QA_STYLES } from '../../core/templates/patterns.ts';
import {
  FRAMING_WEIGHTS,
  type Framing,
  renderChain,
  segmentsOf,
  templateSeed,
} from '../../core/templates/render.ts';
import { analyzePair, pairFragments } from '../../core/templates/structure.ts';
import type { QAPair } from '../../core/types.ts';

const V1 = 'ipt-templates-1';
const render = (rounds: Parameters<typeof renderChain>[0], seed: number) => renderChain(rounds, seed, V1);

const MC: QAPair = {
  question: 'How often do tides rise?\nOptions:\n- once a day\n- twice a day\n- never',
  answer: 'twice a day',
};
const COT: QAPair = {
  question: "Do tides depend on the moon?\nLet's think step by step.",
  answer: 'The text says the moon causes them.\nTherefore, the answer is yes',
};
const PLAIN: QAPair = { question: 'What causes tides?', answer: 'The moon.' };
const round = (text: string, pairs: QAPair[], inherit = false) => ({
  text,
  pairs,
  inherit_from_prev: inherit,
});
const SEEDS = Array.from({ length: 600 }, (_, i) => templateSeed(`chain-${i}`, V1));

describe('structure of pairs', () => {
  it('multiple choice: stem, options, the option the answer names', () => {
    expect(analyzePair(MC)).toEqual({
      stem: 'How often do tides rise?',
      options: ['once a day', 'twice a day', 'never'],
      reasoning: null,
      final: 'twice a day',
      correct: 1,
    });
    expect(analyzePair({ ...MC, answer: 'Twice a day.' }).correct).toBe(1);
    expect(analyzePair({ ...MC, answer: 'sometimes' }).correct).toBe(-1);
  });

  it('one option or a malformed list is not multiple choice', () => {
    expect(analyzePair({ question: 'Q?\nOptions:\n- only', answer: 'only' }).options).toBeNull();
    expect(analyzePair({ question: 'Q?\nOptions:\n- a\nb', answer: 'a' }).options).toBeNull();
  });

  it('chain-of-thought: reasoning and final answer', () => {
    expect(analyzePair(COT)).toEqual({
      stem: 'Do tides depend on the moon?',
      options: null,
      reasoning: 'The text says the moon causes them.',
      final: 'yes',
      correct: -1,
    });
  });

  it('chain-of-thought needs both the trigger and the conclusion', () => {
    expect(analyzePair({ ...COT, answer: 'Yes.' }).reasoning).toBeNull();
    expect(analyzePair({ ...COT, question: 'Do tides depend on the moon?' }).reasoning).toBeNull();
  });

  it('multiple choice with chain-of-thought', () => {
    const s = analyzePair({
      question: "Which?\nOptions:\n- red\n- blue\nLet's think step by step.",
      answer: 'The sky is blue.\nTherefore, the answer is blue',
    });
    expect(s).toMatchObject({ stem: 'Which?', options: ['red', 'blue'], final: 'blue', correct: 1 });
  });
});

describe('segments', () => {
  it('a new segment starts at every round that does not inherit', () => {
    const f = (inherit: boolean[]) => segmentsOf(inherit.map((x) => ({ inherit_from_prev: x })));
    expect(f([false, true, true])).toEqual([[0, 1, 2]]);
    expect(f([false, false, true])).toEqual([[0], [1, 2]]);
    expect(f([false, true, false])).toEqual([[0, 1], [2]]);
    expect(f([true])).toEqual([[0]]);
    expect(f([])).toEqual([]);
  });
});

describe('renderChain, ipt-templates-1', () => {
  it('has at least 20 plain Q/A variants', () => {
    expect(QA_STYLES.length).toBeGreaterThanOrEqual(20);
    expect(new Set(QA_STYLES.map((s) => JSON.stringify(s))).size).toBe(QA_STYLES.length);
  });

  it('a round without pairs is emitted as its plain text', () => {
    const out = render([round('Just text.', [])], 1);
    expect(out).toEqual([{ text: 'Just text.', round_indexes: [0], framing: 'plain' }]);
  });

  it('one text per connected segment, in chain order', () => {
    const rounds = [round('one', [PLAIN]), round('two', []), round('three', [PLAIN])];
    const out = render(rounds, 9);
    expect(out.map((t) => t.round_indexes)).toEqual([[0], [1], [2]]);
    expect(out[1]?.text).toBe('two');
    const joined = render([round('one', [PLAIN]), round('two', [PLAIN], true)], 9);
    expect(joined).toHaveLength(1);
    expect(joined[0]?.text.indexOf('one')).toBeLessThan(joined[0]?.text.indexOf('two') ?? -1);
  });

  it('is a pure function of (rounds, seed, version)', () => {
    const rounds = [round('one', [PLAIN, MC, COT]), round('two', [PLAIN, COT], true)];
    for (const seed of SEEDS.slice(0, 50)) expect(render(rounds, seed)).toEqual(render(rounds, seed));
    expect(() => renderChain(rounds, 1, 'ipt-templates-0')).toThrow(/not available/);
  });

  it('seeds are per chain and stable', () => {
    expect(templateSeed('a')).toBe(templateSeed('a'));
    expect(templateSeed('a')).not.toBe(templateSeed('b'));
    expect(templateSeed('a', 'other')).not.toBe(templateSeed('a'));
    expect(Number.isInteger(templateSeed('a')) && templateSeed('a') >= 0).toBe(true);
  });

  it('uses every framing, classic by far the most', () => {
    const rounds = [
      round('Text one.', [PLAIN, MC]),
      round('Text two.', [COT, { question: 'Why?', answer: 'So.' }], true),
    ];
    const counts: Partial<Record<Framing, number>> = {};
    for (const seed of SEEDS) {
      const f = render(rounds, seed)[0]?.framing as Framing;
      counts[f] = (counts[f] ?? 0) + 1;
    }
    for (const f of Object.keys(FRAMING_WEIGHTS)) expect(counts[f as Framing], f).toBeGreaterThan(0);
    const classic = counts.classic ?? 0;
    for (const [f, n] of Object.entries(counts))
      if (f !== 'classic') expect(classic).toBeGreaterThan(3 * (n ?? 0));
  });

  it('numbered, few-shot and next-turn need ≥ 2 pairs in every round of the segment', () => {
    const rounds = [round('Text one.', [PLAIN, MC]), round('Text two.', [COT], true)];
    for (const seed of SEEDS) {
      expect(['classic', 'dialog', 'pairs_first']).toContain(render(rounds, seed)[0]?.framing);
    }
  });

  it('pairs before the text, rarely', () => {
    const rounds = [round('THE TEXT', [PLAIN, MC])];
    const pf = SEEDS.map((s) => render(rounds, s)[0]).filter((t) => t?.framing === 'pairs_first');
    expect(pf.length).toBeGreaterThan(0);
    expect(pf.length).toBeLessThan(SEEDS.length / 10);
    for (const t of pf)
      expect(t?.text.indexOf('THE TEXT')).toBeGreaterThan(t?.text.indexOf(PLAIN.answer) ?? 0);
  });

  it('re-enumerates and shuffles options, sometimes adding a "none" option', () => {
    const orders = new Set<string>();
    const labelStyles = new Set<number>();
    let withNone = 0;
    for (const seed of SEEDS) {
      const text = render([round('T', [MC])], seed)[0]?.text ?? '';
      expect(text).not.toContain('- once a day');
      const pos = ['once a day', 'twice a day', 'never'].map((o) => text.indexOf(o));
      expect(pos.every((p) => p >= 0)).toBe(true);
      orders.add(
        pos
          .map((p, i) => [p, i])
          .sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))
          .map((x) => x[1])
          .join(''),
      );
      LABEL_STYLES.forEach((l, i) => {
        if (text.includes(`\n${l.label(0)} `) && text.includes(`\n${l.label(1)} `)) labelStyles.add(i);
      });
      if (NONE_OPTIONS.some((n) => text.includes(n))) withNone++;
    }
    expect(orders.size).toBe(6);
    expect(labelStyles.size).toBeGreaterThanOrEqual(6);
    expect(withNone).toBeGreaterThan(SEEDS.length * 0.05);
    expect(withNone).toBeLessThan(SEEDS.length * 0.3);
  });

  it('never offers "none" when the answer is not one of the options', () => {
    const odd = { ...MC, answer: 'it depends' };
    for (const seed of SEEDS) {
      const text = render([round('T', [odd])], seed)[0]?.text ?? '';
      expect(NONE_OPTIONS.some((n) => text.includes(n))).toBe(false);
      expect(text).toContain('it depends');
    }
  });

  it('the answer cites the label the correct option got', () => {
    let checked = 0;
    for (const seed of SEEDS.slice(0, 200)) {
      const text = render([round('T', [MC])], seed)[0]?.text ?? '';
      for (const style of LABEL_STYLES) {
        for (let k = 0; k < 4; k++) {
          const listed = `\n${style.label(k)} twice a day\n`;
          const at = text.indexOf(listed);
          if (at < 0) continue;
          const rest = text.slice(at + listed.length);
          // Past the option list, the answer names the option by its bare label.
          const answer = rest.split('\n').find((l) => l.includes('twice a day')) ?? '';
          expect(answer).toContain(style.bare(k));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('renders chain-of-thought with reasoning and final answer', () => {
    for (const seed of SEEDS.slice(0, 100)) {
      const text = render([round('T', [COT])], seed)[0]?.text ?? '';
      expect(text).toContain('Do tides depend on the moon?');
      expect(text).toContain('The text says the moon causes them.');
      expect(text).toMatch(/yes$|yes\n/);
    }
  });

  it('every pair’s fragments appear verbatim', () => {
    const rounds = [
      round('one', [PLAIN, MC, COT]),
      round('two', [{ question: 'Q?', answer: 'A!' }, PLAIN], true),
    ];
    for (const seed of SEEDS) {
      const text = render(rounds, seed)
        .map((t) => t.text)
        .join('\n');
      for (const r of rounds)
        for (const p of r.pairs) for (const f of pairFragments(p)) expect(text).toContain(f);
    }
  });
});
