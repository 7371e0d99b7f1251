/**
 * Score plugins and the placement profile (issue 4 item 2 and 5). A scorer rates a node that passed
 * every filter; the profile sums weight × score. The policy name picks the main scorer:
 * - BestFit: the paper's BestFitScore (least CPU + GPU left after placing), reused as is from
 *   gpu-policies.ts, with an upper bound so the engine can walk the capacity grid best-first;
 * - DotProd, GpuPacking, GpuClustering: the existing GpuPolicy NodeScore functions through
 *   `fromGpuNodeScore` (no bound: the engine scans every statically eligible node);
 * - strata (Strata's own policy): fragmentation growth against the typical-pod distribution the
 *   profile's TypicalPodTracker learns from the engine's binds, with its packing tie rules
 *   (fragmentation-scorers.ts); unbounded;
 * - FGD: fragmentation growth by FGD's own measure, without Strata's changes; unbounded.
 * Every profile adds the preference scorers: NVLink preferred (+10 when all GPUs share a domain),
 * PreferNoSchedule taints (−10 each), MIG packing (up to +10 on a GPU with more slices in use).
 *
 * Contract: `score` reads the snapshot and the cycle's GPU choice (made for this node when
 * `cycle.choiceNode === node`), never mutates either. `bound(cpuLeftMin, gpuLeftMin)`, when present,
 * must be ≥ the score of every feasible node whose free CPU and free milli-GPU after placing are at
 * least those amounts: the engine prunes grid cells whose summed bound is below its top candidates.
 */

import { fgdScorer, strataPackingScorer, strataScorer } from './fragmentation-scorers.js';
import type { CompiledPod, GpuFleet } from './gpu-fleet.js';
import { bestFitScore, dotProductScore, gpuClusteringScore, gpuPackingScore } from './gpu-policies.js';
import type { CycleState } from './placement-filters.js';
import type { PreparedPod } from './prepared-pod.js';
import { TypicalPodTracker } from './typical-pod-tracker.js';

export interface ScorePlugin {
  readonly name: string;
  readonly weight: number;
  score(cycle: CycleState, node: number): number;
  bound?(pod: PreparedPod, cpuLeftMin: number, gpuLeftMin: number): number;
  /** True when bound() ignores the amounts left (the engine then evaluates it once per decision). */
  readonly boundIsConstant?: boolean;
}

/** The simulator's NodeScore shape (gpu-policies.ts), e.g. bestFitScore. */
export type GpuNodeScore = (fleet: GpuFleet, node: number, pod: CompiledPod) => number;

/** Plugs an existing GpuPolicy scorer in as a ScorePlugin (unbounded: full scan). */
export function fromGpuNodeScore(name: string, fn: GpuNodeScore, weight = 1): ScorePlugin {
  return { name, weight, score: (c, i) => fn(c.snapshot.fleet, i, c.pod.compiled) };
}

// open-gpu-share utils/const.go, as in gpu-policies.ts
const MAX_SPEC_CPU = 128_000;
const MAX_SPEC_GPU = 8_000;

export const bestFitScorer: ScorePlugin = {
  ...fromGpuNodeScore('best-fit', bestFitScore),
  bound: (_pod, cpuLeftMin, gpuLeftMin) => {
    // bestFitScore is trunc(x) of a value x that can only fall as more is left; trunc is monotone,
    // so trunc of the best case bounds it (and lets equal-scoring nodes be pruned).
    return Math.trunc(100 * (1 - 0.5 * (cpuLeftMin / MAX_SPEC_CPU) - 0.5 * (gpuLeftMin / MAX_SPEC_GPU)));
  },
};

export const NVLINK_BONUS = 10;
export const nvlinkPreferenceScorer: ScorePlugin = {
  name: 'nvlink-preferred',
  weight: 1,
  score: (c, i) => (c.pod.nvlinkPreferred && c.choiceNode === i && c.choice.nvlinkShared ? NVLINK_BONUS : 0),
  bound: (pod) => (pod.nvlinkPreferred ? NVLINK_BONUS : 0),
  boundIsConstant: true,
};

export const TAINT_PENALTY = 10;
export const taintPreferenceScorer: ScorePlugin = {
  name: 'prefer-no-schedule',
  weight: 1,
  score: (c, i) => {
    const untolerated = c.pod.sig.penalty[i]!;
    return untolerated === 0 ? 0 : -TAINT_PENALTY * untolerated; // never -0: records are JSON
  },
  bound: () => 0,
  boundIsConstant: true,
};

export const MIG_PACKING_MAX = 10;
export const migPackingScorer: ScorePlugin = {
  name: 'mig-packing',
  weight: 1,
  score: (c, i) =>
    c.pod.gpuKind === 'mig' && c.choiceNode === i ? (MIG_PACKING_MAX * c.choice.migUsedSlices) / 8 : 0,
  bound: (pod) => (pod.gpuKind === 'mig' ? MIG_PACKING_MAX : 0),
  boundIsConstant: true,
};

export const PLACEMENT_POLICIES = [
  'BestFit',
  'DotProd',
  'GpuPacking',
  'GpuClustering',
  'FGD',
  'strata',
] as const;
export type PlacementPolicyName = (typeof PLACEMENT_POLICIES)[number];

export interface PlacementProfile {
  readonly policy: string;
  readonly scorers: readonly ScorePlugin[];
  /** How many best candidates a decision record keeps (with their score breakdown). */
  readonly topK: number;
  /** FGD and strata: the typical-pod distribution; the engine records every pod it binds or restores. */
  readonly typicalPods?: TypicalPodTracker;
  /**
   * FGD and strata: the GPU (local index) a fractional pod takes on `node` when no filter made a
   * GPU choice there (every GPU qualifies), or -1 to keep the engine's best fit.
   */
  readonly fractionalGpu?: (cycle: CycleState, node: number) => number;
}

export interface PlacementProfileOptions {
  readonly topK?: number;
  /** FGD and strata: the tracker to use (e.g. seeded from a trace); default a fresh, empty one. */
  readonly typicalPods?: TypicalPodTracker;
}

export class UnknownPlacementPolicyError extends Error {
  constructor(readonly policy: string) {
    super(`unknown placement policy '${policy}'; valid: ${PLACEMENT_POLICIES.join(', ')}`);
    this.name = 'UnknownPlacementPolicyError';
  }
}

export function placementProfile(policy: string, options: PlacementProfileOptions = {}): PlacementProfile {
  let main: ScorePlugin;
  const extra: ScorePlugin[] = [];
  let typicalPods: TypicalPodTracker | undefined;
  let fractionalGpu: ((cycle: CycleState, node: number) => number) | undefined;
  switch (policy) {
    case 'BestFit':
      main = bestFitScorer;
      break;
    case 'DotProd':
      main = fromGpuNodeScore('dot-product', dotProductScore);
      break;
    case 'GpuPacking':
      main = fromGpuNodeScore('gpu-packing', gpuPackingScore);
      break;
    case 'GpuClustering':
      main = fromGpuNodeScore('gpu-clustering', gpuClusteringScore);
      break;
    case 'FGD': {
      typicalPods = options.typicalPods ?? new TypicalPodTracker();
      const scorer = fgdScorer(typicalPods);
      main = scorer;
      fractionalGpu = (c, i) => scorer.fractionalGpu(c, i);
      break;
    }
    case 'strata': {
      typicalPods = options.typicalPods ?? new TypicalPodTracker();
      const scorer = strataScorer(typicalPods);
      main = scorer;
      fractionalGpu = (c, i) => scorer.fractionalGpu(c, i);
      extra.push(strataPackingScorer);
      break;
    }
    default:
      throw new UnknownPlacementPolicyError(policy);
  }
  return {
    policy,
    scorers: [main, ...extra, nvlinkPreferenceScorer, taintPreferenceScorer, migPackingScorer],
    topK: options.topK ?? 3,
    ...(typicalPods ? { typicalPods } : {}),
    ...(fractionalGpu ? { fractionalGpu } : {}),
  };
}

/**
 * The profile's summed weighted bound for one pod, or undefined when some scorer is unbounded.
 * Constant bounds are summed once per pod; the per-node call evaluates only the others.
 */
export function profileBound(
  profile: PlacementProfile,
  pod: PreparedPod,
): ((cpuLeftMin: number, gpuLeftMin: number) => number) | undefined {
  const scorers = profile.scorers;
  if (!scorers.every((s) => s.bound !== undefined)) return undefined;
  let constant = 0;
  const variable: ScorePlugin[] = [];
  for (const s of scorers) {
    if (s.boundIsConstant) constant += s.weight * s.bound!(pod, 0, 0);
    else variable.push(s);
  }
  if (variable.length === 1) {
    const only = variable[0]!;
    const w = only.weight;
    return (c, g) => constant + w * only.bound!(pod, c, g);
  }
  return (c, g) => {
    let sum = constant;
    for (const s of variable) sum += s.weight * s.bound!(pod, c, g);
    return sum;
  };
}

/** True when every scorer of the profile has a bound (the engine can walk the capacity grid). */
export function isBounded(profile: PlacementProfile): boolean {
  return profile.scorers.every((s) => s.bound !== undefined);
}
