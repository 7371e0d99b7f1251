import { Rng } from '../runtime/rng.js';
import { FragmentationMeter, type TypicalPod, typicalPodsOf } from '../scheduling/fgd-fragmentation.js';
import { type CompiledPod, GpuFleet, type GpuNodeSpec, type GpuPodRequest } from '../scheduling/gpu-fleet.js';
import { createGpuPolicy, type TieBreak } from '../scheduling/gpu-policies.js';

/**
 * The FGD-methodology replay (issue 4 item 5; Weng et al., USENIX ATC'23 §6): GPU nodes only;
 * pods drawn uniformly with replacement from the pod list in an order fixed by the seed, until the
 * arrived GPU request reaches `loadCeiling` × the fleet's GPU capacity; one placement attempt per
 * pod, a failure is not retried, nothing departs. After every pod the allocation ratio is recorded.
 * Pure: the trace comes in as data, the seed fixes every random choice.
 */

export interface FgdRunOptions {
  readonly nodes: readonly GpuNodeSpec[];
  readonly pods: readonly PodLike[];
  readonly policy: string;
  readonly seed: number;
  /** Arrived GPU request at which to stop, as a multiple of capacity (default 1.3). */
  readonly loadCeiling?: number;
  /** Defaults to the pod list's own request distribution (typicalPodsOf). */
  readonly typicalPods?: readonly TypicalPod[];
  /** Equal top scores: 'first' node (default; reproduces the published figures) or 'random'. */
  readonly tieBreak?: TieBreak;
}

/** Both the loader's TracePod (gpuSpec) and a GpuPodRequest (models) are accepted. */
export type PodLike = Omit<GpuPodRequest, 'models'> &
  ({ models: readonly string[] } | { gpuSpec: readonly string[] });

export interface FgdRunResult {
  readonly policy: string;
  readonly seed: number;
  /** Arrived GPU request after each pod, % of capacity. */
  readonly arrivedPct: Float64Array;
  /** Allocated milli-GPU ÷ capacity after each pod, %. */
  readonly allocatedPct: Float64Array;
  /**
   * Fleet fragmentation (FGD's measure: expected free milli-GPU a typical pod could not use,
   * summed over nodes) ÷ capacity after each pod, %.
   */
  readonly fragmentationPct: Float64Array;
  readonly unallocatedGpuPctAt100: number;
  readonly unallocatedGpuPctAt130: number;
  readonly podsArrived: number;
  readonly podsPlaced: number;
  readonly podsFailed: number;
}

export function toRequest(pod: PodLike): GpuPodRequest {
  return {
    cpuMilli: pod.cpuMilli,
    memoryMib: pod.memoryMib,
    numGpu: pod.numGpu,
    gpuMilli: pod.gpuMilli,
    models: 'models' in pod ? pod.models : pod.gpuSpec,
  };
}

export function runFgdMethodology(options: FgdRunOptions): FgdRunResult {
  const ceiling = options.loadCeiling ?? 1.3;
  const gpuNodes = options.nodes.filter((n) => n.gpuCount > 0);
  if (gpuNodes.length === 0) throw new Error('the node list has no GPU node');
  if (options.pods.length === 0) throw new Error('the pod list is empty');
  const requests = options.pods.map(toRequest);
  if (!requests.some((r) => r.numGpu > 0))
    throw new Error('the pod list has no GPU pod; arrived load never grows');
  const typical = options.typicalPods ?? typicalPodsOf(requests);
  const fleet = new GpuFleet(gpuNodes);
  const compiled: CompiledPod[] = requests.map((r) => fleet.compile(r));
  const sampler = new Rng(options.seed);
  // Forked first, so that every policy sees the same pod order for the same seed.
  const policy = createGpuPolicy(options.policy, {
    fleet,
    rng: sampler.fork(),
    typicalPods: typical,
    tieBreak: options.tieBreak ?? 'first',
  });

  const capacity = fleet.gpuCapacityMilli;
  const target = ceiling * capacity;
  const arrived: number[] = [];
  const allocated: number[] = [];
  const fragmentation: number[] = [];
  // Kept incrementally: a bind changes one node, so only that node's fragmentation is recomputed.
  const meter = new FragmentationMeter(fleet, typical);
  const nodeFrag = new Float64Array(fleet.size);
  let fragMilli = 0;
  for (let n = 0; n < fleet.size; n++) {
    nodeFrag[n] = meter.nodeFragmentation(n, fleet.cpuFree[n]!);
    fragMilli += nodeFrag[n]!;
  }
  let arrivedMilli = 0;
  let placed = 0;
  let failed = 0;
  let at100 = Number.NaN;
  while (arrivedMilli < target) {
    const pod = compiled[Math.floor(sampler.next() * compiled.length)]!;
    arrivedMilli += pod.totalGpuMilli;
    const placement = policy.place(pod);
    if (placement) {
      fleet.bind(placement.node, pod, placement.gpus);
      const n = placement.node;
      const f = meter.nodeFragmentation(n, fleet.cpuFree[n]!);
      fragMilli += f - nodeFrag[n]!;
      nodeFrag[n] = f;
      placed++;
    } else {
      failed++;
    }
    const allocPct = (100 * fleet.gpuAllocatedMilli) / capacity;
    arrived.push((100 * arrivedMilli) / capacity);
    allocated.push(allocPct);
    fragmentation.push((100 * fragMilli) / capacity);
    if (Number.isNaN(at100) && arrivedMilli >= capacity) at100 = 100 - allocPct;
  }
  return {
    policy: policy.name,
    seed: options.seed,
    arrivedPct: Float64Array.from(arrived),
    allocatedPct: Float64Array.from(allocated),
    fragmentationPct: Float64Array.from(fragmentation),
    unallocatedGpuPctAt100: at100,
    unallocatedGpuPctAt130: 100 - allocated[allocated.length - 1]!,
    podsArrived: arrived.length,
    podsPlaced: placed,
    podsFailed: failed,
  };
}

export interface SeedSummary {
  readonly policy: string;
  readonly seeds: readonly number[];
  readonly unallocatedGpuPctAt100: number;
  readonly unallocatedGpuPctAt130: number;
  readonly sd100: number;
  readonly sd130: number;
  readonly runs: readonly FgdRunResult[];
}

/** Sample mean and sample standard deviation (n − 1); sd is 0 for a single value. */
export function meanAndSd(values: readonly number[]): { mean: number; sd: number } {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n < 2) return { mean, sd: 0 };
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  return { mean, sd: Math.sqrt(variance) };
}

export const DEFAULT_SEEDS: readonly number[] = [42, 43, 44, 45, 46, 47, 48, 49, 50, 51];

/** One policy over several seeds (default 42–51): mean and sd of the two figures. */
export function runFgdMethodologySeeds(
  options: Omit<FgdRunOptions, 'seed'> & {
    readonly seeds?: readonly number[];
    /** Called before each seed's run, for progress reports. */
    readonly onSeedStart?: (seed: number) => void;
  },
): SeedSummary {
  const { seeds = DEFAULT_SEEDS, onSeedStart, ...run } = options;
  const typicalPods = run.typicalPods ?? typicalPodsOf(run.pods.map(toRequest));
  const runs = seeds.map((seed) => {
    onSeedStart?.(seed);
    return runFgdMethodology({ ...run, typicalPods, seed });
  });
  const a = meanAndSd(runs.map((r) => r.unallocatedGpuPctAt100));
  const b = meanAndSd(runs.map((r) => r.unallocatedGpuPctAt130));
  return {
    policy: runs[0]?.policy ?? options.policy,
    seeds,
    unallocatedGpuPctAt100: a.mean,
    unallocatedGpuPctAt130: b.mean,
    sd100: a.sd,
    sd130: b.sd,
    runs,
  };
}
