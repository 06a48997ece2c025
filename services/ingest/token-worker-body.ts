// One tokenizer per worker thread; answers { id, split } for every { id, text }.
import { parentPort, workerData } from 'node:worker_threads';
import { mistralTokenizer } from '../../core/mistral.ts';
import { splitForBudget } from './tokenize.ts';

const tokenizer = mistralTokenizer();
const { maxTokens } = workerData as { maxTokens: number };

parentPort?.on('message', ({ id, text }: { id: number; text: string }) => {
  try {
    parentPort?.postMessage({ id, split: splitForBudget(text, maxTokens, tokenizer) });
  } catch (error) {
    parentPort?.postMessage({ id, error: (error as Error).message });
  }
});
