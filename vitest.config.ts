import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Two test files at a time even on a 2-core machine (vitest's default there is one): most
    // integration files wait on Kafka, Triton or a child process rather than compute, and each uses
    // topics, ports and processes of its own, so two side by side share the stack without meeting.
    maxWorkers: Math.min(4, Math.max(2, availableParallelism() - 1)),
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts', 'tests/e2e/**/*.test.ts'],
          // These tests share one real local stack; bring it up once (idempotent) before any file runs.
          globalSetup: ['tests/global-setup.ts'],
          setupFiles: ['tests/log-setup.ts'],
          // kafkajs prints a v2 migration notice for every producer made without a partitioner.
          env: { KAFKAJS_NO_PARTITIONER_WARNING: '1' },
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
