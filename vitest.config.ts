import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Integration tests share one real local stack; bring it up once (idempotent) before any test file.
    globalSetup: ['tests/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Files that talk to the stack run one at a time, so a 2-core machine does not time out under load.
    fileParallelism: false,
  },
});
