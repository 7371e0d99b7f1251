/**
 * Crash safety on the embedded store: `strata up` is SIGKILLed at random
 * moments under load and restarted on the same SQLite file; nothing it
 * acknowledged may be lost. Short in CI; STRATA_CRASH_KILLS=50 (or
 * `npm run bench:crash`) for the full run.
 */
import { describe, it } from 'vitest';
import { crashKills, crashSeed, expectSurvived } from './expectations.js';
import { reportLine, runCrashHarness, sqliteTarget } from './harness.js';

const KILLS = crashKills(6);

describe('crash safety (SQLite)', () => {
  it(
    `loses no acknowledged write across ${KILLS} SIGKILLs under load`,
    async () => {
      const report = await runCrashHarness({ target: sqliteTarget(), kills: KILLS, seed: crashSeed() });
      console.log(reportLine(report));
      expectSurvived(report, KILLS);
    },
    60_000 + KILLS * 5_000,
  );
});
