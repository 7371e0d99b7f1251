import type { FgdPolicyOutcome } from './fgd-experiment.js';
import { formatSeedList } from './seeds.js';
import { renderLineChart } from './svg-chart.js';

/**
 * `allocation-<trace>.svg`: allocation % against arrived load % per policy (mean over seeds), the
 * FGD paper's Fig. 7 view. A dashed diagonal marks the ceiling (nothing can be allocated that has
 * not arrived) and a dashed vertical marks 100% arrived, where the headline figure is read. The view
 * starts at 50% on both axes: below that every policy places every pod and the curves coincide.
 */

const VIEW_MIN_PCT = 50;

export function allocationChartSvg(
  trace: string,
  gridPct: Float64Array,
  outcomes: readonly FgdPolicyOutcome[],
): string {
  const maxX = gridPct.length > 0 ? gridPct[gridPct.length - 1]! : 100;
  const seeds = outcomes[0]?.seeds ?? [];
  return renderLineChart({
    title: `GPU allocation vs arrived load: ${trace}`,
    subtitle: `FGD methodology, mean over seeds ${formatSeedList(seeds)} (${seeds.length} run${seeds.length === 1 ? '' : 's'} per policy)`,
    x: {
      label: 'Arrived GPU request (% of cluster GPU capacity)',
      min: VIEW_MIN_PCT,
      max: Math.max(VIEW_MIN_PCT + 10, Math.ceil(maxX / 10) * 10),
      step: 10,
    },
    y: { label: 'Allocated GPU (% of capacity)', min: VIEW_MIN_PCT, max: 100, step: 5 },
    series: outcomes.map((o) => ({
      name: o.policy,
      legend: `${o.policy}: ${o.unallocatedGpuPctAt100.toFixed(2)}% unallocated at 100%`,
      points: Array.from(gridPct, (x, g) => [x, o.allocatedPct[g]!] as const).filter(
        ([x]) => x >= VIEW_MIN_PCT,
      ),
    })),
    // Below the plateau and right of the diagonal: no curve can be there.
    legendAt: 'bottom-right',
    guides: [
      { from: [VIEW_MIN_PCT, VIEW_MIN_PCT], to: [100, 100] },
      { from: [100, VIEW_MIN_PCT], to: [100, 100], label: '100% arrived' },
    ],
  });
}
