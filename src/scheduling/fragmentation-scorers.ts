/**
 * FGD's and Strata's node scores as live score plugins (issue 4: "Strata's own default policy").
 *
 * - `fgd`: ⌊100 · sigmoid(−growth / 1000)⌋, growth being how much the node's fragmentation
 *   (FragmentationMeter, fgd-fragmentation.ts) grows when the pod lands there — as fgdPolicy; a
 *   fraction takes the first GPU of best integer score, as fgdPolicy.
 * - `strata`: the same with Strata's CPU-stranding term (CPU_STRANDING_WEIGHT), a fraction taking
 *   the GPU of least growth, as strataPolicy.
 * - `strata-packing`: strataPolicy's tie rules as a score smaller than one point, so they only
 *   settle equal integer scores: a CPU-only pod loses free milli-GPU / 10⁶ (≤ 0.255: fewest free
 *   GPUs wins), a GPU pod loses 0.5 on a pristine node (no GPU in use); the engine's scans visit
 *   nodes in index order and keep the first of equal totals, which is strata's last rule.
 *
 * The distribution comes from a TypicalPodTracker; with an empty one the pod being placed is the
 * only typical shape. Growth is measured with the GPUs the engine will bind:
 * - the cycle's choice when a filter made one for this node (topology, NUMA, GPUs that do not
 *   all qualify);
 * - else, whole GPUs: the engine's default choice, the lowest-indexed fully free GPUs;
 * - else, a fraction: the simulator policy's GPU (above), which the profile hands the engine
 *   through `fractionalGpu` so that it binds that GPU instead of its best fit (no filter chose, so
 *   every GPU qualifies and any GPU with room is a valid choice).
 * MIG pods score 0 here: they do not touch the milli-GPU measured.
 *
 * Unbounded (the engine scans the signature's eligible nodes). Without a filter's choice the score
 * comes from the simulator policies' own cache (FragmentationScores: per (shape, node), valid while
 * the node's GpuFleet version holds), rebuilt when the tracker's epoch (or the fallback shape)
 * changes; a filter's choice (rare: topology, NUMA) is evaluated uncached. score() writes the GPUs
 * it evaluates into fleet.gpuFree and restores them before returning.
 */
import { FragmentationMeter, type TypicalPod } from './fgd-fragmentation.js';
import {
  FGD_SCORING,
  FragmentationScores,
  type FragmentationScoring,
  STRATA_SCORING,
} from './fragmentation-scores.js';
import type { CompiledPod, GpuFleet } from './gpu-fleet.js';
import type { CycleState } from './placement-filters.js';
import type { ScorePlugin } from './placement-scorers.js';
import { CPU_STRANDING_WEIGHT } from './strata-policy.js';
import type { TypicalPodTracker } from './typical-pod-tracker.js';

export class FragmentationScorer implements ScorePlugin {
  readonly weight = 1;
  readonly #tracker: TypicalPodTracker;
  readonly #strandingWeight: number;
  readonly #scoring: FragmentationScoring;
  #fleet: GpuFleet | null = null;
  #meter: FragmentationMeter | null = null;
  #scores: FragmentationScores | null = null;
  /** The tracker epoch the meter was built for, or `fallback:<shapeKey>` while the tracker is empty. */
  #token = '';

  constructor(
    readonly name: string,
    tracker: TypicalPodTracker,
    strandingWeight: number,
    scoring: FragmentationScoring,
  ) {
    this.#tracker = tracker;
    this.#strandingWeight = strandingWeight;
    this.#scoring = scoring;
  }

  score(c: CycleState, i: number): number {
    const pod = c.pod;
    if (pod.gpuKind === 'mig') return 0;
    const fleet = c.snapshot.fleet;
    const compiled = pod.compiled;
    this.#ensure(fleet, compiled);
    if (c.choiceNode !== i || pod.gpuKind === 'none') {
      const scores = this.#scores!;
      scores.select(compiled);
      return scores.score(i, compiled);
    }
    // a filter chose the GPUs (topology, NUMA, not every GPU qualifies): score that choice
    const meter = this.#meter!;
    const cpuFree = fleet.cpuFree[i]!;
    const before = meter.nodeFragmentation(i, cpuFree);
    const start = fleet.gpuStart[i]!;
    const free = fleet.gpuFree;
    const gpus = c.choice.gpus;
    for (const g of gpus) free[start + g]! -= compiled.gpuMilli;
    let after: number;
    try {
      after = meter.nodeFragmentation(i, cpuFree - compiled.cpuMilli);
    } finally {
      for (const g of gpus) free[start + g]! += compiled.gpuMilli;
    }
    return this.#scoring.score(after - before);
  }

  /**
   * For a fractional pod with no GPU choice made by a filter on node i: the GPU (local index) the
   * simulator policy gives it, the one score() evaluated; -1 when the engine should choose.
   */
  fractionalGpu(c: CycleState, i: number): number {
    const pod = c.pod;
    if (pod.gpuKind !== 'milli' || !pod.compiled.shared || c.choiceNode === i) return -1;
    this.score(c, i);
    return this.#scores!.gpu(i);
  }

  /** Binds the cache to this fleet and the meter to the current distribution. */
  #ensure(fleet: GpuFleet, pod: CompiledPod): void {
    const tracker = this.#tracker;
    let typical: readonly TypicalPod[] = tracker.distribution;
    let token = `epoch:${tracker.epoch}`;
    if (typical.length === 0) {
      token = `fallback:${pod.shapeKey}`;
      typical = [{ cpuMilli: pod.cpuMilli, gpuMilli: pod.gpuMilli, numGpu: pod.numGpu, models: [], freq: 1 }];
    }
    if (fleet === this.#fleet && token === this.#token) return;
    this.#fleet = fleet;
    this.#token = token;
    this.#meter = new FragmentationMeter(fleet, typical, { cpuStrandingWeight: this.#strandingWeight });
    this.#scores = new FragmentationScores(fleet, this.#meter, this.#scoring);
  }
}

/** Strata's tie rules (see the module comment); always within (−1, 0]. */
export const strataPackingScorer: ScorePlugin = {
  name: 'strata-packing',
  weight: 1,
  score: (c, i) => {
    const f = c.snapshot.fleet;
    switch (c.pod.gpuKind) {
      case 'none': {
        const free = f.gpuFreeTotal[i]!;
        return free === 0 ? 0 : -free / 1_000_000;
      }
      case 'mig':
        return 0;
      default:
        return f.fullyFreeGpus[i] === f.gpuCount[i] ? -0.5 : 0;
    }
  },
};

/** FGD's scorer (FGD's own measure, no CPU stranding). */
export function fgdScorer(tracker: TypicalPodTracker): FragmentationScorer {
  return new FragmentationScorer('fgd', tracker, 0, FGD_SCORING);
}

/** Strata's fragmentation scorer (with CPU_STRANDING_WEIGHT); pair it with strataPackingScorer. */
export function strataScorer(tracker: TypicalPodTracker): FragmentationScorer {
  return new FragmentationScorer('strata', tracker, CPU_STRANDING_WEIGHT, STRATA_SCORING);
}
