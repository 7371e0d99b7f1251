import type { FgdPolicyOutcome } from './fgd-experiment.js';

/** One line of `summary.json` (issue 4 item 5): one pod list × one policy over its seeds. */
export interface SummaryRecord {
  readonly trace: string;
  readonly policy: string;
  readonly seeds: readonly number[];
  readonly unallocatedGpuPctAt100: number;
  readonly unallocatedGpuPctAt130: number;
  readonly sd100: number;
  readonly sd130: number;
}

/**
 * Figures are rounded to 4 decimals (1/10,000 of a percent point, far below the seed-to-seed
 * spread) so the file diffs cleanly; the rounding is deterministic, so the same seeds still give
 * a byte-identical file.
 */
function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

export function summaryRecords(outcomes: readonly FgdPolicyOutcome[]): SummaryRecord[] {
  return outcomes.map((o) => ({
    trace: o.trace,
    policy: o.policy,
    seeds: [...o.seeds],
    unallocatedGpuPctAt100: round4(o.unallocatedGpuPctAt100),
    unallocatedGpuPctAt130: round4(o.unallocatedGpuPctAt130),
    sd100: round4(o.sd100),
    sd130: round4(o.sd130),
  }));
}

export function renderSummaryJson(records: readonly SummaryRecord[]): string {
  return `${JSON.stringify(records, null, 2)}\n`;
}
