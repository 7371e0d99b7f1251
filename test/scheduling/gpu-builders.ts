import type { GpuNodeSpec, GpuPodRequest } from '../../src/scheduling/gpu-fleet.js';

/** Fixture builders: a test states only what matters; everything else is roomy. */
export function gpuNode(name: string, overrides: Partial<Omit<GpuNodeSpec, 'name'>> = {}): GpuNodeSpec {
  return { name, cpuMilli: 64_000, memoryMib: 262_144, gpuCount: 8, model: 'T4', ...overrides };
}

export function gpuPod(overrides: Partial<GpuPodRequest> = {}): GpuPodRequest {
  return { cpuMilli: 4_000, memoryMib: 8_192, numGpu: 1, gpuMilli: 1000, models: [], ...overrides };
}

export const sharedPod = (gpuMilli: number, overrides: Partial<GpuPodRequest> = {}): GpuPodRequest =>
  gpuPod({ numGpu: 1, gpuMilli, ...overrides });

export const wholeGpuPod = (numGpu: number, overrides: Partial<GpuPodRequest> = {}): GpuPodRequest =>
  gpuPod({ numGpu, gpuMilli: 1000, ...overrides });

export const cpuPod = (cpuMilli: number, overrides: Partial<GpuPodRequest> = {}): GpuPodRequest =>
  gpuPod({ cpuMilli, numGpu: 0, gpuMilli: 0, ...overrides });
