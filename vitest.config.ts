import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One throwaway PostgreSQL server for the run (test/support/postgres.ts).
    globalSetup: ['test/support/postgres-global-setup.ts'],
  },
});
