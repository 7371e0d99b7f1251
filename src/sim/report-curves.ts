import type { FgdPolicyOutcome } from './fgd-experiment.js';

/**
 * `curves-<trace>.csv`: one row per point of the arrived-load grid, one column per policy with its
 * allocation % (mean over seeds). Header: `arrived_load_pct,<policy>,…`.
 */
export function renderCurvesCsv(gridPct: Float64Array, outcomes: readonly FgdPolicyOutcome[]): string {
  for (const o of outcomes) {
    if (o.allocatedPct.length !== gridPct.length)
      throw new RangeError(`${o.policy}: curve has ${o.allocatedPct.length} points, grid ${gridPct.length}`);
  }
  const lines = [['arrived_load_pct', ...outcomes.map((o) => o.policy)].join(',')];
  for (let g = 0; g < gridPct.length; g++) {
    lines.push(
      [formatNumber(gridPct[g]!), ...outcomes.map((o) => formatNumber(o.allocatedPct[g]!))].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** At most 4 decimals, trailing zeros dropped: `100`, `97.125`. */
function formatNumber(value: number): string {
  return String(Math.round(value * 10_000) / 10_000);
}
