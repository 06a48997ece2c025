import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // One file at a time: the stack and the tests share a 2-core machine.
    fileParallelism: false,
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
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
