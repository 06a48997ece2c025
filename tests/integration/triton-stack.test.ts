import { afterAll, describe, expect, it } from 'vitest';
import { loadEndpoints } from '../../lib/endpoints.ts';
import { dispatchPlan, TritonHttpClient } from '../../lib/triton/index.ts';

/** The shared stack's Triton (started by globalSetup), spoken to over KServe v2 HTTP. */
const MODEL = 'instruction_synthesizer_cpu';
const params = { sampling: { temperature: 0, max_tokens: 400 }, excludeInputInOutput: true };
const PAIR = /<QUE> .+? <ANS> .+? <\/END>/s;

const reading = (t: string) => `<s> <CON> ${t} </CON>\n\n`;

describe('stack Triton over KServe v2 HTTP', () => {
  const url = loadEndpoints().triton.urls[0] as string;
  const client = new TritonHttpClient(url, { timeoutMs: 20_000 });
  afterAll(() => client.close());

  it('is live and ready, and so is the CPU synthesizer', async () => {
    expect(await client.live()).toBe(true);
    expect(await client.ready()).toBe(true);
    expect(await client.modelReady(MODEL)).toBe(true);
    expect(await client.modelReady('no_such_model')).toBe(false);
  });

  it('describes the synthesizer interface in metadata and config', async () => {
    const meta = await client.metadata(MODEL);
    expect(meta.name).toBe(MODEL);
    expect(meta.inputs.map((i) => [i.name, i.datatype])).toEqual(
      expect.arrayContaining([
        ['text_input', 'BYTES'],
        ['sampling_parameters', 'BYTES'],
        ['exclude_input_in_output', 'BOOL'],
      ]),
    );
    expect(meta.outputs.map((o) => [o.name, o.datatype])).toEqual([['text_output', 'BYTES']]);
    const plan = dispatchPlan(await client.config(MODEL));
    expect(plan.mode).toBe('batch');
    expect(plan.maxBatch).toBeGreaterThan(1);
  });

  it('answers a batched infer with one synthesizer output per prompt, in order', async () => {
    const texts = [
      'The harbour froze because the winter was unusually cold. Therefore, the ships stayed in port until March.',
      'Bees collect nectar from flowers. However, some bees also gather resin to seal their hives.',
    ];
    const outputs = await client.infer(MODEL, texts.map(reading), params);
    expect(outputs).toHaveLength(2);
    for (const [i, out] of outputs.entries()) {
      expect(out).toMatch(PAIR);
      expect(out.trimEnd().endsWith('</END>')).toBe(true);
      // exclude_input_in_output: the answer does not echo the prompt.
      expect(out.startsWith('<s>')).toBe(false);
      expect(out).toContain((texts[i] as string).split(' ')[1]);
    }
  });

  it('echoes the prompt when exclude_input_in_output is false, like vLLM', async () => {
    const prompt = reading('Rivers carve valleys because water erodes rock over long periods.');
    const [out] = await client.infer(MODEL, [prompt], { ...params, excludeInputInOutput: false });
    expect(out?.startsWith(prompt)).toBe(true);
  });
});
