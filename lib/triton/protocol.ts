/**
 * KServe v2 JSON encodings of the synthesizer interface (ARCHITECTURE.md §5) — pure,
 * no I/O, so every byte we send and every check on what comes back is unit
 * tested without a server.
 */

/** vLLM-style sampling parameters, sent as the JSON string tensor `sampling_parameters`. */
export interface SamplingParams {
  temperature?: number;
  max_tokens?: number;
  [key: string]: unknown;
}

export interface GenerationParams {
  sampling?: SamplingParams;
  /** vLLM echoes the prompt before the generated text unless this is true. */
  excludeInputInOutput?: boolean;
}

export const INPUT_TEXT = 'text_input';
export const INPUT_SAMPLING = 'sampling_parameters';
export const INPUT_EXCLUDE = 'exclude_input_in_output';
export const OUTPUT_TEXT = 'text_output';

export interface InferTensor {
  name: string;
  shape: number[];
  datatype: 'BYTES' | 'BOOL';
  data: Array<string | boolean>;
}

export interface InferRequestBody {
  inputs: InferTensor[];
  outputs: Array<{ name: string }>;
}

/** The subset of `/v2/models/<m>/config` the client acts on. */
export interface ModelConfig {
  name?: string;
  max_batch_size?: number;
  input?: Array<{ name: string; data_type?: string; dims?: Array<number | string>; optional?: boolean }>;
  output?: Array<{ name: string; data_type?: string; dims?: Array<number | string> }>;
  model_transaction_policy?: { decoupled?: boolean };
  [key: string]: unknown;
}

/**
 * How prompts reach a model: `batch` sends a whole micro-batch in one
 * ModelInfer (the model batches, max_batch_size > 0); `single` sends one
 * prompt per request through the generate extension (decoupled LLM
 * backends stream and batch on the server, and non-batching models take one
 * prompt at a time).
 */
export interface DispatchPlan {
  mode: 'batch' | 'single';
  /** Largest batch one request may carry (1 in single mode). */
  maxBatch: number;
  /** Optional inputs the model declares; we only send what it knows. */
  sendsSampling: boolean;
  sendsExclude: boolean;
}

export function dispatchPlan(config: ModelConfig): DispatchPlan {
  const maxBatchSize = Number(config.max_batch_size ?? 0);
  const decoupled = config.model_transaction_policy?.decoupled === true;
  const inputs = new Set((config.input ?? []).map((i) => i.name));
  if (!inputs.has(INPUT_TEXT)) {
    throw new Error(`model ${config.name ?? '?'} has no ${INPUT_TEXT} input; not a synthesizer interface`);
  }
  const batch = maxBatchSize > 0 && !decoupled;
  return {
    mode: batch ? 'batch' : 'single',
    maxBatch: batch ? maxBatchSize : 1,
    sendsSampling: inputs.has(INPUT_SAMPLING),
    sendsExclude: inputs.has(INPUT_EXCLUDE),
  };
}

/**
 * Whether the model schedules requests itself (decoupled, or no batch dimension): such a model
 * wants many single-prompt requests in flight, as many as its engine can run, rather than batches.
 */
export function continuousBatching(config: ModelConfig): boolean {
  return dispatchPlan(config).mode === 'single';
}

/** Names under which a model's config may publish its engine's sequence slots (vLLM's max_num_seqs). */
const SLOT_PARAMETERS = ['ipt_max_num_seqs', 'max_num_seqs'];

/**
 * The engine's sequence slots as the model's config publishes them (a `parameters` entry, string
 * value as Triton renders it), or undefined when absent or not a positive integer.
 */
export function engineSlotsHint(config: ModelConfig): number | undefined {
  const parameters = config.parameters;
  if (!isRecord(parameters)) return undefined;
  for (const key of SLOT_PARAMETERS) {
    const entry = parameters[key];
    const raw = isRecord(entry) ? entry.string_value : undefined;
    const n = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
    if (Number.isSafeInteger(n) && n > 0) return n;
  }
  return undefined;
}

const DEFAULT_PLAN: DispatchPlan = {
  mode: 'batch',
  maxBatch: Number.MAX_SAFE_INTEGER,
  sendsSampling: true,
  sendsExclude: true,
};

/** ModelInfer body for a batching model: every tensor is [n, 1], one row per prompt. */
export function buildInferBody(
  prompts: readonly string[],
  params: GenerationParams = {},
  plan: DispatchPlan = DEFAULT_PLAN,
): InferRequestBody {
  if (prompts.length === 0) throw new Error('infer needs at least one prompt');
  const n = prompts.length;
  const shape = [n, 1];
  const inputs: InferTensor[] = [{ name: INPUT_TEXT, shape, datatype: 'BYTES', data: [...prompts] }];
  if (plan.sendsSampling && params.sampling !== undefined) {
    const json = JSON.stringify(params.sampling);
    inputs.push({ name: INPUT_SAMPLING, shape, datatype: 'BYTES', data: new Array<string>(n).fill(json) });
  }
  if (plan.sendsExclude && params.excludeInputInOutput !== undefined) {
    const flag = params.excludeInputInOutput;
    inputs.push({ name: INPUT_EXCLUDE, shape, datatype: 'BOOL', data: new Array<boolean>(n).fill(flag) });
  }
  return { inputs, outputs: [{ name: OUTPUT_TEXT }] };
}

/** Generate-extension body: inputs as top-level JSON fields, one prompt. */
export function buildGenerateBody(
  prompt: string,
  params: GenerationParams = {},
  plan: DispatchPlan = DEFAULT_PLAN,
): Record<string, unknown> {
  const body: Record<string, unknown> = { [INPUT_TEXT]: prompt };
  if (plan.sendsSampling && params.sampling !== undefined)
    body[INPUT_SAMPLING] = JSON.stringify(params.sampling);
  if (plan.sendsExclude && params.excludeInputInOutput !== undefined) {
    body[INPUT_EXCLUDE] = params.excludeInputInOutput;
  }
  return body;
}

/** Thrown by the parsers; the HTTP layer wraps it with endpoint and model. */
export class ResponseShapeError extends Error {}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Pull `text_output` out of a ModelInfer response; exactly one string per prompt, in order. */
export function parseInferResponse(json: unknown, expected: number): string[] {
  if (!isRecord(json) || !Array.isArray(json.outputs)) {
    throw new ResponseShapeError('no outputs array');
  }
  const out = json.outputs.find((o): o is Record<string, unknown> => isRecord(o) && o.name === OUTPUT_TEXT);
  if (out === undefined) throw new ResponseShapeError(`no ${OUTPUT_TEXT} output`);
  // Triton flattens tensor data in row-major order; a nested array is also legal KServe v2.
  const data = Array.isArray(out.data) ? out.data.flat(Number.POSITIVE_INFINITY) : undefined;
  if (data === undefined)
    throw new ResponseShapeError(`${OUTPUT_TEXT} has no data (binary outputs are not requested)`);
  if (data.length !== expected) {
    throw new ResponseShapeError(`${OUTPUT_TEXT} has ${data.length} values for ${expected} prompt(s)`);
  }
  if (!data.every((d) => typeof d === 'string'))
    throw new ResponseShapeError(`${OUTPUT_TEXT} is not BYTES text`);
  return data as string[];
}

/** Pull `text_output` out of a generate-extension response. */
export function parseGenerateResponse(json: unknown): string {
  if (!isRecord(json)) throw new ResponseShapeError('not a JSON object');
  let value = json[OUTPUT_TEXT];
  // A batching model answers a one-prompt request with a [1, 1] tensor, which
  // the generate extension may render as an array.
  while (Array.isArray(value) && value.length === 1) value = value[0];
  if (typeof value !== 'string') throw new ResponseShapeError(`no ${OUTPUT_TEXT} string`);
  return value;
}
