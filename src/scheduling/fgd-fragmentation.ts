import type { GpuFleet } from './gpu-fleet.js';

/**
 * GPU fragmentation as defined by FGD (Weng et al., "Beware of Fragmentation", USENIX ATC'23) and
 * implemented in hkust-adsl/kubernetes-scheduler-simulator (`utils.NodeGpuShareFragAmountScore`).
 *
 * A node's fragmentation is the expected amount of its free milli-GPU that a pod drawn from the
 * typical-pod distribution could NOT use: for each typical pod t with frequency p_t,
 *  - t fits (model accessible, enough CPU, enough GPUs with ≥ t.gpuMilli free): only the free
 *    milli-GPU on GPUs too small for t counts (the simulator's "Q3 satisfied, partly Q2");
 *  - otherwise (CPU-only t, wrong model, lacks CPU or GPU): all free milli-GPU counts.
 * Memory is not part of the measure, exactly as in the reference simulator.
 */

export interface TypicalPod {
  readonly cpuMilli: number;
  readonly gpuMilli: number;
  readonly numGpu: number;
  /** Any-of model list; empty = any. */
  readonly models: readonly string[];
  /** Probability in the distribution (sums to 1 over the list). */
  readonly freq: number;
}

export interface TypicalPodSource {
  readonly cpuMilli: number;
  readonly numGpu: number;
  readonly gpuMilli: number;
  readonly models: readonly string[];
}

export interface TypicalPodOptions {
  /** Keep the most frequent shapes until they cover this share of pods (simulator default 0.95). */
  readonly popularityThreshold?: number;
  /** Count CPU-only pods in the distribution (simulator default true). */
  readonly includeCpuPods?: boolean;
}

/**
 * The typical-pod distribution of a pod list, as `utils.GetTypicalPods` builds it with the
 * experiment defaults (isInvolvedCpuPods true, podPopularityThreshold 95, podIncreaseStep 1,
 * gpuResWeight 0): shapes (cpu, gpuMilli, numGpu, model list) by decreasing count, ties broken by
 * larger cpu, gpuMilli, numGpu, model string first; cut once the kept shapes cover the threshold;
 * frequencies renormalised over the kept shapes.
 */
export function typicalPodsOf(
  pods: readonly TypicalPodSource[],
  options: TypicalPodOptions = {},
): TypicalPod[] {
  const includeCpu = options.includeCpuPods ?? true;
  const tally = new ShapeTally();
  for (const p of pods) if (includeCpu || p.numGpu > 0) tally.add(p);
  return tally.distribution(options.popularityThreshold ?? 0.95);
}

/** Counts of request shapes, turned into a typical-pod distribution by typicalPodsOf's rules. */
export class ShapeTally {
  readonly #counts = new Map<string, { pod: Omit<TypicalPod, 'freq'>; spec: string; count: number }>();
  #total = 0;

  /** Pods counted so far. */
  get total(): number {
    return this.#total;
  }

  add(p: TypicalPodSource): void {
    const gpuMilli = p.numGpu === 0 ? 0 : p.gpuMilli;
    const spec = p.models.join('|');
    const key = `${p.cpuMilli}/${gpuMilli}/${p.numGpu}/${spec}`;
    const entry = this.#counts.get(key);
    if (entry) entry.count++;
    else
      this.#counts.set(key, {
        pod: { cpuMilli: p.cpuMilli, gpuMilli, numGpu: p.numGpu, models: [...p.models] },
        spec,
        count: 1,
      });
    this.#total++;
  }

  /** Shapes by decreasing count (ties as typicalPodsOf says), cut at `threshold` of the pods. */
  distribution(threshold: number): TypicalPod[] {
    if (this.#total === 0) return [];
    const sorted = [...this.#counts.values()].sort(
      (a, b) =>
        b.count - a.count ||
        b.pod.cpuMilli - a.pod.cpuMilli ||
        b.pod.gpuMilli - a.pod.gpuMilli ||
        b.pod.numGpu - a.pod.numGpu ||
        (a.spec < b.spec ? 1 : a.spec > b.spec ? -1 : 0),
    );
    const kept: typeof sorted = [];
    let covered = 0;
    for (const entry of sorted) {
      if (covered >= threshold * this.#total) break;
      kept.push(entry);
      covered += entry.count;
    }
    return kept.map((e) => ({ ...e.pod, models: [...e.pod.models], freq: e.count / covered }));
  }
}

export interface FragmentationOptions {
  /**
   * Strata's extension (0 = FGD's measure, the default): FGD asks whether one copy of a typical
   * pod fits and counts the free milli-GPU on GPUs too small for it. It does not see that the
   * node's free CPU may feed fewer copies than its free GPUs could hold, leaving the rest of those
   * GPUs idle. This weight adds that CPU-stranded GPU, ⌈usable − ⌊cpuLeft / cpu⌋ · GPUs per pod⌉⁺,
   * to the typical pod's fragment.
   */
  readonly cpuStrandingWeight?: number;
}

/** Evaluates node fragmentation against one typical-pod distribution, for one fleet's model table. */
export class FragmentationMeter {
  readonly #fleet: GpuFleet;
  /** Σ p_t over CPU-only typical pods: they see all free milli-GPU as fragment. */
  readonly #cpuOnlyFreq: number;
  readonly #cpu: Float64Array;
  readonly #milli: Float64Array;
  readonly #num: Float64Array;
  readonly #freq: Float64Array;
  /** Per typical pod: -1 = any model, else bit mask over fleet models (0 = no fleet model fits). */
  readonly #mask: Int32Array;
  /** Distinct gpuMilli values among the typical GPU pods; #level[i] indexes it for typical pod i. */
  readonly #levels: Float64Array;
  readonly #level: Int32Array;
  /** Scratch per level: GPUs with ≥ that much free, and free milli-GPU on the other GPUs. */
  readonly #usable: Int32Array;
  readonly #small: Float64Array;

  /** Share of CPU-stranded GPU counted as fragment (0 = FGD's measure). */
  readonly #strandingWeight: number;

  constructor(fleet: GpuFleet, typical: readonly TypicalPod[], options: FragmentationOptions = {}) {
    this.#fleet = fleet;
    this.#strandingWeight = options.cpuStrandingWeight ?? 0;
    if (!(this.#strandingWeight >= 0 && this.#strandingWeight <= 1))
      throw new RangeError('cpuStrandingWeight must lie in [0, 1]');
    const gpuPods = typical.filter((t) => t.numGpu > 0 && t.gpuMilli > 0);
    this.#cpuOnlyFreq = typical
      .filter((t) => !(t.numGpu > 0 && t.gpuMilli > 0))
      .reduce((s, t) => s + t.freq, 0);
    const n = gpuPods.length;
    this.#cpu = new Float64Array(n);
    this.#milli = new Float64Array(n);
    this.#num = new Float64Array(n);
    this.#freq = new Float64Array(n);
    this.#mask = new Int32Array(n);
    gpuPods.forEach((t, i) => {
      this.#cpu[i] = t.cpuMilli;
      this.#milli[i] = t.gpuMilli;
      this.#num[i] = t.numGpu;
      this.#freq[i] = t.freq;
      let mask = t.models.length === 0 ? -1 : 0;
      for (const m of t.models) {
        const id = fleet.models.indexOf(m);
        if (id >= 0) mask |= 1 << id;
      }
      this.#mask[i] = mask;
    });
    const levels = [...new Set(gpuPods.map((t) => t.gpuMilli))];
    this.#levels = Float64Array.from(levels);
    this.#level = Int32Array.from(gpuPods, (t) => levels.indexOf(t.gpuMilli));
    this.#usable = new Int32Array(levels.length);
    this.#small = new Float64Array(levels.length);
  }

  /** Fragmentation (expected unusable milli-GPU) of `node` in its current GPU state, with `cpuLeft` free CPU. */
  nodeFragmentation(node: number, cpuLeft: number): number {
    const fleet = this.#fleet;
    const start = fleet.gpuStart[node]!;
    const end = start + fleet.gpuCount[node]!;
    const free = fleet.gpuFree;
    let total = 0;
    for (let g = start; g < end; g++) total += free[g]!;
    if (total === 0) return 0;
    const model = fleet.modelId[node]!;
    const bit = model < 0 ? 0 : 1 << model;
    // usable / small depend only on the typical pod's gpuMilli: count them once per distinct
    // value (integers, so exact), then sum over typical pods in their order as before.
    const levels = this.#levels;
    const usableAt = this.#usable;
    const smallAt = this.#small;
    for (let l = 0; l < levels.length; l++) {
      const milli = levels[l]!;
      let usable = 0;
      let small = 0;
      for (let g = start; g < end; g++) {
        const f = free[g]!;
        if (f >= milli) usable++;
        else small += f;
      }
      usableAt[l] = usable;
      smallAt[l] = small;
    }
    let frag = this.#cpuOnlyFreq * total;
    const n = this.#freq.length;
    const weight = this.#strandingWeight;
    for (let i = 0; i < n; i++) {
      const p = this.#freq[i]!;
      const mask = this.#mask[i]!;
      const cpu = this.#cpu[i]!;
      if ((mask & bit) === 0 || cpuLeft < cpu) {
        frag += p * total;
        continue;
      }
      const l = this.#level[i]!;
      const num = this.#num[i]!;
      if (usableAt[l]! < num) {
        frag += p * total;
        continue;
      }
      frag += p * smallAt[l]!;
      if (weight > 0 && cpu > 0) {
        // GPU this pod could use but that the CPU left cannot feed: copies of it fit only
        // ⌊cpuLeft / cpu⌋ times, the rest of the usable GPU stays idle
        const fed = Math.floor(cpuLeft / cpu) * num * this.#milli[i]!;
        const stranded = total - smallAt[l]! - fed;
        if (stranded > 0) frag += weight * p * stranded;
      }
    }
    return frag;
  }

  /** Fragmentation summed over every node of the fleet. */
  fleetFragmentation(): number {
    let sum = 0;
    for (let n = 0; n < this.#fleet.size; n++) sum += this.nodeFragmentation(n, this.#fleet.cpuFree[n]!);
    return sum;
  }
}
