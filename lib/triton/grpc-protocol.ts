/**
 * The synthesizer interface over Triton's gRPC API (inference.proto) — pure, no I/O: the message
 * one prompt becomes and the text taken out of what comes back, as plain objects the way
 * @grpc/proto-loader (keepCase) hands them over.
 */
import {
  type DispatchPlan,
  type GenerationParams,
  INPUT_EXCLUDE,
  INPUT_SAMPLING,
  INPUT_TEXT,
  OUTPUT_TEXT,
  ResponseShapeError,
} from './protocol.ts';

interface TensorContents {
  bool_contents?: boolean[];
  bytes_contents?: Buffer[];
}

export interface GrpcInputTensor {
  name: string;
  datatype: 'BYTES' | 'BOOL';
  shape: number[];
  contents: TensorContents;
}

export interface GrpcInferRequest {
  model_name: string;
  id: string;
  inputs: GrpcInputTensor[];
  outputs: Array<{ name: string }>;
}

export interface GrpcOutputTensor {
  name?: string;
  datatype?: string;
  contents?: TensorContents | null;
}

export interface GrpcStreamResponse {
  error_message?: string;
  infer_response?: {
    outputs?: GrpcOutputTensor[];
    raw_output_contents?: Buffer[];
  } | null;
}

/**
 * One prompt as a ModelInferRequest: every tensor of shape [1], the shape of a model without a batch
 * dimension (max_batch_size 0), as Triton's vLLM backend and the engine sim declare them.
 */
export function buildStreamRequest(
  model: string,
  id: string,
  prompt: string,
  params: GenerationParams = {},
  plan?: DispatchPlan,
): GrpcInferRequest {
  const bytes = (name: string, value: string): GrpcInputTensor => ({
    name,
    datatype: 'BYTES',
    shape: [1],
    contents: { bytes_contents: [Buffer.from(value, 'utf8')] },
  });
  const inputs = [bytes(INPUT_TEXT, prompt)];
  if ((plan?.sendsSampling ?? true) && params.sampling !== undefined) {
    inputs.push(bytes(INPUT_SAMPLING, JSON.stringify(params.sampling)));
  }
  if ((plan?.sendsExclude ?? true) && params.excludeInputInOutput !== undefined) {
    inputs.push({
      name: INPUT_EXCLUDE,
      datatype: 'BOOL',
      shape: [1],
      contents: { bool_contents: [params.excludeInputInOutput] },
    });
  }
  return { model_name: model, id, inputs, outputs: [{ name: OUTPUT_TEXT }] };
}

/** The elements of a raw BYTES tensor: each a 4-byte little-endian length, then that many bytes. */
export function decodeRawBytes(raw: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < raw.length) {
    if (at + 4 > raw.length) throw new ResponseShapeError('raw BYTES tensor cut inside a length');
    const len = raw.readUInt32LE(at);
    at += 4;
    if (at + len > raw.length) throw new ResponseShapeError('raw BYTES tensor cut inside an element');
    out.push(raw.subarray(at, at + len));
    at += len;
  }
  return out;
}

/**
 * `text_output` of one stream response; a response carrying the request's error is not handled
 * here (the caller turns error_message into a Triton error first).
 */
export function parseStreamResponse(msg: GrpcStreamResponse): string {
  const res = msg.infer_response;
  const outputs = res?.outputs ?? [];
  const index = outputs.findIndex((o) => o.name === OUTPUT_TEXT);
  if (res == null || index < 0) throw new ResponseShapeError(`no ${OUTPUT_TEXT} output`);
  const raw = res.raw_output_contents?.[index];
  const values = raw !== undefined ? decodeRawBytes(raw) : (outputs[index]?.contents?.bytes_contents ?? []);
  if (values.length !== 1)
    throw new ResponseShapeError(`${OUTPUT_TEXT} has ${values.length} values for 1 prompt`);
  return (values[0] as Buffer).toString('utf8');
}
