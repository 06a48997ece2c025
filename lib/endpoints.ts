import { existsSync, readFileSync } from 'node:fs';
import { stackConfig } from '../stack/config.ts';
import { endpointsFile } from '../stack/stack.ts';

/** Where the running stack listens; written by `ipt stack up`, read by services and tests. */
export interface Endpoints {
  kafka: { brokers: string[] };
  registry: { url: string };
  /** grpc: the gRPC frontend of each URL, in the same order (absent in files of older stacks). */
  triton: { urls: string[]; grpc?: string[] };
}

export function loadEndpoints(file = process.env.IPT_ENDPOINTS ?? endpointsFile(stackConfig())): Endpoints {
  if (!existsSync(file)) {
    throw new Error(`no stack endpoints at ${file}: start the local stack with \`npx ipt stack up\``);
  }
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Endpoints;
  if (!parsed.kafka?.brokers?.length || !parsed.registry?.url || !parsed.triton?.urls?.length) {
    throw new Error(
      `${file} lacks kafka.brokers, registry.url or triton.urls; run \`npx ipt stack up\` again`,
    );
  }
  return parsed;
}
