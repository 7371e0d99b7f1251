import type { FragmentationMeter } from './fgd-fragmentation.js';
import { type CompiledPod, type GpuFleet, MILLI_PER_GPU } from './gpu-fleet.js';

/** How a fragmentation-driven policy turns growth into scores (FGD and Strata differ here). */
export interface FragmentationScoring {
  /** The node's score from the fragmentation growth of placing the pod there (higher is better). */
  readonly score: (growth: number) => number;
  /** Which fitting GPU a shared pod takes: the highest key, the lowest index on equal keys. */
  readonly gpuKey: (growth: number) => number;
}

const SCORE_SCALE = 1000;
const MAX_SCORE = 100;

/** Strata's mapping of fragmentation growth to 0–100. */
function strataGrowthScore(growth: number): number {
  return Math.floor(MAX_SCORE / (1 + Math.exp(growth / SCORE_SCALE)));
}

/** FGD's mapping, ⌊100 · sigmoid(−growth / 1000)⌋ (the same value, computed as FGD writes it). */
function fgdGrowthScore(growth: number): number {
  return Math.floor((1 / (1 + Math.exp(growth / SCORE_SCALE))) * MAX_SCORE);
}

/** Strata: the score above; a shared pod takes the GPU whose use grows fragmentation least. */
export const STRATA_SCORING: FragmentationScoring = { score: strataGrowthScore, gpuKey: (growth) => -growth };
/** FGD: a shared pod takes the GPU with the best score (lowest index among equal scores). */
export const FGD_SCORING: FragmentationScoring = { score: fgdGrowthScore, gpuKey: fgdGrowthScore };

const STALE = 0xffffffff;

/**
 * Scores of placing a pod on a node by fragmentation growth, cached per (pod shape, node).
 *
 * A node's result depends only on its own state and the pod's (cpu, gpuMilli, numGpu), so it is
 * kept in flat tables at shapeIndex × size + node and is valid while the node's version is the
 * one it was computed at: a bind or release invalidates one node by the version bump alone, which
 * keeps a decision near a plain fit scan instead of |nodes| × |GPUs| × |typical pods|.
 */
export class FragmentationScores {
  readonly #fleet: GpuFleet;
  readonly #meter: FragmentationMeter;
  readonly #scoring: FragmentationScoring;
  readonly #size: number;
  /** Fragmentation of each node as it stands, valid while #currentVersion matches its version. */
  readonly #current: Float64Array;
  readonly #currentVersion: Uint32Array;
  #shapes = 0;
  #score = new Float64Array(0);
  #gpu = new Int16Array(0);
  #version = new Uint32Array(0);
  #base = 0;

  constructor(fleet: GpuFleet, meter: FragmentationMeter, scoring: FragmentationScoring) {
    this.#fleet = fleet;
    this.#meter = meter;
    this.#scoring = scoring;
    this.#size = fleet.size;
    this.#current = new Float64Array(fleet.size);
    this.#currentVersion = new Uint32Array(fleet.size).fill(STALE);
  }

  /** Points the tables at the pod's shape, growing them on a shape not seen before. */
  select(pod: CompiledPod): void {
    const shape = pod.shapeIndex;
    if (shape >= this.#shapes) {
      const shapes = Math.max(shape + 1, this.#shapes * 2, 16);
      const cells = shapes * this.#size;
      const score = new Float64Array(cells);
      score.set(this.#score);
      const gpu = new Int16Array(cells);
      gpu.set(this.#gpu);
      const version = new Uint32Array(cells).fill(STALE);
      version.set(this.#version);
      this.#score = score;
      this.#gpu = gpu;
      this.#version = version;
      this.#shapes = shapes;
    }
    this.#base = shape * this.#size;
  }

  /** The score of the selected pod on `node`. */
  score(node: number, pod: CompiledPod): number {
    const slot = this.#base + node;
    const v = this.#fleet.version[node]!;
    if (this.#version[slot] !== v) {
      this.#evaluate(node, pod, slot);
      this.#version[slot] = v;
    }
    return this.#score[slot]!;
  }

  /** The GPU a shared pod takes on `node` (read after score() for that node). */
  gpu(node: number): number {
    return this.#gpu[this.#base + node]!;
  }

  #evaluate(node: number, pod: CompiledPod, slot: number): void {
    const fleet = this.#fleet;
    const meter = this.#meter;
    const v = fleet.version[node]!;
    if (this.#currentVersion[node] !== v) {
      this.#currentVersion[node] = v;
      this.#current[node] = meter.nodeFragmentation(node, fleet.cpuFree[node]!);
    }
    const base = this.#current[node]!;
    const start = fleet.gpuStart[node]!;
    const count = fleet.gpuCount[node]!;
    const cpuAfter = fleet.cpuFree[node]! - pod.cpuMilli;
    const free = fleet.gpuFree;
    if (pod.shared) {
      let bestKey = Number.NEGATIVE_INFINITY;
      let bestGrowth = 0;
      let bestGpu = -1;
      for (let g = 0; g < count; g++) {
        const f = free[start + g]!;
        if (f < pod.gpuMilli) continue;
        let duplicate = false;
        for (let h = 0; h < g; h++) if (free[start + h] === f) duplicate = true;
        if (duplicate) continue; // same free amount ⇒ same growth; the lower index stands for both
        free[start + g] = f - pod.gpuMilli;
        const growth = meter.nodeFragmentation(node, cpuAfter) - base;
        free[start + g] = f;
        const key = this.#scoring.gpuKey(growth);
        if (bestGpu < 0 || key > bestKey) {
          bestKey = key;
          bestGrowth = growth;
          bestGpu = g;
        }
      }
      this.#score[slot] = this.#scoring.score(bestGrowth);
      this.#gpu[slot] = bestGpu;
      return;
    }
    // whole GPUs: the lowest-indexed fully free ones, as the policies allocate them
    const taken: number[] = [];
    for (let g = 0; g < count && taken.length < pod.numGpu; g++) {
      if (free[start + g] === MILLI_PER_GPU) taken.push(g);
    }
    for (const g of taken) free[start + g] = 0;
    const after = meter.nodeFragmentation(node, cpuAfter);
    for (const g of taken) free[start + g] = MILLI_PER_GPU;
    this.#score[slot] = this.#scoring.score(after - base);
    this.#gpu[slot] = -1;
  }
}
