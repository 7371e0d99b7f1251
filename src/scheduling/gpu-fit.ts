import type { CompiledPod, GpuFleet } from './gpu-fleet.js';

/**
 * Resource-fit filter for the GPU placement core: CPU, memory, GPU model any-of list, and GPUs
 * (whole GPUs: enough fully free GPUs on the node; a fraction: one GPU with enough free milli-GPU,
 * never split over two GPUs). O(1) per node thanks to the fleet's aggregates.
 */
export type FitOutcome =
  | 'fit'
  | 'insufficient-cpu'
  | 'insufficient-memory'
  | 'gpu-model-mismatch'
  | 'insufficient-gpu';

export const FIT_REASONS: Readonly<Record<Exclude<FitOutcome, 'fit'>, string>> = {
  'insufficient-cpu': 'not enough free CPU',
  'insufficient-memory': 'not enough free memory',
  'gpu-model-mismatch': 'GPU model not in the pod’s any-of list',
  'insufficient-gpu': 'not enough free GPU (whole GPUs, or one GPU with enough free milli-GPU)',
};

export function checkFit(fleet: GpuFleet, node: number, pod: CompiledPod): FitOutcome {
  if (pod.numGpu > 0) {
    const model = fleet.modelId[node]!;
    if (model < 0) return 'insufficient-gpu';
    if (!pod.anyModel && (pod.modelMask & (1 << model)) === 0) return 'gpu-model-mismatch';
  }
  if (fleet.cpuFree[node]! < pod.cpuMilli) return 'insufficient-cpu';
  if (fleet.memFree[node]! < pod.memoryMib) return 'insufficient-memory';
  if (pod.numGpu > 0) {
    if (pod.shared) {
      if (fleet.maxFreeMilli[node]! < pod.gpuMilli) return 'insufficient-gpu';
    } else if (fleet.fullyFreeGpus[node]! < pod.numGpu) {
      return 'insufficient-gpu';
    }
  }
  return 'fit';
}

/**
 * Boolean form of checkFit (same verdict as `checkFit(...) === 'fit'`), without building a reason.
 * The policies' scan loops inline the same test over local typed-array references.
 */
export function fits(fleet: GpuFleet, node: number, pod: CompiledPod): boolean {
  if (fleet.cpuFree[node]! < pod.cpuMilli || fleet.memFree[node]! < pod.memoryMib) return false;
  if (pod.numGpu === 0) return true;
  const model = fleet.modelId[node]!;
  if (model < 0 || (!pod.anyModel && (pod.modelMask & (1 << model)) === 0)) return false;
  return pod.shared ? fleet.maxFreeMilli[node]! >= pod.gpuMilli : fleet.fullyFreeGpus[node]! >= pod.numGpu;
}

/**
 * GPU-model bits a node's modelId must hit for the pod (`1 << modelId`); CPU-only nodes
 * (modelId -1, i.e. bit 31) never match since fleets hold at most 31 models. 0 for CPU-only pods,
 * which skip the GPU checks.
 */
export function allowedModelBits(pod: CompiledPod): number {
  if (pod.numGpu === 0) return 0;
  return pod.anyModel ? 0x7fffffff : pod.modelMask & 0x7fffffff;
}
