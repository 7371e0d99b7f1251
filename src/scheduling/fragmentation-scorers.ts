/**
 * FGD's and Strata's node scores as live score plugins (issue 4: "Strata's own default policy").
 *
 * - `fgd`: ⌊100 · sigmoid(−growth / 1000)⌋, growth being how much the node's fragmentation
 *   (FragmentationMeter, fgd-fragmentation.ts) grows when the pod lands there — as fgdPolicy.
 * - `strata`: the same with Strata's CPU-stranding term (CPU_STRANDING_WEIGHT), as strataPolicy.
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
 * - else, a fraction: as strataPolicy, the GPU whose use grows fragmentation least (lowest index on
 *   ties), which the profile hands the engine through `fractionalGpu` so that it binds that GPU
 *   instead of its best fit (every GPU qualifies there, so any GPU with room is a valid choice).
 * MIG pods score 0 here: they do not touch the milli-GPU measured.
 *
 * Unbounded (the engine scans the signature's eligible nodes); per (shape, node) the score is
 * cached under the node's GpuFleet version, as strataPolicy does, and per node the fragmentation
 * before placing; both caches are dropped when the tracker's epoch (or the fallback shape) changes.
 * score() writes the GPUs it evaluates into fleet.gpuFree and restores them before returning.
 */
import { FragmentationMeter, type TypicalPod } from './fgd-fragmentation.js';
import type { CompiledPod, GpuFleet } from './gpu-fleet.js';
import { MILLI_PER_GPU } from './gpu-fleet.js';
import type { CycleState } from './placement-filters.js';
import type { ScorePlugin } from './placement-scorers.js';
import { CPU_STRANDING_WEIGHT } from './strata-policy.js';
import type { TypicalPodTracker } from './typical-pod-tracker.js';

const SCORE_SCALE = 1000;
const MAX_SCORE = 100;
const STALE = 0xffffffff;

/** strataPolicy's and fgdPolicy's mapping of fragmentation growth to 0–100. */
export function growthScore(growth: number): number {
  return Math.floor(MAX_SCORE / (1 + Math.exp(growth / SCORE_SCALE)));
}

export class FragmentationScorer implements ScorePlugin {
  readonly weight = 1;
  readonly #tracker: TypicalPodTracker;
  readonly #strandingWeight: number;
  #fleet: GpuFleet | null = null;
  #meter: FragmentationMeter | null = null;
  /** The tracker epoch the meter was built for, or `fallback:<shapeKey>` while the tracker is empty. */
  #token = '';
  #before = new Float64Array(0);
  #beforeVersion = new Uint32Array(0);
  #shapeCapacity = 0;
  #cacheScore = new Int8Array(0);
  #cacheGpu = new Int16Array(0);
  #cacheVersion = new Uint32Array(0);
  readonly #gpus: number[] = [];

  constructor(
    readonly name: string,
    tracker: TypicalPodTracker,
    strandingWeight: number,
  ) {
    this.#tracker = tracker;
    this.#strandingWeight = strandingWeight;
  }

  score(c: CycleState, i: number): number {
    const pod = c.pod;
    if (pod.gpuKind === 'mig') return 0;
    const fleet = c.snapshot.fleet;
    const compiled = pod.compiled;
    this.#ensure(fleet, compiled);
    const size = fleet.size;
    const fromCycle = c.choiceNode === i && pod.gpuKind !== 'none';
    const v = fleet.version[i]!;
    let slot = -1;
    if (!fromCycle) {
      this.#reserveShape(compiled.shapeIndex, size);
      slot = compiled.shapeIndex * size + i;
      if (this.#cacheVersion[slot] === v) return this.#cacheScore[slot]!;
    }
    const meter = this.#meter!;
    if (this.#beforeVersion[i] !== v) {
      this.#beforeVersion[i] = v;
      this.#before[i] = meter.nodeFragmentation(i, fleet.cpuFree[i]!);
    }
    const before = this.#before[i]!;
    const cpuAfter = fleet.cpuFree[i]! - compiled.cpuMilli;
    const start = fleet.gpuStart[i]!;
    const free = fleet.gpuFree;
    if (!fromCycle && compiled.shared) {
      // strataPolicy's choice within the node: least growth, lowest index on ties
      let best = Number.POSITIVE_INFINITY;
      let bestGpu = -1;
      const count = fleet.gpuCount[i]!;
      for (let g = 0; g < count; g++) {
        const f = free[start + g]!;
        if (f < compiled.gpuMilli) continue;
        let duplicate = false;
        for (let h = 0; h < g && !duplicate; h++) duplicate = free[start + h] === f;
        if (duplicate) continue; // same free amount ⇒ same growth; the lower index stands for both
        free[start + g] = f - compiled.gpuMilli;
        let growth: number;
        try {
          growth = meter.nodeFragmentation(i, cpuAfter) - before;
        } finally {
          free[start + g] = f;
        }
        if (growth < best) {
          best = growth;
          bestGpu = g;
        }
      }
      const s = bestGpu < 0 ? 0 : growthScore(best);
      this.#cacheScore[slot] = s;
      this.#cacheGpu[slot] = bestGpu;
      this.#cacheVersion[slot] = v;
      return s;
    }
    const gpus = this.#gpus;
    gpus.length = 0;
    if (fromCycle) for (const g of c.choice.gpus) gpus.push(g);
    else if (compiled.numGpu > 0) exclusiveGpus(fleet, i, compiled.numGpu, gpus);
    for (const g of gpus) free[start + g]! -= compiled.gpuMilli;
    let after: number;
    try {
      after = meter.nodeFragmentation(i, cpuAfter);
    } finally {
      for (const g of gpus) free[start + g]! += compiled.gpuMilli;
    }
    const s = growthScore(after - before);
    if (slot >= 0) {
      this.#cacheScore[slot] = s;
      this.#cacheGpu[slot] = -1;
      this.#cacheVersion[slot] = v;
    }
    return s;
  }

  /**
   * For a fractional pod with no GPU choice made by a filter on node i: the GPU (local index) whose
   * use grows fragmentation least, the one score() evaluated; -1 when the engine should choose.
   */
  fractionalGpu(c: CycleState, i: number): number {
    const pod = c.pod;
    if (pod.gpuKind !== 'milli' || !pod.compiled.shared || c.choiceNode === i) return -1;
    this.score(c, i);
    return this.#cacheGpu[pod.compiled.shapeIndex * c.snapshot.fleet.size + i]!;
  }

  /** Binds the caches to this fleet and the meter to the current distribution. */
  #ensure(fleet: GpuFleet, pod: CompiledPod): void {
    if (fleet !== this.#fleet) {
      this.#fleet = fleet;
      this.#before = new Float64Array(fleet.size);
      this.#beforeVersion = new Uint32Array(fleet.size).fill(STALE);
      this.#shapeCapacity = 0;
      this.#cacheScore = new Int8Array(0);
      this.#cacheGpu = new Int16Array(0);
      this.#cacheVersion = new Uint32Array(0);
      this.#token = '';
    }
    const tracker = this.#tracker;
    let typical: readonly TypicalPod[] = tracker.distribution;
    let token = `epoch:${tracker.epoch}`;
    if (typical.length === 0) {
      token = `fallback:${pod.shapeKey}`;
      if (token === this.#token) return;
      typical = [{ cpuMilli: pod.cpuMilli, gpuMilli: pod.gpuMilli, numGpu: pod.numGpu, models: [], freq: 1 }];
    } else if (token === this.#token) return;
    this.#token = token;
    this.#meter = new FragmentationMeter(fleet, typical, { cpuStrandingWeight: this.#strandingWeight });
    this.#beforeVersion.fill(STALE);
    this.#cacheVersion.fill(STALE);
  }

  #reserveShape(shapeIndex: number, size: number): void {
    if (shapeIndex < this.#shapeCapacity) return;
    const capacity = Math.max(shapeIndex + 1, this.#shapeCapacity * 2, 16);
    const score = new Int8Array(capacity * size);
    score.set(this.#cacheScore);
    const gpu = new Int16Array(capacity * size);
    gpu.set(this.#cacheGpu);
    const version = new Uint32Array(capacity * size).fill(STALE);
    version.set(this.#cacheVersion);
    this.#cacheScore = score;
    this.#cacheGpu = gpu;
    this.#cacheVersion = version;
    this.#shapeCapacity = capacity;
  }
}

/** The engine's default whole-GPU choice (every GPU qualifying): the lowest-indexed fully free GPUs. */
function exclusiveGpus(fleet: GpuFleet, i: number, count: number, out: number[]): void {
  const start = fleet.gpuStart[i]!;
  const n = fleet.gpuCount[i]!;
  const free = fleet.gpuFree;
  for (let g = 0; g < n && out.length < count; g++) if (free[start + g] === MILLI_PER_GPU) out.push(g);
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
  return new FragmentationScorer('fgd', tracker, 0);
}

/** Strata's fragmentation scorer (with CPU_STRANDING_WEIGHT); pair it with strataPackingScorer. */
export function strataScorer(tracker: TypicalPodTracker): FragmentationScorer {
  return new FragmentationScorer('strata', tracker, CPU_STRANDING_WEIGHT);
}
