import type { FgdPolicyOutcome } from './fgd-experiment.js';
import { PUBLISHED_DEFAULT_AT_100 } from './reproduce.js';

/** The pod list the published anchor (Weng et al., ATC'23, Fig. 7) was measured on. */
export const PUBLISHED_TRACE = 'openb_pod_list_default';

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
