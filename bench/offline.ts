// The paper's offline loop, for comparison with streaming: with N texts and M = 2 rounds, all
// round-0 prompts go out as one job, and only when every answer is back are the round-1 prompts
// built (each chain's round 0 as history) and sent as the next job. Same Triton client as synth,
// with a fixed in-flight limit: the job's prompts wait in the client beyond it (vLLM's offline
// LLM.generate is the case where the limit is the whole job).

import { DEFAULT_BUDGET, type PromptTokenModel, promptTokenModel } from '../core/budget.ts';
import { compactRound, planPrompt } from '../core/chain.ts';
import { readingBlock } from '../core/format.ts';
import { parseOutput } from '../core/parse.ts';
import type { TokenCounter } from '../core/tokens.ts';
import type { RawDocument } from '../core/types.ts';
import type { GenerationParams } from '../lib/triton/index.ts';
import { MicroBatcher, TritonCluster } from '../lib/triton/index.ts';

export interface OfflineClient {
  model: string;
  params: GenerationParams;
  /** prompts per request (1 for a decoupled model whatever this says) */
  maxBatch: number;
  /** requests outstanding per endpoint */
  maxInFlight: number;
}

export interface OfflineResult {
  /** rounds/s over the whole job */
  rate: number;
  seconds: number;
  roundSeconds: number[];
}

/** Round 0 of a chain: the text alone. */
export const firstPrompt = (doc: RawDocument): string => readingBlock(doc.text);

/** Round 1 of a chain, as synth builds it: `first`'s round (its text, `output` parsed) as history, then `next`. */
export function secondPrompt(
  first: RawDocument,
  output: string,
  next: RawDocument,
  model: PromptTokenModel,
): string {
  const round0 = compactRound(
    {
      round_index: 0,
      doc_id: first.doc_id,
      text: first.text,
      pairs: parseOutput(output),
      inherit_from_prev: false,
      text_tokens: first.token_count,
    },
    model,
  );
  return planPrompt([round0], { text: next.text, text_tokens: next.token_count }, DEFAULT_BUDGET, model)
    .prompt;
}

export async function offlineRoundSynchronous(
  tritonUrls: string[],
  client: OfflineClient,
  docs: RawDocument[],
  tokenizer: TokenCounter,
): Promise<OfflineResult> {
  const cluster = await new TritonCluster({
    urls: tritonUrls,
    models: [client.model],
    maxInFlightPerEndpoint: client.maxInFlight,
  }).start();
  const batcher = new MicroBatcher(cluster, {
    model: client.model,
    params: client.params,
    maxBatch: client.maxBatch,
  });
  const model = promptTokenModel(tokenizer);
  const half = Math.ceil(docs.length / 2);
  const started = performance.now();
  const roundSeconds: number[] = [];
  try {
    // Round 0: text i of the first portion, for every chain i.
    let t = performance.now();
    const outputs0 = await Promise.all(docs.slice(0, half).map((d) => batcher.submit(firstPrompt(d))));
    roundSeconds.push((performance.now() - t) / 1000);
    // Round 1: text B + i with chain i's round 0 as history.
    t = performance.now();
    const prompts1 = docs
      .slice(half)
      .map((d, i) => secondPrompt(docs[i] as RawDocument, outputs0[i] as string, d, model));
    await Promise.all(prompts1.map((p) => batcher.submit(p)));
    roundSeconds.push((performance.now() - t) / 1000);
  } finally {
    batcher.close();
    await cluster.close();
  }
  const seconds = (performance.now() - started) / 1000;
  return { rate: docs.length / seconds, seconds, roundSeconds };
}
