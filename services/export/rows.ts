// What one AugmentedRecord becomes in an export: one row per rendered text (one per connected
// segment, plus one per round whose pairs the template rules all dropped), in the `{"text", "id", "metadata"}` shape pre-training data loaders take. Pure.

import type { AugmentedRecord } from '../../core/types.ts';

export interface ExportMetadata {
  run_id: string;
  record_id: string;
  chain_id: string;
  /** Position of this text among the record's texts. */
  segment: number;
  segments: number;
  /** Documents whose rounds this text is made of, in round order. */
  doc_ids: string[];
  round_indexes: number[];
  framing: string;
  token_count: number;
  /** Pairs the synthesizer wrote for these rounds; the template rules may have dropped some. */
  pairs: number;
  template_version: string;
  template_seed: number;
  model: string;
  model_version: string;
  rounds_per_chain: number;
  /** Why the chain closed before M rounds, or null. */
  close_reason: string | null;
}

export interface ExportRow {
  text: string;
  id: string;
  metadata: ExportMetadata;
}

/** `<record id>#<segment>`: unique within a run, stable across exports. */
export const rowId = (recordId: string, segment: number): string => `${recordId}#${segment}`;

export function exportRows(record: AugmentedRecord): ExportRow[] {
  return record.texts.map((t, segment) => {
    const rounds = t.round_indexes.map((i) => record.rounds[i]);
    return {
      text: t.text,
      id: rowId(record.id, segment),
      // Built field by field so the key order — and so every exported byte — is fixed.
      metadata: {
        run_id: record.run.run_id,
        record_id: record.id,
        chain_id: record.chain_id,
        segment,
        segments: record.texts.length,
        doc_ids: rounds.map((r) => r?.doc_id ?? ''),
        round_indexes: t.round_indexes,
        framing: t.framing,
        token_count: t.token_count,
        pairs: rounds.reduce((n, r) => n + (r?.pairs.length ?? 0), 0),
        template_version: record.template_version,
        template_seed: record.template_seed,
        model: record.run.model,
        model_version: record.run.model_version,
        rounds_per_chain: record.run.rounds_per_chain,
        close_reason: record.close?.reason ?? null,
      },
    };
  });
}

/** One JSONL line (with its newline). */
export const jsonlLine = (row: ExportRow): string => `${JSON.stringify(row)}\n`;
