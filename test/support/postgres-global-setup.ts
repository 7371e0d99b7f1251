import type { TestProject } from 'vitest/node';
import { type PostgresServer, startPostgresServer } from './postgres.js';

/**
 * Starts the run's one PostgreSQL server and hands its address to test files
 * (`testPostgres()`). When it cannot start (binaries missing), the files that
 * need it fail with the reason; the others still run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let server: PostgresServer | undefined;
  try {
    server = await startPostgresServer();
    project.provide('postgres', { available: true, ...server.info });
  } catch (error) {
    project.provide('postgres', { available: false, reason: (error as Error).message });
  }
  return async () => {
    await server?.destroy();
  };
}
