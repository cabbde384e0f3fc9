import { defineConfig } from 'vitest/config';
import { testClockEnv } from './test/helpers/test-time.js';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // One throw-away PostgreSQL server for the whole run (or DATABASE_URL when set).
    globalSetup: ['test/helpers/global-setup.ts'],
    // Every property test on the run's printed seed (FC_SEED; test/helpers/seed.ts).
    setupFiles: ['test/helpers/fast-check-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Every test, and every CLI it spawns with process.env, runs on the fixed test date (test/helpers/test-time.ts).
    env: testClockEnv(),
  },
});
