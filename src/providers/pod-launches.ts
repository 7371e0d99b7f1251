/**
 * The pods of a workload's current admission, as launches (pure). The admission controller books
 * each pod as `<project>/<workload>/<podSet>-<index>` on a node with GPU indices (and a MIG slice);
 * this turns that booking into what a provider needs: argv, environment, device UUIDs.
 */
import type { NodeSpec } from '../model/fleet.js';
import type { ApiObject } from '../model/object.js';
import { bytesOf, coresOf } from '../model/quantity-schema.js';
import type { WorkloadSpec, WorkloadStatus } from '../model/scheduling.js';
import type { DeviceBinding, PodLaunch } from './pod-launch.js';

type Booking = NonNullable<WorkloadStatus['admission']>['pods'][number];

/** `<project>/<workload>/<pod>@<attempt>`, or `<workload>/<pod>@<attempt>` without a project. */
export function podLaunchId(workload: ApiObject, pod: string, attempt: string): string {
  const base = workload.metadata.project
    ? `${workload.metadata.project}/${workload.metadata.name}`
    : workload.metadata.name;
  return `${base}/${pod}@${attempt}`;
}

/** "acme/train/worker-3" → "worker-3". */
export function podNameOf(booked: string): string {
  return booked.slice(booked.lastIndexOf('/') + 1);
}

function devicesOf(booking: Booking, node: NodeSpec | undefined): DeviceBinding[] {
  const byIndex = new Map((node?.accelerators ?? []).map((a) => [a.index, a]));
  if (booking.mig) {
    const gpu = byIndex.get(booking.mig.gpu);
    const instance = gpu?.mig?.layout.find(
      (m) => m.profile === booking.mig!.profile && (m.start === undefined || m.start === booking.mig!.start),
    );
    return [
      {
        index: booking.mig.gpu,
        uuid: gpu?.uuid ?? `GPU-${booking.mig.gpu}`,
        mig: { profile: booking.mig.profile, ...(instance?.uuid !== undefined && { uuid: instance.uuid }) },
      },
    ];
  }
  return booking.gpus.map((index) => ({ index, uuid: byIndex.get(index)?.uuid ?? `GPU-${index}` }));
}

/** What CUDA_VISIBLE_DEVICES names: MIG UUIDs where known, else GPU UUIDs. */
export function visibleDevices(devices: readonly DeviceBinding[]): string {
  return devices.map((d) => d.mig?.uuid ?? d.uuid).join(',');
}

/**
 * The launches of the workload's current admission whose node `node(name)` knows about (the
 * runner passes only the nodes it owns). Ranks follow pod-set order, then index, over the whole
 * gang, so every provider numbers a gang the same way.
 */
export function launchesOf(
  workload: ApiObject<WorkloadSpec, WorkloadStatus>,
  node: (name: string) => NodeSpec | undefined,
): PodLaunch[] {
  const admission = workload.status?.admission;
  if (!admission) return [];
  const spec = workload.spec;
  const attempt = admission.admittedAt;
  const bookings = new Map(admission.pods.map((p) => [podNameOf(p.pod), p]));
  const worldSize = spec.podSets.reduce((n, s) => n + s.count, 0);
  const launches: PodLaunch[] = [];
  let rank = 0;
  for (const set of spec.podSets) {
    for (let i = 0; i < set.count; i++, rank++) {
      const pod = `${set.name}-${i}`;
      const booking = bookings.get(pod);
      if (!booking) continue;
      const nodeSpec = node(booking.node);
      if (!nodeSpec) continue;
      const devices = devicesOf(booking, nodeSpec);
      const visible = visibleDevices(devices);
      const milli = set.resources.accelerators?.milli;
      const env: Record<string, string> = {
        ...set.env,
        STRATA_WORKLOAD: workload.metadata.name,
        STRATA_PROJECT: workload.metadata.project ?? '',
        STRATA_POD: pod,
        STRATA_POD_SET: set.name,
        STRATA_RANK: String(rank),
        STRATA_WORLD_SIZE: String(worldSize),
        STRATA_NODE: booking.node,
        STRATA_ATTEMPT: attempt,
        CUDA_VISIBLE_DEVICES: visible,
        NVIDIA_VISIBLE_DEVICES: visible,
        ...(milli !== undefined && { STRATA_GPU_MILLI: String(milli) }),
      };
      launches.push({
        id: podLaunchId(workload, pod, attempt),
        workload: {
          name: workload.metadata.name,
          ...(workload.metadata.project !== undefined && { project: workload.metadata.project }),
          ...(workload.metadata.tenant !== undefined && { tenant: workload.metadata.tenant }),
        },
        attempt,
        pod,
        podSet: set.name,
        rank,
        worldSize,
        node: booking.node,
        command: set.command ?? [],
        env,
        devices,
        ...(milli !== undefined && { milliGpu: milli }),
        cpu: coresOf(set.resources.cpu),
        memoryBytes: bytesOf(set.resources.memory),
        ...(booking.numa !== undefined && { numa: booking.numa }),
        ...(spec.maxRuntimeSeconds !== undefined && { maxRuntimeSeconds: spec.maxRuntimeSeconds }),
        ...(spec.simulation && {
          simulation: {
            durationSeconds: spec.simulation.durationSeconds,
            exitCode: spec.simulation.exitCode,
          },
        }),
      });
    }
  }
  return launches;
}
