/**
 * Flat, typed-array fleet state for GPU placement: per node CPU / memory left, GPU model and the
 * free milli-GPU of every GPU, plus the aggregates the filters and scorers read in O(1) (fully free
 * GPUs, largest free fraction, total free milli-GPU, which GPU-request kinds already sit on the node).
 * Updated incrementally on every bind and release, never rebuilt per decision. Pure: no I/O, no clock.
 */

export const MILLI_PER_GPU = 1000;

export interface GpuNodeSpec {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryMib: number;
  readonly gpuCount: number;
  /** GPU model; empty for a CPU-only node. */
  readonly model: string;
}

export interface GpuPodRequest {
  readonly cpuMilli: number;
  readonly memoryMib: number;
  /** 0 = CPU only; 1 with gpuMilli < 1000 = share of one GPU; ≥ 1 with gpuMilli 1000 = whole GPUs. */
  readonly numGpu: number;
  readonly gpuMilli: number;
  /** Any-of list of GPU models; empty = any. */
  readonly models: readonly string[];
}

/** A pod request resolved against one fleet's model table, ready for the hot loop. */
export interface CompiledPod {
  readonly cpuMilli: number;
  readonly memoryMib: number;
  readonly numGpu: number;
  readonly gpuMilli: number;
  /** True when the pod names no model. */
  readonly anyModel: boolean;
  /** Bit i set = fleet model i is acceptable (only read when anyModel is false). */
  readonly modelMask: number;
  /** milli-GPU in total (numGpu × gpuMilli). */
  readonly totalGpuMilli: number;
  /** True for a fraction of one GPU. */
  readonly shared: boolean;
  /** Request kind as GpuClustering sees it: -1 none, 0 shared, k = k whole GPUs (capped at 9). */
  readonly affinityTag: number;
  /** Identifies (cpu, gpuMilli, numGpu): the fields fragmentation depends on. */
  readonly shapeKey: number;
  /**
   * Small dense index of shapeKey within the compiling fleet (0, 1, 2, … in order of first
   * compile): lets scorers cache per (shape, node) in flat typed arrays.
   */
  readonly shapeIndex: number;
}

export class OverCommitError extends Error {
  constructor(
    readonly node: string,
    readonly reason: string,
  ) {
    super(`bind on node ${node} would over-commit: ${reason}`);
    this.name = 'OverCommitError';
  }
}

const AFFINITY_SLOTS = 10;

export function affinityTagOf(numGpu: number, gpuMilli: number): number {
  if (numGpu === 0) return -1;
  if (numGpu === 1 && gpuMilli < MILLI_PER_GPU) return 0;
  return Math.min(numGpu, AFFINITY_SLOTS - 1);
}

export class GpuFleet {
  readonly size: number;
  readonly names: readonly string[];
  /** Model names; a node's modelId indexes this list (-1 for CPU-only nodes). */
  readonly models: readonly string[];
  readonly cpuCapacity: Int32Array;
  readonly cpuFree: Int32Array;
  readonly memFree: Float64Array;
  readonly gpuCount: Uint8Array;
  /** Index of node n's first GPU in gpuFree. */
  readonly gpuStart: Int32Array;
  /** Free milli-GPU per GPU, all nodes back to back. */
  readonly gpuFree: Int16Array;
  readonly modelId: Int8Array;
  readonly fullyFreeGpus: Uint8Array;
  readonly maxFreeMilli: Int16Array;
  readonly gpuFreeTotal: Int32Array;
  /** Pods per request kind per node (AFFINITY_SLOTS per node). */
  readonly affinityCount: Uint16Array;
  /** Number of distinct request kinds present on each node. */
  readonly affinityKinds: Uint8Array;
  /** Bumped on every bind and release on a node; lets scorers cache per-node results. */
  readonly version: Uint32Array;
  readonly gpuCapacityMilli: number;
  #gpuAllocatedMilli = 0;
  readonly #shapeIndices = new Map<number, number>();

  constructor(nodes: readonly GpuNodeSpec[]) {
    const n = nodes.length;
    this.size = n;
    this.names = nodes.map((x) => x.name);
    const models: string[] = [];
    this.cpuCapacity = new Int32Array(n);
    this.cpuFree = new Int32Array(n);
    this.memFree = new Float64Array(n);
    this.gpuCount = new Uint8Array(n);
    this.gpuStart = new Int32Array(n);
    this.modelId = new Int8Array(n);
    this.fullyFreeGpus = new Uint8Array(n);
    this.maxFreeMilli = new Int16Array(n);
    this.gpuFreeTotal = new Int32Array(n);
    this.affinityCount = new Uint16Array(n * AFFINITY_SLOTS);
    this.affinityKinds = new Uint8Array(n);
    this.version = new Uint32Array(n);
    let gpus = 0;
    for (let i = 0; i < n; i++) {
      const spec = nodes[i]!;
      if (spec.gpuCount > 255) throw new RangeError(`node ${spec.name}: more than 255 GPUs`);
      this.cpuCapacity[i] = spec.cpuMilli;
      this.cpuFree[i] = spec.cpuMilli;
      this.memFree[i] = spec.memoryMib;
      this.gpuCount[i] = spec.gpuCount;
      this.gpuStart[i] = gpus;
      gpus += spec.gpuCount;
      if (spec.gpuCount > 0) {
        let id = models.indexOf(spec.model);
        if (id < 0) {
          id = models.push(spec.model) - 1;
          if (id > 30) throw new RangeError('more than 31 GPU models in one fleet');
        }
        this.modelId[i] = id;
      } else {
        this.modelId[i] = -1;
      }
      this.fullyFreeGpus[i] = spec.gpuCount;
      this.maxFreeMilli[i] = spec.gpuCount > 0 ? MILLI_PER_GPU : 0;
      this.gpuFreeTotal[i] = spec.gpuCount * MILLI_PER_GPU;
    }
    this.models = models;
    this.gpuFree = new Int16Array(gpus).fill(MILLI_PER_GPU);
    this.gpuCapacityMilli = gpus * MILLI_PER_GPU;
  }

  get gpuAllocatedMilli(): number {
    return this.#gpuAllocatedMilli;
  }

  /** Number of distinct pod shapes compiled so far; every CompiledPod.shapeIndex is below it. */
  get shapeCount(): number {
    return this.#shapeIndices.size;
  }

  compile(pod: GpuPodRequest): CompiledPod {
    let mask = 0;
    for (const m of pod.models) {
      const id = this.models.indexOf(m);
      if (id >= 0) mask |= 1 << id;
    }
    const shared = pod.numGpu === 1 && pod.gpuMilli < MILLI_PER_GPU;
    const shapeKey = (pod.cpuMilli * 1001 + pod.gpuMilli) * 16 + Math.min(pod.numGpu, 15);
    let shapeIndex = this.#shapeIndices.get(shapeKey);
    if (shapeIndex === undefined) {
      shapeIndex = this.#shapeIndices.size;
      this.#shapeIndices.set(shapeKey, shapeIndex);
    }
    return {
      cpuMilli: pod.cpuMilli,
      memoryMib: pod.memoryMib,
      numGpu: pod.numGpu,
      gpuMilli: pod.numGpu === 0 ? 0 : pod.gpuMilli,
      anyModel: pod.models.length === 0,
      modelMask: mask,
      totalGpuMilli: pod.numGpu * pod.gpuMilli,
      shared,
      affinityTag: affinityTagOf(pod.numGpu, pod.gpuMilli),
      shapeKey,
      shapeIndex,
    };
  }

  /**
   * Books the pod on `node`, taking gpuMilli from each GPU index in `gpus` (indices local to the
   * node). Throws OverCommitError, leaving the state untouched, if any resource would go negative:
   * this is the invariant "no accelerator is ever booked twice".
   */
  bind(node: number, pod: CompiledPod, gpus: readonly number[]): void {
    this.#book(node, pod, gpus, 1);
  }

  /**
   * Returns what bind() took: the exact inverse of `bind(node, pod, gpus)`. Throws
   * OverCommitError, leaving the state untouched, when the release would give back more than the
   * node has (a double release or a release of something never bound).
   */
  release(node: number, pod: CompiledPod, gpus: readonly number[]): void {
    this.#book(node, pod, gpus, -1);
  }

  /** Takes the pod's resources (direction 1) or gives them back (-1); checks everything first. */
  #book(node: number, pod: CompiledPod, gpus: readonly number[], direction: 1 | -1): void {
    const name = this.names[node] ?? `#${node}`;
    const taking = direction === 1;
    if (taking) {
      if (this.cpuFree[node]! < pod.cpuMilli) throw new OverCommitError(name, 'cpu');
      if (this.memFree[node]! < pod.memoryMib) throw new OverCommitError(name, 'memory');
    } else if (this.cpuFree[node]! + pod.cpuMilli > this.cpuCapacity[node]!) {
      throw new OverCommitError(name, 'cpu released beyond capacity');
    }
    if (gpus.length !== pod.numGpu) {
      throw new OverCommitError(
        name,
        `pod ${taking ? 'needs' : 'holds'} ${pod.numGpu} GPUs, ${gpus.length} given`,
      );
    }
    const count = this.gpuCount[node]!;
    const start = this.gpuStart[node]!;
    for (let k = 0; k < gpus.length; k++) {
      const g = gpus[k]!;
      if (!Number.isInteger(g) || g < 0 || g >= count) throw new OverCommitError(name, `no GPU ${g}`);
      if (gpus.indexOf(g) !== k) throw new OverCommitError(name, `GPU ${g} given twice`);
      const after = this.gpuFree[start + g]! - direction * pod.gpuMilli;
      if (after < 0) throw new OverCommitError(name, `GPU ${g} lacks milli-GPU`);
      if (after > MILLI_PER_GPU) throw new OverCommitError(name, `GPU ${g} released beyond capacity`);
    }
    const slot = node * AFFINITY_SLOTS + pod.affinityTag;
    if (!taking && pod.affinityTag >= 0 && this.affinityCount[slot] === 0)
      throw new OverCommitError(name, 'no pod of this request kind is bound here');
    this.cpuFree[node]! -= direction * pod.cpuMilli;
    this.memFree[node]! -= direction * pod.memoryMib;
    for (const g of gpus) this.gpuFree[start + g]! -= direction * pod.gpuMilli;
    this.#gpuAllocatedMilli += direction * pod.totalGpuMilli;
    if (pod.affinityTag >= 0) {
      if (taking && this.affinityCount[slot] === 0) this.affinityKinds[node]!++;
      this.affinityCount[slot]! += direction;
      if (!taking && this.affinityCount[slot] === 0) this.affinityKinds[node]!--;
    }
    this.#refreshGpuAggregates(node);
    this.version[node]!++;
  }

  hasAffinity(node: number, tag: number): boolean {
    return this.affinityCount[node * AFFINITY_SLOTS + tag]! > 0;
  }

  /** Free milli-GPU of each GPU on the node (a copy). */
  gpuFreeOf(node: number): number[] {
    const start = this.gpuStart[node]!;
    return Array.from(this.gpuFree.subarray(start, start + this.gpuCount[node]!));
  }

  #refreshGpuAggregates(node: number): void {
    const start = this.gpuStart[node]!;
    const end = start + this.gpuCount[node]!;
    let full = 0;
    let max = 0;
    let total = 0;
    for (let i = start; i < end; i++) {
      const free = this.gpuFree[i]!;
      if (free === MILLI_PER_GPU) full++;
      if (free > max) max = free;
      total += free;
    }
    this.fullyFreeGpus[node] = full;
    this.maxFreeMilli[node] = max;
    this.gpuFreeTotal[node] = total;
  }
}
