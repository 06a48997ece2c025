import { describe, expect, it } from 'vitest';
import {
  buildGenerateBody,
  buildInferBody,
  dispatchPlan,
  type ModelConfig,
  parseGenerateResponse,
  parseInferResponse,
} from '../../lib/triton/protocol.ts';

const input = (name: string) => ({ name });
const synthInputs = [input('text_input'), input('sampling_parameters'), input('exclude_input_in_output')];
const params = { sampling: { temperature: 0, max_tokens: 400 }, excludeInputInOutput: true };

describe('dispatch plan from the model config', () => {
  it('batches a non-decoupled model with max_batch_size > 0', () => {
    const cfg: ModelConfig = { name: 'm', max_batch_size: 64, input: synthInputs };
    expect(dispatchPlan(cfg)).toEqual({
      mode: 'batch',
      maxBatch: 64,
      sendsSampling: true,
      sendsExclude: true,
    });
  });

  it('sends one prompt per request to a decoupled or non-batching model', () => {
    const decoupled: ModelConfig = {
      max_batch_size: 256,
      input: synthInputs,
      model_transaction_policy: { decoupled: true },
    };
    expect(dispatchPlan(decoupled)).toMatchObject({ mode: 'single', maxBatch: 1 });
    expect(dispatchPlan({ max_batch_size: 0, input: synthInputs })).toMatchObject({
      mode: 'single',
      maxBatch: 1,
    });
  });

  it('sends only the optional inputs the model declares', () => {
    const plan = dispatchPlan({ max_batch_size: 8, input: [input('text_input')] });
    expect(buildInferBody(['p'], params, plan).inputs.map((i) => i.name)).toEqual(['text_input']);
    expect(buildGenerateBody('p', params, plan)).toEqual({ text_input: 'p' });
  });

  it('rejects a model without text_input', () => {
    expect(() => dispatchPlan({ name: 'resnet', max_batch_size: 8, input: [input('image')] })).toThrow(
      /text_input/,
    );
  });
});

describe('KServe v2 request bodies', () => {
  it('encodes a batch as [n, 1] tensors, one row per prompt', () => {
    const body = buildInferBody(['a', 'b'], params);
    expect(body).toEqual({
      inputs: [
        { name: 'text_input', shape: [2, 1], datatype: 'BYTES', data: ['a', 'b'] },
        {
          name: 'sampling_parameters',
          shape: [2, 1],
          datatype: 'BYTES',
          data: ['{"temperature":0,"max_tokens":400}', '{"temperature":0,"max_tokens":400}'],
        },
        { name: 'exclude_input_in_output', shape: [2, 1], datatype: 'BOOL', data: [true, true] },
      ],
      outputs: [{ name: 'text_output' }],
    });
    expect(() => buildInferBody([], params)).toThrow();
  });

  it('puts the same inputs at the top level of a generate body', () => {
    expect(buildGenerateBody('a', params)).toEqual({
      text_input: 'a',
      sampling_parameters: '{"temperature":0,"max_tokens":400}',
      exclude_input_in_output: true,
    });
  });
});

describe('response parsing', () => {
  const out = (data: unknown) => ({
    outputs: [{ name: 'text_output', datatype: 'BYTES', shape: [2, 1], data }],
  });

  it('returns one string per prompt, flat or nested', () => {
    expect(parseInferResponse(out(['x', 'y']), 2)).toEqual(['x', 'y']);
    expect(parseInferResponse(out([['x'], ['y']]), 2)).toEqual(['x', 'y']);
  });

  it('rejects a wrong count, missing output or non-text data', () => {
    expect(() => parseInferResponse(out(['x']), 2)).toThrow(/1 values for 2/);
    expect(() => parseInferResponse({ outputs: [] }, 1)).toThrow(/no text_output/);
    expect(() => parseInferResponse({ error: 'x' }, 1)).toThrow(/no outputs/);
    expect(() => parseInferResponse(out([1, 2]), 2)).toThrow(/not BYTES/);
  });

  it('reads text_output of a generate response', () => {
    expect(parseGenerateResponse({ model_name: 'm', text_output: 'z' })).toBe('z');
    expect(parseGenerateResponse({ text_output: [['z']] })).toBe('z');
    expect(() => parseGenerateResponse({ text_output: 3 })).toThrow();
  });
});
