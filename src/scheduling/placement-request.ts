/**
 * What live placement is asked to place: one pod (a member of a Workload's pod set) with its
 * resources and constraints in base units, and a gang (every pod of a Workload, placed atomically).
 * Plain data, built from a Workload by `gangOfWorkload`; the snapshot prepares it for the hot loop.
 */
import type { ApiObject } from '../model/object.js';
import { bytesOf, coresOf } from '../model/quantity-schema.js';
import type { WorkloadSpec } from '../model/scheduling.js';

export type AcceleratorAsk =
  | { readonly kind: 'none' }
  | { readonly kind: 'whole'; readonly count: number }
  | { readonly kind: 'milli'; readonly milli: number }
  | { readonly kind: 'mig'; readonly profile: string };

export interface Toleration {
  readonly key?: string;
  readonly operator?: 'Equal' | 'Exists';
  readonly value?: string;
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export type NvlinkMode = 'required' | 'preferred' | 'none';
export type GangDomain = 'rack' | 'block' | 'rail';

export interface PodRequest {
  /** Unique among bound pods, e.g. "team-a/train-1/worker-3". */
  readonly id: string;
  readonly tenant?: string;
  readonly project?: string;
  readonly cpuMilli: number;
  readonly memoryBytes: number;
  readonly accelerators: AcceleratorAsk;
  readonly minGpuMemoryBytes?: number;
  /** Any-of list of accelerator models, catalog ids or aliases; absent or empty = any. */
  readonly models?: readonly string[];
  readonly nvlink?: NvlinkMode;
  readonly numaAligned?: boolean;
  /** Country codes or regimes; absent = anywhere (the tenant's allowed jurisdictions still apply). */
  readonly residency?: readonly string[];
  readonly tolerations?: readonly Toleration[];
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** Sites the pod may start on now (admission schedules); absent = every site. */
  readonly siteGate?: SiteGate;
}

export type SiteClosure = 'time-window' | 'tariff';

/**
 * Which sites are closed to a pod right now, and why: outside its admission schedule's time windows
 * (read in each site's local time) or over its tariff cap (issue 5 item 6). Admission computes it
 * per cycle from the injected clock, once per distinct schedule. It is deliberately not part of the
 * constraint signature: it changes with time, so the `time-window` filter reads it per decision
 * instead of the static eligibility cached per signature.
 */
export interface SiteGate {
  /** Closed sites by name; a site not listed is open. */
  readonly closed: ReadonlyMap<string, SiteClosure>;
  /** Nodes without a known site: closed when set. */
  readonly siteless?: SiteClosure;
}

export interface GangRequest {
  readonly id: string;
  readonly pods: readonly PodRequest[];
  /** All pods inside one rack, block or RDMA rail; absent = anywhere. */
  readonly domain?: GangDomain;
}

/** The gang of a Workload: every pod set × its count, in pod-set order; ids are "workload/podset-i". */
export function gangOfWorkload(workload: ApiObject<WorkloadSpec>): GangRequest {
  const spec = workload.spec;
  const meta = workload.metadata;
  const base = meta.project ? `${meta.project}/${meta.name}` : meta.name;
  const pods: PodRequest[] = [];
  for (const set of spec.podSets) {
    const acc = set.resources.accelerators;
    const accelerators: AcceleratorAsk =
      acc === undefined
        ? { kind: 'none' }
        : acc.count !== undefined
          ? { kind: 'whole', count: acc.count }
          : acc.milli !== undefined
            ? { kind: 'milli', milli: acc.milli }
            : { kind: 'mig', profile: acc.migProfile ?? '' };
    for (let i = 0; i < set.count; i++) {
      pods.push({
        id: `${base}/${set.name}-${i}`,
        ...(meta.tenant !== undefined ? { tenant: meta.tenant } : {}),
        ...(meta.project !== undefined ? { project: meta.project } : {}),
        cpuMilli: Math.round(coresOf(set.resources.cpu) * 1000),
        memoryBytes: bytesOf(set.resources.memory),
        accelerators,
        ...(acc?.minMemory !== undefined ? { minGpuMemoryBytes: bytesOf(acc.minMemory) } : {}),
        ...(acc?.models !== undefined ? { models: acc.models } : {}),
        nvlink: spec.topology?.nvlink ?? 'none',
        numaAligned: spec.topology?.numaAligned ?? false,
        ...(spec.residency ? { residency: spec.residency.jurisdictions } : {}),
        tolerations: spec.tolerations,
        ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
      });
    }
  }
  const domain = spec.topology?.gangDomain;
  return { id: base, pods, ...(domain ? { domain } : {}) };
}
