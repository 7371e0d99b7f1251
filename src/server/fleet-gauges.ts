/**
 * The fleet's state as Prometheus gauges (issue 7), computed from the objects alone: pure, so
 * the same numbers come from any replica and a test can state them.
 *
 * Definitions:
 * - A GPU's **allocation** is 1 when a holding workload (Admitted, Running) books it whole, the
 *   sum of the shares booked on it for fractional pods (`accelerators.milli` / 1000, at most 1),
 *   and the booked MIG instances' memory slices / 8 when it is carved into MIG instances.
 *   `allocation ratio` = sum of allocations / GPUs, per site and model.
 * - A GPU is **free** when nothing books it or any of its MIG instances, on a node that accepts
 *   work (Ready, or not reported by any agent, and not unschedulable). The **typical request** is
 *   the most common whole-GPU count per pod among the pending and holding workloads (ties go to
 *   the larger; 1 when there are none). `fragmentation ratio` = free GPUs on nodes with fewer free
 *   GPUs than the typical request / all free GPUs, per site and model (0 when none is free): the
 *   share of idle capacity that the usual pod cannot use.
 * - A GPU's **utilisation** is what its node reports in `status.accelerators` (0–1); the
 *   `utilization ratio` is its mean over the GPUs that report one, per site and model, and has no
 *   sample where none does (no report is not the same as idle).
 * - A queue's **pending** workloads are those in phase Pending (or not yet given a status).
 */
import { findAcceleratorModel } from '../hardware/accelerator-models.js';
import { findMigProfile } from '../hardware/mig.js';
import { MIG_MEMORY_SLICES } from '../hardware/mig-profiles.js';
import type { ClusterSpec, NodeSpec, NodeStatus } from '../model/fleet.js';
import type { ApiObject } from '../model/object.js';
import type { QueueSpec, WorkloadSpec, WorkloadStatus } from '../model/scheduling.js';
import { HOLDING_PHASES } from '../model/workload-history.js';

export type NodeObject = ApiObject<NodeSpec, NodeStatus>;
export type ClusterObject = ApiObject<ClusterSpec>;
export type WorkloadObject = ApiObject<WorkloadSpec, WorkloadStatus>;
export type QueueObject = ApiObject<QueueSpec>;

export interface FleetInput {
  readonly clusters: Iterable<ClusterObject>;
  readonly nodes: Iterable<NodeObject>;
  readonly workloads: Iterable<WorkloadObject>;
  readonly queues: Iterable<QueueObject>;
}

export interface SiteModelGauge {
  readonly site: string;
  readonly model: string;
  readonly gpus: number;
  readonly allocated: number;
  readonly free: number;
  /** Free GPUs on nodes with fewer free GPUs than the typical request. */
  readonly stranded: number;
  /** GPUs whose node reports their utilisation (`status.accelerators`), and the sum of those figures. */
  readonly reporting: number;
  readonly utilization: number;
}

export interface FleetGauges {
  readonly typicalRequest: number;
  readonly bySiteModel: readonly SiteModelGauge[];
  readonly pendingByQueue: ReadonlyMap<string, number>;
  readonly nodesByState: ReadonlyMap<string, number>;
}

/** The state label of a node no agent has reported on. */
export const UNREPORTED = 'Unreported';

interface Booked {
  /** GPU index → booked share (1 for a whole GPU). */
  readonly whole: Map<number, number>;
  /** GPU index → MIG profiles booked on it. */
  readonly mig: Map<number, string[]>;
}

export function fleetGauges(input: FleetInput): FleetGauges {
  const siteOf = new Map<string, string>();
  for (const c of input.clusters) siteOf.set(c.metadata.name, c.spec.site);

  const booked = new Map<string, Booked>();
  const pendingByQueue = new Map<string, number>();
  for (const q of input.queues) pendingByQueue.set(q.metadata.name, 0);
  const requestSizes = new Map<number, number>();
  for (const w of input.workloads) {
    const phase = w.status?.phase ?? 'Pending';
    const holding = HOLDING_PHASES.has(phase);
    if (phase === 'Pending') {
      const queue = w.status?.pending?.queue ?? w.spec.queue;
      pendingByQueue.set(queue, (pendingByQueue.get(queue) ?? 0) + 1);
    }
    if (phase === 'Pending' || holding) {
      for (const set of w.spec.podSets) {
        const count = set.resources.accelerators?.count;
        if (count !== undefined && count >= 1) {
          requestSizes.set(count, (requestSizes.get(count) ?? 0) + (set.count ?? 1));
        }
      }
    }
    if (!holding || !w.status?.admission) continue;
    const milliOf = new Map(w.spec.podSets.map((set) => [set.name, set.resources.accelerators?.milli]));
    for (const pod of w.status.admission.pods) {
      const entry = booked.get(pod.node) ?? {
        whole: new Map<number, number>(),
        mig: new Map<number, string[]>(),
      };
      booked.set(pod.node, entry);
      if (pod.mig) {
        entry.mig.set(pod.mig.gpu, [...(entry.mig.get(pod.mig.gpu) ?? []), pod.mig.profile]);
        continue;
      }
      const milli = milliOf.get(podSetName(pod.pod));
      const share = milli === undefined ? 1 : milli / 1000;
      for (const gpu of pod.gpus) entry.whole.set(gpu, (entry.whole.get(gpu) ?? 0) + share);
    }
  }
  const typicalRequest = mostCommon(requestSizes) ?? 1;

  const groups = new Map<
    string,
    {
      site: string;
      model: string;
      gpus: number;
      allocated: number;
      free: number;
      stranded: number;
      reporting: number;
      utilization: number;
    }
  >();
  const nodesByState = new Map<string, number>();
  for (const node of input.nodes) {
    const state = node.status?.state ?? UNREPORTED;
    nodesByState.set(state, (nodesByState.get(state) ?? 0) + 1);
    const accepting = (state === 'Ready' || state === UNREPORTED) && !node.spec.unschedulable;
    const site = siteOf.get(node.spec.cluster) ?? '';
    const onNode = booked.get(node.metadata.name);
    const freeByModel = new Map<string, number>();
    const measured = new Map(node.status?.accelerators?.map((a) => [a.index, a.utilization]));
    for (const gpu of node.spec.accelerators) {
      const catalog = findAcceleratorModel(gpu.model);
      const model = catalog?.id ?? gpu.model;
      const key = `${site}\u0000${model}`;
      const group = groups.get(key) ?? {
        site,
        model,
        gpus: 0,
        allocated: 0,
        free: 0,
        stranded: 0,
        reporting: 0,
        utilization: 0,
      };
      groups.set(key, group);
      group.gpus++;
      const utilization = measured.get(gpu.index);
      if (utilization !== undefined) {
        group.reporting++;
        group.utilization += utilization;
      }
      const migBooked = onNode?.mig.get(gpu.index) ?? [];
      const share = onNode?.whole.get(gpu.index);
      if (share !== undefined) {
        group.allocated += Math.min(1, share);
      } else if (migBooked.length > 0) {
        const slices = migBooked.reduce(
          (sum, profile) => sum + ((catalog && findMigProfile(catalog, profile)?.memorySlices) ?? 1),
          0,
        );
        group.allocated += Math.min(1, slices / MIG_MEMORY_SLICES);
      } else if (accepting) {
        freeByModel.set(model, (freeByModel.get(model) ?? 0) + 1);
      }
    }
    for (const [model, free] of freeByModel) {
      const group = groups.get(`${site}\u0000${model}`)!;
      group.free += free;
      if (free < typicalRequest) group.stranded += free;
    }
  }
  const bySiteModel = [...groups.values()].sort(
    (a, b) => a.site.localeCompare(b.site) || a.model.localeCompare(b.model),
  );
  return { typicalRequest, bySiteModel, pendingByQueue, nodesByState };
}

/** The pod set a booked pod belongs to: pods are named `[…/]<pod set>-<index>`. */
export function podSetName(pod: string): string {
  return pod.slice(pod.lastIndexOf('/') + 1).replace(/-\d+$/, '');
}

/** The key counted most often; ties go to the larger key. */
function mostCommon(counts: ReadonlyMap<number, number>): number | undefined {
  let best: number | undefined;
  let bestCount = 0;
  for (const [key, count] of counts) {
    if (count > bestCount || (count === bestCount && best !== undefined && key > best)) {
      best = key;
      bestCount = count;
    }
  }
  return best;
}
