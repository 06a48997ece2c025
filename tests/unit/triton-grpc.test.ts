import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { tritonGrpc } from '../../cli/common.ts';
import { grpcSetting } from '../../lib/cli-options.ts';
import { buildStreamRequest, decodeRawBytes, parseStreamResponse } from '../../lib/triton/grpc-protocol.ts';
import {
  defaultGrpcAddress,
  grpcAddresses,
  TritonCluster,
  TritonConnectionError,
  TritonGrpcClient,
} from '../../lib/triton/index.ts';
import { ResponseShapeError } from '../../lib/triton/protocol.ts';

const rawBytes = (...values: string[]) =>
  Buffer.concat(
    values.flatMap((v) => {
      const len = Buffer.alloc(4);
      len.writeUInt32LE(Buffer.byteLength(v));
      return [len, Buffer.from(v)];
    }),
  );

describe('gRPC messages of the synthesizer interface', () => {
  it('sends one prompt as [1] tensors, only the inputs the model declares', () => {
    const params = { sampling: { temperature: 0, max_tokens: 8 }, excludeInputInOutput: true };
    const req = buildStreamRequest('m', 'id-1', 'héllo', params);
    expect(req.model_name).toBe('m');
    expect(req.inputs.map((i) => [i.name, i.datatype, i.shape])).toEqual([
      ['text_input', 'BYTES', [1]],
      ['sampling_parameters', 'BYTES', [1]],
      ['exclude_input_in_output', 'BOOL', [1]],
    ]);
    expect(req.inputs[0]?.contents.bytes_contents?.[0]?.toString('utf8')).toBe('héllo');
    expect(JSON.parse(req.inputs[1]?.contents.bytes_contents?.[0]?.toString() ?? '')).toEqual(
      params.sampling,
    );
    expect(req.inputs[2]?.contents.bool_contents).toEqual([true]);
    const bare = buildStreamRequest('m', 'id-2', 'x', params, {
      mode: 'single',
      maxBatch: 1,
      sendsSampling: false,
      sendsExclude: false,
    });
    expect(bare.inputs.map((i) => i.name)).toEqual(['text_input']);
  });

  it('reads text_output from raw contents or typed contents', () => {
    const outputs = [{ name: 'other' }, { name: 'text_output', datatype: 'BYTES' }];
    const raw = { infer_response: { outputs, raw_output_contents: [rawBytes('x'), rawBytes('the answer')] } };
    expect(parseStreamResponse(raw)).toBe('the answer');
    const typed = {
      infer_response: {
        outputs: [{ name: 'text_output', contents: { bytes_contents: [Buffer.from('typed')] } }],
      },
    };
    expect(parseStreamResponse(typed)).toBe('typed');
  });

  it('rejects a response without exactly one text', () => {
    expect(() => parseStreamResponse({ infer_response: { outputs: [] } })).toThrow(ResponseShapeError);
    const two = {
      infer_response: { outputs: [{ name: 'text_output' }], raw_output_contents: [rawBytes('a', 'b')] },
    };
    expect(() => parseStreamResponse(two)).toThrow(/2 values/);
    expect(() => decodeRawBytes(rawBytes('abc').subarray(0, 5))).toThrow(ResponseShapeError);
    expect(decodeRawBytes(rawBytes('', 'é')).map((b) => b.toString())).toEqual(['', 'é']);
  });
});

describe('gRPC failures as Triton errors', () => {
  it('a refused port is a connection error carrying its errno, so the cluster ejects the endpoint at once', async () => {
    const client = new TritonGrpcClient('127.0.0.1:1');
    try {
      const err = await client.generate('m', 'x', {}, { timeoutMs: 10_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TritonConnectionError);
      expect((err as TritonConnectionError).code).toBe('ECONNREFUSED');
    } finally {
      client.close();
    }
  });

  it("the caller's abort rejects with its reason", async () => {
    const client = new TritonGrpcClient('127.0.0.1:1');
    try {
      const reason = new Error('mine');
      await expect(client.generate('m', 'x', {}, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    } finally {
      client.close();
    }
  });
});

describe('transport choice', () => {
  const urls = ['http://10.0.0.1:8000', 'http://triton-b:9000'];

  it('gRPC address per endpoint: Triton layout, a list in order, or none', () => {
    expect(defaultGrpcAddress('http://127.0.0.1:8000')).toBe('127.0.0.1:8001');
    expect(defaultGrpcAddress('http://[::1]:18000/')).toBe('[::1]:18001');
    expect(grpcAddresses(urls, true)).toEqual(['10.0.0.1:8001', 'triton-b:9001']);
    expect(grpcAddresses(urls, ['a:1', 'b:2'])).toEqual(['a:1', 'b:2']);
    expect(grpcAddresses(urls, false)).toEqual([undefined, undefined]);
    expect(grpcAddresses(urls, undefined)).toEqual([undefined, undefined]);
    expect(() => grpcAddresses(urls, ['a:1'])).toThrow(/1 gRPC address\(es\) for 2 Triton endpoint/);
  });

  it('a cluster sends one-prompt requests over gRPC only where configured', async () => {
    for (const [grpc, want] of [
      [undefined, ['http', 'http']],
      [false, ['http', 'http']],
      [true, ['grpc', 'grpc']],
      [
        ['a:1', 'b:2'],
        ['grpc', 'grpc'],
      ],
    ] as const) {
      const cluster = new TritonCluster({ urls, grpc, healthTimeoutMs: 50, engineMetricsUrl: false });
      try {
        expect(cluster.endpointStates().map((e) => e.transport)).toEqual(want);
      } finally {
        await cluster.close();
      }
    }
  });

  it('--triton-grpc takes auto, off or host:port addresses', () => {
    expect(grpcSetting('auto')).toBe(true);
    expect(grpcSetting('off')).toBe(false);
    expect(grpcSetting('h:1, [::1]:2')).toEqual(['h:1', '[::1]:2']);
    expect(() => grpcSetting('http://h:1')).toThrow(/not host:port/);
    expect(() => grpcSetting('h')).toThrow(/not host:port/);
  });

  describe('default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipt-grpc-unit-'));
    const file = join(dir, 'endpoints.json');
    const saved = process.env.IPT_ENDPOINTS;
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    afterEach(() => {
      if (saved === undefined) delete process.env.IPT_ENDPOINTS;
      else process.env.IPT_ENDPOINTS = saved;
    });
    const stack = (triton: Record<string, unknown>) => {
      writeFileSync(
        file,
        JSON.stringify({ kafka: { brokers: ['k:1'] }, registry: { url: 'http://r' }, triton }),
      );
      process.env.IPT_ENDPOINTS = file;
    };

    it("the local stack's gRPC port; HTTP for --triton's endpoints or an older stack file", () => {
      stack({ urls: ['http://127.0.0.1:18000'], grpc: ['127.0.0.1:18001'] });
      expect(tritonGrpc({})).toEqual(['127.0.0.1:18001']);
      expect(tritonGrpc({ triton: ['http://h:8000'] })).toBe(false);
      expect(tritonGrpc({ triton: ['http://h:8000'], tritonGrpc: true })).toBe(true);
      expect(tritonGrpc({ tritonGrpc: false })).toBe(false);
      stack({ urls: ['http://127.0.0.1:18000'] });
      expect(tritonGrpc({})).toBe(false);
    });
  });
});
