import { defineConfig } from 'vitest/config';

// The reliability suite (npm run test:reliability[:ci]): chaos and fuzz runs on a private stack of
// their own. Kept out of vitest.config.ts so `npm test` does not run it unless it is wired in on purpose.
export default defineConfig({
  test: {
    include: ['tests/reliability/**/*.test.ts'],
    fileParallelism: false,
    globalSetup: ['tests/reliability/global-setup.ts'],
    setupFiles: ['tests/log-setup.ts'],
    env: { KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    // Minutes, not seconds: a chaos run is one long test.
    testTimeout: 45 * 60_000,
    hookTimeout: 5 * 60_000,
    teardownTimeout: 120_000,
  },
});
