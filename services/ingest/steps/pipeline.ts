// Ingest's pipeline: which steps run, in which order. Readers (../read.ts) yield events; decode
// admits them; extract turns HTML pages into their main text; then text validity → the opted-in
// normalization → length limits → language → boilerplate lines → quality rules → dedup (hash and
// MinHash signature for the dedup stage, which decides) → token count and chunking → a candidate
// for the stage (or, without dedup, RawDocument records on the raw topic). A step that is switched
// off is left out of the list, not run idle.

import type { ExtractMode } from '../html.ts';
import type { NormalizeOptions } from '../normalize.ts';
import { type ChunkOptions, chunkStep } from './chunk.ts';
import { type CleanLinesOptions, cleanLinesStep } from './clean-lines.ts';
import { decodeStep } from './decode.ts';
import { dedupStageStep } from './dedup-stage.ts';
import { extractStep } from './extract.ts';
import { type LanguageOptions, languageStep } from './language.ts';
import { lengthStep } from './length.ts';
import { normalizeStep } from './normalize.ts';
import { type ProduceOptions, produceStep } from './produce.ts';
import { type QualityOptions, qualityStep } from './quality.ts';
import type { Steps } from './runner.ts';
import type { Step } from './step.ts';
import { validityStep } from './validity.ts';

export interface PipelineOptions {
  /** How HTML pages become text (default readability: main content, else the visible text). */
  extract?: ExtractMode;
  normalize: NormalizeOptions;
  /** Language identification and the accepted languages; absent: no language step. */
  language?: LanguageOptions;
  /** RefinedWeb's boilerplate-line cleanup; absent: no lines step. */
  cleanLines?: CleanLinesOptions;
  /** Gopher's quality and repetition rules; absent: no quality step. */
  quality?: QualityOptions;
  /** The dedup stage decides (ARCHITECTURE.md §9); absent: no dedup at all. */
  stage?: { nearDup: boolean };
  chunk: ChunkOptions;
  /** Absent: a dry run, documents are accepted without being written. */
  produce?: ProduceOptions;
}

/** Builds the steps. The chunk step may start worker threads: call this once nothing else can fail. */
export function ingestSteps(options: PipelineOptions): Steps {
  const steps: Step[] = [extractStep(options.extract ?? 'readability'), validityStep(options.normalize)];
  if (options.normalize.steps.length > 0) steps.push(normalizeStep(options.normalize.steps));
  steps.push(lengthStep(options.normalize));
  if (options.language) steps.push(languageStep(options.language));
  if (options.cleanLines) steps.push(cleanLinesStep(options.cleanLines));
  if (options.quality) steps.push(qualityStep(options.quality));
  if (options.stage) steps.push(dedupStageStep(options.stage.nearDup));
  steps.push(chunkStep(options.chunk));
  if (options.produce) steps.push(produceStep(options.produce));
  return { decode: decodeStep(), steps };
}
