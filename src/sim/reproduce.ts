import { typicalPodsOf } from '../scheduling/fgd-fragmentation.js';
import type { GpuNodeSpec } from '../scheduling/gpu-fleet.js';
import { GPU_POLICY_NAMES, type TieBreak } from '../scheduling/gpu-policies.js';
import { DEFAULT_SEEDS, type PodLike, runFgdMethodologySeeds, toRequest } from './fgd-methodology.js';

/**
 * Reproduces the FGD paper's comparison (Fig. 7, `openb_pod_list_default`): all six policies over
 * seeds 42–51 in the FGD methodology. `strata simulate` prints it beside the published figures.
 */

/** Unallocated GPU % at 100% arrived load, mean of seeds 42–51 (Weng et al., ATC'23, Fig. 7). */
export const PUBLISHED_DEFAULT_AT_100: Readonly<Record<string, number>> = {
  Random: 13.7,
  DotProd: 9.38,
  GpuClustering: 8.35,
  GpuPacking: 8.22,
  BestFit: 7.14,
  FGD: 4.77,
};

export interface ReproductionRow {
  readonly policy: string;
  readonly unallocatedGpuPctAt100: number;
  readonly unallocatedGpuPctAt130: number;
  readonly sd100: number;
  readonly sd130: number;
  /** Mean wall time of one run (one seed), ms; measured by the caller-supplied clock. */
  readonly msPerRun: number;
}

export interface ReproduceOptions {
  readonly nodes: readonly GpuNodeSpec[];
  readonly pods: readonly PodLike[];
  readonly policies?: readonly string[];
  readonly seeds?: readonly number[];
  readonly tieBreak?: TieBreak;
  /** Monotonic milliseconds, injected (the core never reads a clock). Defaults to a constant 0. */
  readonly now?: () => number;
}

export function reproducePolicies(options: ReproduceOptions): ReproductionRow[] {
  const policies = options.policies ?? GPU_POLICY_NAMES;
  const seeds = options.seeds ?? DEFAULT_SEEDS;
  const now = options.now ?? (() => 0);
  const typicalPods = typicalPodsOf(options.pods.map(toRequest));
  return policies.map((policy) => {
    const t0 = now();
    const s = runFgdMethodologySeeds({
      nodes: options.nodes,
      pods: options.pods,
      policy,
      seeds,
      typicalPods,
      tieBreak: options.tieBreak ?? 'first',
    });
    const elapsed = now() - t0;
    return {
      policy: s.policy,
      unallocatedGpuPctAt100: s.unallocatedGpuPctAt100,
      unallocatedGpuPctAt130: s.unallocatedGpuPctAt130,
      sd100: s.sd100,
      sd130: s.sd130,
      msPerRun: elapsed / seeds.length,
    };
  });
}
