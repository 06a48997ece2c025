// The pure steps' options as a worker thread gets them (copyable: no detector, tokenizer or
// window), and the steps rebuilt from them there by the same ingestSteps the main thread uses, so
// both sides run the same code with the same settings.

import { mistralTokenizer } from '../../../core/mistral.ts';
import { loadLanguageDetector } from '../steps/language.ts';
import { ingestSteps, type PipelineOptions } from '../steps/pipeline.ts';
import type { Step } from '../steps/step.ts';

export interface WorkerSpec {
  extract: NonNullable<PipelineOptions['extract']>;
  normalize: PipelineOptions['normalize'];
  language?: { accept: readonly string[] | 'all'; minScore: number };
  cleanLines?: PipelineOptions['cleanLines'];
  quality?: PipelineOptions['quality'];
  stage?: PipelineOptions['stage'];
  maxTokens: number;
}

/** What a worker needs of the pipeline's options. */
export function workerSpec(options: PipelineOptions): WorkerSpec {
  const { language } = options;
  return {
    extract: options.extract ?? 'readability',
    normalize: options.normalize,
    ...(language ? { language: { accept: language.accept, minScore: language.minScore } } : {}),
    ...(options.cleanLines ? { cleanLines: options.cleanLines } : {}),
    ...(options.quality ? { quality: options.quality } : {}),
    ...(options.stage ? { stage: options.stage } : {}),
    maxTokens: options.chunk.maxTokens,
  };
}

/** The pure steps by name, built as ingest builds them (the Mistral tokenizer; eld loaded). */
export async function pureSteps(spec: WorkerSpec): Promise<Map<string, Step>> {
  const { language, maxTokens, ...rest } = spec;
  const built = ingestSteps({
    ...rest,
    ...(language ? { language: { ...language, detect: await loadLanguageDetector() } } : {}),
    chunk: { maxTokens, tokenizer: mistralTokenizer() },
  });
  return new Map(built.steps.filter((s) => s.pure).map((s) => [s.name, s]));
}
