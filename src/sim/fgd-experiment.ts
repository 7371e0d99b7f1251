import { typicalPodsOf } from '../scheduling/fgd-fragmentation.js';
import type { GpuNodeSpec } from '../scheduling/gpu-fleet.js';
import type { TieBreak } from '../scheduling/gpu-policies.js';
import { type PodLike, runFgdMethodologySeeds, toRequest } from './fgd-methodology.js';

/**
 * The `strata simulate` experiment in the FGD methodology: every pod list × policy × seed, each run
 * reduced at once to its two figures and its allocation curve on a common grid of arrived load, so
 * that runs over many seeds need not keep every per-pod series. Pure: progress leaves through a
 * callback, and the seed fixes every random choice.
 */

export interface FgdTrace {
  /** Shown in the table and used in file names, e.g. `openb_pod_list_default`. */
  readonly name: string;
  readonly pods: readonly PodLike[];
}

export interface FgdRunStep {
  /** 1-based position among all runs of the experiment. */
  readonly index: number;
  readonly total: number;
  readonly trace: string;
  readonly policy: string;
  readonly seed: number;
}

export interface FgdExperimentOptions {
  readonly nodes: readonly GpuNodeSpec[];
  readonly traces: readonly FgdTrace[];
  readonly policies: readonly string[];
  readonly seeds: readonly number[];
  /** Arrived GPU request at which each run stops, × capacity (default 1.3). */
  readonly loadCeiling?: number;
  /** Spacing of the arrived-load grid of the curves, in % of capacity (default 1). */
  readonly gridStepPct?: number;
  readonly tieBreak?: TieBreak;
  /** Called before each run (one pod list, one policy, one seed). */
  readonly onRunStart?: (step: FgdRunStep) => void;
}

export interface FgdPolicyOutcome {
  readonly trace: string;
  readonly policy: string;
  readonly seeds: readonly number[];
  /** Mean over seeds of 100 − allocation % when arrived load first reaches 100% of capacity. */
  readonly unallocatedGpuPctAt100: number;
  /** The same at the end of the run (130% arrived). */
  readonly unallocatedGpuPctAt130: number;
  readonly sd100: number;
  readonly sd130: number;
  /** Mean over seeds of allocation % at each point of the experiment's grid. */
  readonly allocatedPct: Float64Array;
}

export interface FgdExperimentResult {
  /** Arrived load, % of GPU capacity: 0, step, 2·step, … up to the ceiling. */
  readonly gridPct: Float64Array;
  /** In trace order, then policy order. */
  readonly outcomes: readonly FgdPolicyOutcome[];
}

/** Tolerates the rounding of 100·milli ÷ capacity when a run stops exactly on a grid point. */
const EPSILON = 1e-9;

export function arrivedLoadGrid(ceilingPct: number, stepPct: number): Float64Array {
  if (!(stepPct > 0)) throw new RangeError(`grid step must be positive, got ${stepPct}`);
  const points = Math.floor(ceilingPct / stepPct + EPSILON) + 1;
  return Float64Array.from({ length: points }, (_, i) => i * stepPct);
}

/**
 * A run's allocation at each grid point: the value recorded after the first pod whose arrival
 * brought the load to that point (the rule behind the at-100% figure); 0 before any pod arrives.
 * `arrivedPct` is non-decreasing, so one merge pass suffices: O(pods + grid).
 */
export function sampleOnGrid(
  arrivedPct: Float64Array,
  valuePct: Float64Array,
  gridPct: Float64Array,
): Float64Array {
  const out = new Float64Array(gridPct.length);
  const last = arrivedPct.length - 1;
  let i = 0;
  for (let g = 0; g < gridPct.length; g++) {
    const point = gridPct[g]!;
    if (point <= 0 || last < 0) continue;
    while (i < last && arrivedPct[i]! < point - EPSILON) i++;
    out[g] = valuePct[i]!;
  }
  return out;
}

export function runFgdExperiment(options: FgdExperimentOptions): FgdExperimentResult {
  const ceiling = options.loadCeiling ?? 1.3;
  const gridPct = arrivedLoadGrid(100 * ceiling, options.gridStepPct ?? 1);
  const total = options.traces.length * options.policies.length * options.seeds.length;
  const outcomes: FgdPolicyOutcome[] = [];
  let index = 0;
  for (const trace of options.traces) {
    // Computed once per pod list: every policy and seed measures fragmentation against it.
    const typicalPods = typicalPodsOf(trace.pods.map(toRequest));
    for (const policy of options.policies) {
      const summary = runFgdMethodologySeeds({
        nodes: options.nodes,
        pods: trace.pods,
        policy,
        seeds: options.seeds,
        loadCeiling: ceiling,
        typicalPods,
        tieBreak: options.tieBreak ?? 'first',
        onSeedStart: (seed) =>
          options.onRunStart?.({ index: ++index, total, trace: trace.name, policy, seed }),
      });
      const curveSum = new Float64Array(gridPct.length);
      for (const run of summary.runs) {
        const curve = sampleOnGrid(run.arrivedPct, run.allocatedPct, gridPct);
        for (let g = 0; g < curve.length; g++) curveSum[g] = curveSum[g]! + curve[g]!;
      }
      outcomes.push({
        trace: trace.name,
        policy: summary.policy,
        seeds: options.seeds,
        unallocatedGpuPctAt100: summary.unallocatedGpuPctAt100,
        unallocatedGpuPctAt130: summary.unallocatedGpuPctAt130,
        sd100: summary.sd100,
        sd130: summary.sd130,
        allocatedPct: curveSum.map((v) => v / options.seeds.length),
      });
    }
  }
  return { gridPct, outcomes };
}
