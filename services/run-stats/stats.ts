// What `ipt runs list|show|diff` report, computed from decoded records. Pure: records go in (any
// order), summaries and comparisons come out; reading the topics is runs.ts's job.
//
// Every SynthRound and AugmentedRecord names its run, so runs need no registry of their own. A
// re-assembled run has records but no rounds: its records keep the source run's chain ids, which
// is how it is recognised (derived_from) and how its prompts and outputs are found for a diff.

import { createHash } from 'node:crypto';
import { chainPlace, chainRun } from '../../core/chain-id.ts';
import type { AugmentedRecord, DeadLetter, QAPair, Run, SynthRound } from '../../core/types.ts';

export interface LengthStats {
  count: number;
  mean: number;
  median: number;
  p90: number;
  max: number;
}

/** Count, mean, median, 90th percentile (nearest rank) and maximum; zeros for no values. */
export function lengthStats(values: readonly number[]): LengthStats {
  if (values.length === 0) return { count: 0, mean: 0, median: 0, p90: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return {
    count: sorted.length,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    median,
    p90: rank(0.9),
    max: sorted[sorted.length - 1] as number,
  };
}

/** Characters (code points) of an answer. */
export const answerLength = (answer: string): number => [...answer].length;

const digest = (text: string): string => createHash('sha256').update(text).digest('base64').slice(0, 24);

/** What a diff compares about one document in one run; texts are kept as digests. */
export interface DocFacts {
  /** chainPlace + round index: where the layout put the document. */
  place: string;
  pairs: number;
  answerLengths: number[];
  pairsDigest: string;
  promptDigest: string | null;
  outputDigest: string | null;
}

export interface RunSummary {
  run_id: string;
  model: string;
  model_version: string;
  max_new_tokens: number;
  rounds_per_chain: number;
  chains_per_block: number;
  template_version: string;
  started_at: number;
  /** The run whose rounds a re-assembled run templated; null for a synthesized run. */
  derived_from: string | null;
  /** SynthRound records of kind ROUND / CLOSE. */
  rounds: number;
  closes: number;
  /** AugmentedRecords (chains) and what they hold. */
  chains: number;
  full_chains: number;
  documents: number;
  texts: number;
  pairs: number;
  pairs_per_document: number;
  answer_chars: LengthStats;
  dead_letters: number;
  last_record_at: number;
}

export interface RunDetail extends RunSummary {
  run: Run;
  /** Documents by how many pairs they got: "0", "1", …, "10+". */
  pairs_per_document_histogram: Record<string, number>;
  close_reasons: Record<string, number>;
  framings: Record<string, number>;
  history_rounds_used: Record<string, number>;
  dead_letter_classes: Record<string, number>;
  /** Raw partitions the run's rounds came from: first and last source offset. */
  source_offsets: Record<string, { first: number; last: number }>;
}

export interface Share {
  compared: number;
  identical: number;
  /** identical / compared; null when nothing could be compared. */
  share: number | null;
}

export interface RunDiff {
  a: string;
  b: string;
  documents: { a: number; b: number; both: number; only_a: number; only_b: number };
  /** Over the documents both runs have. */
  pairs_per_document: { a: number; b: number };
  answer_chars: { a: LengthStats; b: LengthStats };
  /** Same chain and round position (chain id without its run, round index). */
  same_place: Share;
  identical_prompts: Share;
  identical_outputs: Share;
  identical_pairs: Share;
}

interface RunAccumulator {
  run: Run;
  rounds: number;
  closes: number;
  roundDocs: Set<string>;
  records: Map<string, AugmentedRecord | null>;
  chainRuns: Set<string>;
  deadLetters: number;
  deadLetterClasses: Record<string, number>;
  closeReasons: Record<string, number>;
  historyUsed: Record<string, number>;
  sourceOffsets: Record<string, { first: number; last: number }>;
  lastAt: number;
  /** Per-document pairs and answer lengths from the run's records (or rounds before any record). */
  docPairs: Map<string, { pairs: number; lengths: number[] }>;
  roundPairs: Map<string, { pairs: number; lengths: number[] }>;
  fullChains: number;
  texts: number;
  framings: Record<string, number>;
}

const bump = (m: Record<string, number>, key: string, by = 1) => {
  m[key] = (m[key] ?? 0) + by;
};

/**
 * Collects the records of every run. `detailFor` lists runs whose per-document facts (digests of
 * prompts, outputs and pairs) are kept for a diff — keeping them for every run would hold the
 * whole topic in memory. A re-assembled run's facts need its source run's rounds: list both.
 */
export class RunsIndex {
  private readonly runs = new Map<string, RunAccumulator>();
  /** `<chain id>#<round>` → facts of rounds of detail runs. */
  private readonly roundFacts = new Map<
    string,
    { docId: string; prompt: string | null; output: string; pairs: string }
  >();
  /** Detail runs' documents from their rounds / records: run → doc → facts. */
  private readonly docs = new Map<string, Map<string, { chainId: string; round: number; pairs: QAPair[] }>>();

  constructor(private readonly detailFor: ReadonlySet<string> = new Set()) {}

  private acc(run: Run): RunAccumulator {
    let a = this.runs.get(run.run_id);
    if (!a) {
      a = {
        run,
        rounds: 0,
        closes: 0,
        roundDocs: new Set(),
        records: new Map(),
        chainRuns: new Set(),
        deadLetters: 0,
        deadLetterClasses: {},
        closeReasons: {},
        historyUsed: {},
        sourceOffsets: {},
        lastAt: 0,
        docPairs: new Map(),
        roundPairs: new Map(),
        fullChains: 0,
        texts: 0,
        framings: {},
      };
      this.runs.set(run.run_id, a);
    }
    return a;
  }

  addRound(r: SynthRound): void {
    const a = this.acc(r.run);
    a.lastAt = Math.max(a.lastAt, r.produced_at);
    if (r.kind === 'CLOSE') {
      a.closes++;
      return;
    }
    a.rounds++;
    a.roundDocs.add(r.doc_id);
    bump(a.historyUsed, String(r.history_rounds_used));
    const p = String(r.source_partition);
    const o = a.sourceOffsets[p];
    a.sourceOffsets[p] = o
      ? { first: Math.min(o.first, r.source_offset), last: Math.max(o.last, r.source_offset) }
      : { first: r.source_offset, last: r.source_offset };
    a.roundPairs.set(r.doc_id, {
      pairs: r.pairs.length,
      lengths: r.pairs.map((x) => answerLength(x.answer)),
    });
    const needed = this.detailFor.has(r.run.run_id) || this.sourceWanted(r.run.run_id);
    if (needed) {
      this.roundFacts.set(`${r.chain_id}#${r.round_index}`, {
        docId: r.doc_id,
        prompt: r.prompt === null ? null : digest(r.prompt),
        output: digest(r.raw_output),
        pairs: digest(JSON.stringify(r.pairs)),
      });
    }
    if (this.detailFor.has(r.run.run_id)) {
      this.docMap(r.run.run_id).set(r.doc_id, { chainId: r.chain_id, round: r.round_index, pairs: r.pairs });
    }
  }

  /** Re-assembled detail runs whose source is `runId` (known once their records are in). */
  private sourceWanted(runId: string): boolean {
    for (const id of this.detailFor) {
      const a = this.runs.get(id);
      if (a?.chainRuns.has(runId)) return true;
    }
    return false;
  }

  private docMap(runId: string) {
    let m = this.docs.get(runId);
    if (!m) {
      m = new Map();
      this.docs.set(runId, m);
    }
    return m;
  }

  addRecord(r: AugmentedRecord): void {
    const a = this.acc(r.run);
    if (a.records.has(r.id)) return; // a chain emitted twice counts once, as export does
    a.records.set(r.id, null);
    a.lastAt = Math.max(a.lastAt, r.assembled_at);
    a.chainRuns.add(chainRun(r.chain_id));
    if (r.rounds.length === r.run.rounds_per_chain) a.fullChains++;
    if (r.close) bump(a.closeReasons, r.close.reason);
    a.texts += r.texts.length;
    for (const t of r.texts) bump(a.framings, t.framing);
    for (const round of r.rounds) {
      a.docPairs.set(round.doc_id, {
        pairs: round.pairs.length,
        lengths: round.pairs.map((x) => answerLength(x.answer)),
      });
      if (this.detailFor.has(r.run.run_id)) {
        this.docMap(r.run.run_id).set(round.doc_id, {
          chainId: r.chain_id,
          round: round.round_index,
          pairs: round.pairs,
        });
      }
    }
  }

  addDeadLetter(l: DeadLetter): void {
    if (!l.run_id) return;
    const a = this.runs.get(l.run_id);
    // A dead letter names only the run id; a run with no other record has no parameters to show.
    if (!a) {
      this.pendingLetters.push(l);
      return;
    }
    a.deadLetters++;
    bump(a.deadLetterClasses, l.error_class);
  }

  private readonly pendingLetters: DeadLetter[] = [];

  private settle(): void {
    const letters = this.pendingLetters.splice(0);
    for (const l of letters) {
      const a = l.run_id ? this.runs.get(l.run_id) : undefined;
      if (!a) continue;
      a.deadLetters++;
      bump(a.deadLetterClasses, l.error_class);
    }
  }

  runIds(): string[] {
    return [...this.runs.keys()].sort();
  }

  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  /** One summary per run, oldest first. */
  list(): RunSummary[] {
    this.settle();
    return [...this.runs.keys()]
      .map((id) => this.summary(id))
      .sort((x, y) => x.started_at - y.started_at || (x.run_id < y.run_id ? -1 : 1));
  }

  private summary(runId: string): RunSummary {
    const a = this.runs.get(runId) as RunAccumulator;
    // Pairs per document: the corpus's view once records exist, the rounds' before.
    const perDoc = a.docPairs.size > 0 ? a.docPairs : a.roundPairs;
    let pairs = 0;
    const lengths: number[] = [];
    for (const d of perDoc.values()) {
      pairs += d.pairs;
      lengths.push(...d.lengths);
    }
    const others = [...a.chainRuns].filter((r) => r !== runId);
    return {
      run_id: runId,
      model: a.run.model,
      model_version: a.run.model_version,
      max_new_tokens: a.run.max_new_tokens,
      rounds_per_chain: a.run.rounds_per_chain,
      chains_per_block: a.run.chains_per_block,
      template_version: a.run.template_version,
      started_at: a.run.started_at,
      derived_from: a.rounds === 0 && others.length > 0 ? others.sort().join(',') : null,
      rounds: a.rounds,
      closes: a.closes,
      chains: a.records.size,
      full_chains: a.fullChains,
      documents: perDoc.size,
      texts: a.texts,
      pairs,
      pairs_per_document: perDoc.size > 0 ? pairs / perDoc.size : 0,
      answer_chars: lengthStats(lengths),
      dead_letters: a.deadLetters,
      last_record_at: a.lastAt,
    };
  }

  show(runId: string): RunDetail {
    this.settle();
    const a = this.runs.get(runId);
    if (!a) throw new Error(`no run "${runId}" on the topics`);
    const perDoc = a.docPairs.size > 0 ? a.docPairs : a.roundPairs;
    const histogram: Record<string, number> = {};
    for (const d of perDoc.values()) bump(histogram, d.pairs >= 10 ? '10+' : String(d.pairs));
    return {
      ...this.summary(runId),
      run: a.run,
      pairs_per_document_histogram: sortKeys(histogram),
      close_reasons: sortKeys(a.closeReasons),
      framings: sortKeys(a.framings),
      history_rounds_used: sortKeys(a.historyUsed),
      dead_letter_classes: sortKeys(a.deadLetterClasses),
      source_offsets: a.sourceOffsets,
    };
  }

  /** Per-document facts of a detail run (its own rounds, or its source's for a re-assembled run). */
  facts(runId: string): Map<string, DocFacts> {
    const out = new Map<string, DocFacts>();
    for (const [docId, d] of this.docs.get(runId) ?? []) {
      const round = this.roundFacts.get(`${d.chainId}#${d.round}`);
      out.set(docId, {
        place: `${chainPlace(d.chainId)}#${d.round}`,
        pairs: d.pairs.length,
        answerLengths: d.pairs.map((x) => answerLength(x.answer)),
        pairsDigest: digest(JSON.stringify(d.pairs)),
        promptDigest: round?.prompt ?? null,
        outputDigest: round?.output ?? null,
      });
    }
    return out;
  }

  diff(a: string, b: string): RunDiff {
    for (const id of [a, b]) {
      if (!this.runs.has(id)) throw new Error(`no run "${id}" on the topics`);
      if (!this.detailFor.has(id)) throw new Error(`run "${id}" was read without per-document detail`);
    }
    return diffFacts(a, b, this.facts(a), this.facts(b));
  }
}

/** The comparison of two runs' per-document facts. */
export function diffFacts(
  a: string,
  b: string,
  factsA: ReadonlyMap<string, DocFacts>,
  factsB: ReadonlyMap<string, DocFacts>,
): RunDiff {
  const both = [...factsA.keys()].filter((id) => factsB.has(id)).sort();
  const share = (same: (x: DocFacts, y: DocFacts) => boolean | null): Share => {
    let compared = 0;
    let identical = 0;
    for (const id of both) {
      const verdict = same(factsA.get(id) as DocFacts, factsB.get(id) as DocFacts);
      if (verdict === null) continue;
      compared++;
      if (verdict) identical++;
    }
    return { compared, identical, share: compared > 0 ? identical / compared : null };
  };
  const pairsOf = (facts: ReadonlyMap<string, DocFacts>) =>
    both.length > 0 ? both.reduce((n, id) => n + (facts.get(id) as DocFacts).pairs, 0) / both.length : 0;
  const lengthsOf = (facts: ReadonlyMap<string, DocFacts>) =>
    lengthStats(both.flatMap((id) => (facts.get(id) as DocFacts).answerLengths));
  const comparable = (x: string | null, y: string | null) => (x === null || y === null ? null : x === y);
  return {
    a,
    b,
    documents: {
      a: factsA.size,
      b: factsB.size,
      both: both.length,
      only_a: factsA.size - both.length,
      only_b: factsB.size - both.length,
    },
    pairs_per_document: { a: pairsOf(factsA), b: pairsOf(factsB) },
    answer_chars: { a: lengthsOf(factsA), b: lengthsOf(factsB) },
    same_place: share((x, y) => x.place === y.place),
    identical_prompts: share((x, y) => comparable(x.promptDigest, y.promptDigest)),
    identical_outputs: share((x, y) => comparable(x.outputDigest, y.outputDigest)),
    identical_pairs: share((x, y) => x.pairsDigest === y.pairsDigest),
  };
}

function sortKeys(m: Record<string, number>): Record<string, number> {
  const numeric = (k: string) => (/^\d+$/.test(k) ? Number(k) : Number.POSITIVE_INFINITY);
  return Object.fromEntries(
    Object.entries(m).sort(([x], [y]) => numeric(x) - numeric(y) || (x < y ? -1 : x > y ? 1 : 0)),
  );
}
