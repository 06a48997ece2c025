// Turns a finished chain into its AugmentedRecord: followed_by_next from the rounds' own records,
// the texts from core's templates with a seed derived from the record id, token counts. Pure.

import { followedByNext } from '../../core/chain.ts';
import { renderChain, templateSeed } from '../../core/templates/render.ts';
import { countWithParts, type TokenCounter } from '../../core/tokens.ts';
import type { AssembleState, AugmentedRecord, AugmentedRound } from '../../core/types.ts';
import { sameTokenizer } from '../../lib/tokenizer-file.ts';

export interface BuildOptions {
  /**
   * The tokenizer synth counted the rounds' `text_tokens` with (the run's; Mistral-7B-v0.1 unless
   * the run named another): rendered counts add what it counts around the rounds' texts.
   */
  tokenCounter: TokenCounter;
  /**
   * The name of the tokenizer `tokenCounter` is, when known: a chain whose run was counted with another
   * tokenizer is refused, since its rendered counts would add one tokenizer's counts to another's.
   */
  tokenizer?: string;
  now: number;
  /** Render with this template set instead of the run's own (re-assembly). */
  templateVersion?: string;
  /** Emit the record as this run (re-assembly as a new run); default: the rounds' run. */
  runId?: string;
}

/** The chain's run counted its texts with another tokenizer than assemble's: the chain goes to the DLQ. */
export class TokenizerMismatchError extends Error {
  override readonly name = 'TokenizerMismatchError';
}

/** Rendering failed (unknown template version, a template bug): the chain goes to the DLQ. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/**
 * The stable id of a chain's record within a run. Chain ids already start with their run id, so
 * for a chain assembled in its own run the id is the chain id (AugmentedRecord.avsc); a chain
 * re-assembled as another run gets that run's id in front, keeping ids unique per run.
 */
export function augmentedRecordId(runId: string, chainId: string): string {
  return chainId.startsWith(`${runId}/`) ? chainId : `${runId}/${chainId}`;
}

export function buildAugmentedRecord(state: AssembleState, options: BuildOptions): AugmentedRecord {
  if (options.tokenizer !== undefined && !sameTokenizer(state.run.tokenizer, options.tokenizer))
    throw new TokenizerMismatchError(
      `chain ${state.chain_id}: its run counted with tokenizer "${state.run.tokenizer}", assemble counts with "${options.tokenizer}" (give assemble the run's --tokenizer)`,
    );
  const rounds = [...state.rounds].sort((a, b) => a.round_index - b.round_index);
  const version = options.templateVersion ?? state.run.template_version;
  const runId = options.runId ?? state.run.run_id;
  const id = augmentedRecordId(runId, state.chain_id);
  // Seeded by the record id (chain id + run), so a re-assembly as a new run draws its own patterns
  // while a chain assembled twice in the same run renders the same texts.
  const seed = templateSeed(id, version);
  const followed = followedByNext(rounds);

  let rendered: ReturnType<typeof renderChain>;
  try {
    rendered = renderChain(rounds, seed, version);
  } catch (error) {
    throw new TemplateError(`rendering chain ${state.chain_id}: ${(error as Error).message}`, {
      cause: error,
    });
  }

  const augmentedRounds: AugmentedRound[] = rounds.map((r, i) => ({
    round_index: r.round_index,
    doc_id: r.doc_id,
    text: r.text,
    pairs: r.pairs,
    history_rounds_used: r.history_rounds_used,
    inherit_from_prev: r.inherit_from_prev,
    followed_by_next: followed[i] ?? false,
    text_tokens: r.text_tokens,
  }));
  // Each round's text sits verbatim in its rendered text with its count known from ingest, so only
  // the wording around it is tokenized (exact; see countWithParts).
  const byIndex = new Map(rounds.map((r) => [r.round_index, { text: r.text, tokens: r.text_tokens }]));
  const texts = rendered.map((t) => ({
    text: t.text,
    round_indexes: t.round_indexes,
    framing: t.framing,
    token_count: countWithParts(
      options.tokenCounter,
      t.text,
      t.round_indexes.flatMap((i) => byIndex.get(i) ?? []),
    ),
  }));
  return {
    id,
    run: { ...state.run, run_id: runId, template_version: version },
    chain_id: state.chain_id,
    doc_ids: rounds.map((r) => r.doc_id),
    rounds: augmentedRounds,
    texts,
    template_seed: seed,
    template_version: version,
    text_tokens: rounds.reduce((n, r) => n + r.text_tokens, 0),
    rendered_tokens: texts.reduce((n, t) => n + t.token_count, 0),
    close: state.close,
    assembled_at: options.now,
  };
}
