/**
 * What a continuous-batching engine reports about its own queue: vLLM's
 * `vllm:num_requests_running` and `vllm:num_requests_waiting` gauges, which
 * Triton's vLLM backend (and the local engine simulator) publish on Triton's
 * Prometheus endpoint. Unlike a client's own latency they count every
 * client's requests, so several synth instances sharing one engine can keep
 * its waiting queue small between them.
 */

export interface EngineLoad {
  running: number;
  waiting: number;
}

const GAUGES = { 'vllm:num_requests_running': 'running', 'vllm:num_requests_waiting': 'waiting' } as const;
// One sample line of the text exposition format: name, optional {labels}, value (timestamp ignored).
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const MODEL_LABEL = /(?:^|,)\s*model="((?:[^"\\]|\\.)*)"/;

/**
 * The engine load of `model` in a Prometheus text exposition, or undefined when either gauge is
 * missing. Series labelled with another model are skipped; unlabelled ones are taken.
 */
export function parseEngineLoad(text: string, model: string): EngineLoad | undefined {
  const found: Partial<EngineLoad> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('vllm:')) continue;
    const m = SAMPLE.exec(line);
    const key = m ? GAUGES[m[1] as keyof typeof GAUGES] : undefined;
    if (!m || key === undefined) continue;
    const labelled = m[2] === undefined ? undefined : MODEL_LABEL.exec(m[2])?.[1];
    if (labelled !== undefined && labelled !== model) continue;
    const value = Number(m[3]);
    if (Number.isFinite(value) && value >= 0) found[key] = (found[key] ?? 0) + value;
  }
  return found.running === undefined || found.waiting === undefined
    ? undefined
    : { running: found.running, waiting: found.waiting };
}

/**
 * Where an endpoint's Prometheus metrics are by Triton's default layout: the HTTP port + 2 (8000 →
 * 8002; the local stack's 18000 → 18002).
 */
export function defaultMetricsUrl(endpoint: string): string | undefined {
  try {
    const url = new URL(endpoint);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    return `${url.protocol}//${url.hostname}:${port + 2}/metrics`;
  } catch {
    return undefined;
  }
}
