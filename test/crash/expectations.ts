import { expect } from 'vitest';
import type { CrashReport } from './harness.js';

/** STRATA_CRASH_KILLS selects the full run (the issue asks for at least 50); `short` in CI. */
export function crashKills(short: number): number {
  const raw = process.env.STRATA_CRASH_KILLS;
  if (raw === undefined || raw === '') return short;
  const kills = Number(raw);
  if (!Number.isInteger(kills) || kills < 1)
    throw new Error(`STRATA_CRASH_KILLS=${raw}: must be a whole number ≥ 1`);
  return kills;
}

/** STRATA_CRASH_SEED replays a run's plan (kill moments and requests); fixed by default so CI is repeatable. */
export function crashSeed(): number {
  const raw = process.env.STRATA_CRASH_SEED;
  return raw === undefined || raw === '' ? 1 : Number(raw);
}

/** What every crash run must show: all kills survived, the load real, nothing lost, nothing wrong. */
export function expectSurvived(report: CrashReport, kills: number): void {
  expect(report.problems, `seed ${report.seed}; data kept in ${report.dataDir}`).toEqual([]);
  expect(report.losses).toBe(0);
  expect(report.kills).toBe(kills);
  expect(report.ok).toBe(true);
  // The run proves something only if writes were acknowledged and crashes landed among them.
  expect(report.acknowledgedWrites).toBeGreaterThan(kills * 10);
  expect(report.killsMidWrite).toBeGreaterThan(0);
}
