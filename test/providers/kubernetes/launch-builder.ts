import type { PodLaunch } from '../../../src/providers/pod-launch.js';

/** A launch as the runner hands it over: one whole GPU on node gpu-1; tests override what matters. */
export function launch(overrides: Partial<PodLaunch> = {}): PodLaunch {
  const workload = overrides.workload ?? { name: 'train', project: 'vision' };
  const pod = overrides.pod ?? 'worker-0';
  const attempt = overrides.attempt ?? '2026-11-24T02:56:31.123Z';
  return {
    id: `${workload.project ?? ''}${workload.project ? '/' : ''}${workload.name}/${pod}@${attempt}`,
    workload,
    attempt,
    pod,
    podSet: 'worker',
    rank: 0,
    worldSize: 1,
    node: 'gpu-1',
    command: ['sh', '-c', 'echo hello'],
    env: {
      STRATA_WORKLOAD: workload.name,
      STRATA_POD: pod,
      STRATA_RANK: '0',
      CUDA_VISIBLE_DEVICES: 'GPU-a',
      NVIDIA_VISIBLE_DEVICES: 'GPU-a',
    },
    devices: [{ index: 0, uuid: 'GPU-a' }],
    cpu: 4,
    memoryBytes: 16 * 2 ** 30,
    ...overrides,
  };
}

/** The launches of a gang of `size` pods, one per node gpu-<rank>. */
export function gang(size: number, overrides: Partial<PodLaunch> = {}): PodLaunch[] {
  return Array.from({ length: size }, (_, rank) =>
    launch({ pod: `worker-${rank}`, rank, worldSize: size, node: `gpu-${rank}`, ...overrides }),
  );
}
