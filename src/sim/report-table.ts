import type { FgdPolicyOutcome } from './fgd-experiment.js';

/** The pod list the published anchor (Weng et al., ATC'23, Fig. 7) was measured on. */
export const PUBLISHED_TRACE = 'openb_pod_list_default';

/** Unallocated GPU % at 100% arrived load, mean of seeds 42–51 (Weng et al., ATC'23, Fig. 7). */
export const PUBLISHED_DEFAULT_AT_100: Readonly<Record<string, number>> = {
  Random: 13.7,
  DotProd: 9.38,
  GpuClustering: 8.35,
  GpuPacking: 8.22,
  BestFit: 7.14,
  FGD: 4.77,
};

export const SUMMARY_TABLE_HEADERS = [
  'Trace',
  'Policy',
  'Seeds',
  'Unalloc GPU % @100',
  'Published @100',
  'Unalloc GPU % @130',
] as const;

/** `7.21 ± 0.35` */
export function meanSd(mean: number, sd: number): string {
  return `${mean.toFixed(2)} ± ${sd.toFixed(2)}`;
}

/** The published figure for this trace and policy, if the paper reports one. */
export function publishedAt100(trace: string, policy: string): number | undefined {
  return trace === PUBLISHED_TRACE ? PUBLISHED_DEFAULT_AT_100[policy] : undefined;
}

/** Rows for `renderTable`: per trace and policy, our mean ± sd beside the published figure. */
export function summaryTableRows(outcomes: readonly FgdPolicyOutcome[]): string[][] {
  return outcomes.map((o) => {
    const published = publishedAt100(o.trace, o.policy);
    return [
      o.trace,
      o.policy,
      String(o.seeds.length),
      meanSd(o.unallocatedGpuPctAt100, o.sd100),
      published === undefined ? '-' : published.toFixed(2),
      meanSd(o.unallocatedGpuPctAt130, o.sd130),
    ];
  });
}

/**
 * One line per pod list run with both FGD and Strata's policy: how many points of GPU capacity
 * Strata leaves unallocated compared with FGD, at 100% and 130% arrived load.
 */
export function strataVersusFgdLines(outcomes: readonly FgdPolicyOutcome[]): string[] {
  const lines: string[] = [];
  for (const strata of outcomes.filter((o) => o.policy === 'strata')) {
    const fgd = outcomes.find((o) => o.trace === strata.trace && o.policy === 'FGD');
    if (!fgd) continue;
    const d100 = strata.unallocatedGpuPctAt100 - fgd.unallocatedGpuPctAt100;
    const d130 = strata.unallocatedGpuPctAt130 - fgd.unallocatedGpuPctAt130;
    const verdict = d100 < 0 ? 'fewer' : 'MORE';
    lines.push(
      `${strata.trace}: strata leaves ${Math.abs(d100).toFixed(2)} points ${verdict} GPU unallocated than FGD @100 (${signed(d100)}), ${signed(d130)} @130`,
    );
  }
  return lines;
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;
}
