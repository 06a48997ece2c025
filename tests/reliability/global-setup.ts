import type { TestProject } from 'vitest/node';
import type { StackOverrides } from '../../stack/config.ts';
import { simArgs } from './params.ts';
import { startPrivateStack } from './private-stack.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The private stack's endpoints.json (for IPT_ENDPOINTS). */
    reliabilityEndpoints: string;
    /** Where the private stack lives, so a test can stop and start one of its components. */
    reliabilityStack: Required<StackOverrides>;
  }
}

const say = (line: string) => console.error(`[reliability stack] ${line}`);

/** One private stack for the whole suite, torn down after it — also when a test fails or times out. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await startPrivateStack(say, simArgs());
  project.provide('reliabilityEndpoints', stack.endpointsFile);
  project.provide('reliabilityStack', {
    stateDir: stack.cfg.stateDir,
    kafkaPort: stack.cfg.kafka.port,
    registryPort: stack.cfg.registry.port,
    tritonPort: stack.cfg.triton.httpPort,
    kafkaBrokers: stack.cfg.kafka.brokers,
  });
  // Children (ipt synth/assemble/ingest) inherit the environment: point them at this stack too.
  process.env.IPT_ENDPOINTS = stack.endpointsFile;
  return () => stack.down();
}
