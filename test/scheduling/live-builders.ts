import type { ClusterSpec, NodeSpec, NodeStatus, SiteSpec, Taint } from '../../src/model/fleet.js';
import { API_VERSION, type ApiObject } from '../../src/model/object.js';
import type { ProjectSpec, TenantSpec } from '../../src/model/tenancy.js';
import { FleetSnapshot } from '../../src/scheduling/fleet-snapshot.js';
import type { PodPlan } from '../../src/scheduling/placement-decision.js';
import { PlacementEngine } from '../../src/scheduling/placement-engine.js';
import type { PodRequest } from '../../src/scheduling/placement-request.js';
import { placementProfile } from '../../src/scheduling/placement-scorers.js';
import {
  TypicalPodTracker,
  type TypicalPodTrackerOptions,
} from '../../src/scheduling/typical-pod-tracker.js';

/** Fixture builders for live placement: a test states only what matters; everything else is roomy. */
export const GIB = 2 ** 30;

function meta(name: string, extra: { labels?: Record<string, string>; tenant?: string } = {}) {
  return {
    name,
    uid: `uid-${name}`,
    resourceVersion: '1',
    generation: 1,
    creationTimestamp: '2026-01-01T00:00:00Z',
    ...extra,
  };
}

export function site(
  name: string,
  opts: { country?: string; regime?: string; powerBudgetKW?: number } = {},
): ApiObject<SiteSpec> {
  return {
    apiVersion: API_VERSION,
    kind: 'Site',
    metadata: meta(name),
    spec: {
      region: name,
      jurisdiction: { country: opts.country ?? 'DE', regime: opts.regime ?? 'EU' },
      provider: 'on-prem',
      timeZone: 'UTC',
      powerBudgetKW: opts.powerBudgetKW ?? 10_000,
      tariff: { currency: 'EUR', pricePerKWh: 0.2 },
    },
  };
}

export function cluster(name: string, siteName: string): ApiObject<ClusterSpec> {
  return {
    apiVersion: API_VERSION,
    kind: 'Cluster',
    metadata: meta(name),
    spec: { site: siteName, provider: 'simulated' },
  };
}

export interface NodeOptions {
  cluster?: string;
  cores?: number;
  numaNodes?: number;
  memoryGi?: number;
  gpus?: number;
  model?: string;
  /** Per GPU model, overriding `model`. */
  models?: readonly string[];
  gpuMemoryGi?: number;
  /** NUMA node of GPU g (default: spread evenly over the NUMA nodes). */
  gpuNuma?: (g: number) => number;
  /** NVLink domain of GPU g (default: one domain per node); return undefined for none. */
  nvlink?: (g: number) => string | undefined;
  /** GPUs in MIG mode with their declared layout. */
  mig?: Readonly<Record<number, readonly { profile: string; start?: number }[]>>;
  /** NICs as [numaNode, rail?]; default one RDMA NIC per NUMA node on rail-<numa>. */
  nics?: readonly (readonly [number, string?])[];
  labels?: Record<string, string>;
  taints?: readonly Taint[];
  unschedulable?: boolean;
  state?: NodeStatus['state'] | 'none';
  rack?: string;
  block?: string;
  idleWatts?: number;
}

export function node(name: string, o: NodeOptions = {}): ApiObject<NodeSpec, NodeStatus> {
  const numa = o.numaNodes ?? 2;
  const count = o.gpus ?? 8;
  const accelerators = Array.from({ length: count }, (_, g) => {
    const nvl = o.nvlink ? o.nvlink(g) : `${name}-nvl`;
    const layout = o.mig?.[g];
    return {
      index: g,
      model: o.models?.[g] ?? o.model ?? 'H100-SXM-80GB',
      uuid: `GPU-${name}-${g}`,
      ...(o.gpuMemoryGi !== undefined ? { memory: o.gpuMemoryGi * GIB } : {}),
      numaNode: o.gpuNuma ? o.gpuNuma(g) : Math.floor((g * numa) / Math.max(1, count)),
      ...(nvl !== undefined ? { nvlinkDomain: nvl } : {}),
      ...(layout ? { mig: { mode: 'enabled' as const, layout: layout.map((x) => ({ ...x })) } } : {}),
    };
  });
  const nics = (o.nics ?? Array.from({ length: numa }, (_, u) => [u, `rail-${u}`] as const)).map(
    ([u, rail], k) => ({
      name: `nic${k}`,
      speedGbps: 400,
      rdma: true,
      numaNode: u,
      ...(rail !== undefined ? { rail } : {}),
    }),
  );
  return {
    apiVersion: API_VERSION,
    kind: 'Node',
    metadata: meta(name, o.labels ? { labels: o.labels } : {}),
    spec: {
      cluster: o.cluster ?? 'c1',
      cpu: { cores: o.cores ?? 64, numaNodes: numa },
      memory: (o.memoryGi ?? 512) * GIB,
      accelerators,
      nics,
      ...(o.rack || o.block
        ? { topology: { ...(o.rack ? { rack: o.rack } : {}), ...(o.block ? { block: o.block } : {}) } }
        : {}),
      power: { idleWatts: o.idleWatts ?? 0, maxWatts: 10_000 },
      taints: [...(o.taints ?? [])],
      unschedulable: o.unschedulable ?? false,
    },
    ...(o.state === 'none' ? {} : { status: { state: o.state ?? 'Ready' } }),
  };
}

export function tenant(name: string, spec: Partial<TenantSpec> = {}): ApiObject<TenantSpec> {
  return {
    apiVersion: API_VERSION,
    kind: 'Tenant',
    metadata: meta(name),
    spec: { isolation: 'shared', allowedJurisdictions: [], ...spec },
  };
}

export function project(
  name: string,
  tenantName: string,
  spec: Partial<ProjectSpec> = {},
): ApiObject<ProjectSpec> {
  return {
    apiVersion: API_VERSION,
    kind: 'Project',
    metadata: meta(name, { tenant: tenantName }),
    spec: { isolation: 'inherit', ...spec },
  };
}

export interface FleetFixture {
  sites?: ApiObject<SiteSpec>[];
  clusters?: ApiObject<ClusterSpec>[];
  nodes: ApiObject<NodeSpec, NodeStatus>[];
  tenants?: ApiObject<TenantSpec>[];
  projects?: ApiObject<ProjectSpec>[];
  policy?: string;
}

/** A snapshot and a BestFit engine; one site "s1" (DE/EU) and cluster "c1" unless given. */
export function liveFleet(f: FleetFixture): { snapshot: FleetSnapshot; engine: PlacementEngine } {
  const snapshot = new FleetSnapshot({
    sites: f.sites ?? [site('s1')],
    clusters: f.clusters ?? [cluster('c1', 's1')],
    nodes: f.nodes,
    tenants: f.tenants ?? [],
    projects: f.projects ?? [],
  });
  return { snapshot, engine: new PlacementEngine(snapshot, placementProfile(f.policy ?? 'BestFit')) };
}

let serial = 0;
/** A pod asking for one whole GPU, 1 core and 1 GiB unless overridden. */
export function pod(overrides: Partial<PodRequest> = {}): PodRequest {
  return {
    id: `pod-${++serial}`,
    cpuMilli: 1000,
    memoryBytes: GIB,
    accelerators: { kind: 'whole', count: 1 },
    ...overrides,
  };
}

export const whole = (count: number, o: Partial<PodRequest> = {}) =>
  pod({ accelerators: { kind: 'whole', count }, ...o });
export const milli = (m: number, o: Partial<PodRequest> = {}) =>
  pod({ accelerators: { kind: 'milli', milli: m }, ...o });
export const mig = (profile: string, o: Partial<PodRequest> = {}) =>
  pod({ accelerators: { kind: 'mig', profile }, ...o });
export const cpuOnly = (cpuMilli: number, o: Partial<PodRequest> = {}) =>
  pod({ cpuMilli, accelerators: { kind: 'none' }, ...o });

/** Places `before` (each must be placed), then decides `subject` without booking it. */
export function decideAfter(f: FleetFixture, before: readonly PodRequest[], subject: PodRequest) {
  const fleet = liveFleet(f);
  for (const p of before) {
    const d = fleet.engine.place(fleet.engine.prepare(p));
    if (d.outcome !== 'placed') throw new Error(`setup pod ${p.id} was not placed: ${d.message}`);
  }
  return { ...fleet, plan: fleet.engine.decide(fleet.engine.prepare(subject)) };
}

/** Node the plan chose, or the rejection reasons (sorted) when unschedulable. */
export function verdictOf(plan: PodPlan): string | string[] {
  return plan.outcome === 'fits' ? plan.node : plan.rejections.map((r) => r.reason).sort();
}

/**
 * A snapshot and a strata engine whose typical-pod tracker is seeded with `seed` (same sites,
 * clusters and defaults as liveFleet).
 */
export function liveStrataFleet(
  f: FleetFixture,
  tracker: TypicalPodTrackerOptions = {},
): { snapshot: FleetSnapshot; engine: PlacementEngine; typicalPods: TypicalPodTracker } {
  const snapshot = new FleetSnapshot({
    sites: f.sites ?? [site('s1')],
    clusters: f.clusters ?? [cluster('c1', 's1')],
    nodes: f.nodes,
    tenants: f.tenants ?? [],
    projects: f.projects ?? [],
  });
  const typicalPods = new TypicalPodTracker(tracker);
  return {
    snapshot,
    engine: new PlacementEngine(snapshot, placementProfile('strata', { typicalPods })),
    typicalPods,
  };
}
