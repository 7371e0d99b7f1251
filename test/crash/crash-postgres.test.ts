/**
 * Crash safety on PostgreSQL, two ways:
 * - `strata up` SIGKILLed at random moments under load and restarted on the
 *   same database (the run's shared server; a database of its own);
 * - the PostgreSQL server itself restarted under a control plane that keeps
 *   running (a private server, alternating a clean `fast` shutdown and an
 *   `immediate` one that replays its WAL): clients see errors during the
 *   outage, never wrong data, and the control plane reconnects by itself.
 *
 * Without a PostgreSQL server these tests fail with the reason; they never
 * skip. STRATA_CRASH_KILLS and STRATA_CRASH_RESTARTS select longer runs.
 */
import { describe, expect, it } from 'vitest';
import { createTestDatabase, startPostgresServer, testPostgres } from '../support/postgres.js';
import { crashKills, crashSeed, expectSurvived } from './expectations.js';
import { postgresTarget, reportLine, runCrashHarness } from './harness.js';

const KILLS = crashKills(6);
const RESTARTS = Number(process.env.STRATA_CRASH_RESTARTS || 3);

describe('crash safety (PostgreSQL)', () => {
  it(
    `loses no acknowledged write across ${KILLS} SIGKILLs of strata under load`,
    async () => {
      const database = await createTestDatabase(testPostgres().adminUrl);
      try {
        const report = await runCrashHarness({
          target: postgresTarget(database.url),
          kills: KILLS,
          seed: crashSeed(),
        });
        console.log(reportLine(report));
        expectSurvived(report, KILLS);
      } finally {
        await database.drop();
      }
    },
    60_000 + KILLS * 5_000,
  );

  it(
    `rides out ${RESTARTS} PostgreSQL restarts under load without a restart of strata`,
    async () => {
      // A private server: restarting the run's shared one would break the files running beside this one.
      const server = await startPostgresServer();
      try {
        const database = await createTestDatabase(server.info.adminUrl);
        let restarts = 0;
        const report = await runCrashHarness({
          target: postgresTarget(database.url, () =>
            server.restart(restarts++ % 2 === 0 ? 'fast' : 'immediate'),
          ),
          mode: 'restart-store',
          kills: RESTARTS,
          seed: crashSeed(),
        });
        console.log(reportLine(report));
        expectSurvived(report, RESTARTS);
        // The outages were real: clients were refused (503 or a dropped connection) during them.
        const refused = Object.entries(report.failures)
          .filter(([cause]) => !cause.includes('404'))
          .reduce((n, [, count]) => n + count, 0);
        expect(refused).toBeGreaterThan(0);
        expect(report.maxRecoveryMs).toBeDefined();
      } finally {
        await server.destroy();
      }
    },
    60_000 + RESTARTS * 10_000,
  );
});
