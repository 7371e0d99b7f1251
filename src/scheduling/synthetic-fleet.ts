/**
 * A synthetic fleet of N HGX-like 8-GPU nodes as Site / Cluster / Node objects, for benchmarks and
 * tests that need scale: every node has 8 GPUs of one model on one NVLink board, 2 NUMA nodes
 * (GPUs 0–3 and NICs 0–3 on NUMA 0), 8 RDMA NICs on rails 0–7, 112 cores, 2 TiB, 3 kW idle. Nodes
 * are spread round-robin over the sites, 32 to a rack and 8 racks to a block. Deterministic: the
 * same options give the same objects. Sites' power budgets leave room for every GPU at full TDP
 * unless `powerBudgetKW` says otherwise.
 */
import type { ClusterSpec, NodeSpec, NodeStatus, SiteSpec } from '../model/fleet.js';
import { API_VERSION, type ApiObject } from '../model/object.js';
import type { FleetSnapshotInput } from './fleet-snapshot.js';

export interface SyntheticFleetOptions {
  readonly nodes: number;
  /** Accelerator model of every node (default H100-SXM-80GB). */
  readonly model?: string;
  /** Sites as [name, country, regime]; default one EU and one US site. */
  readonly sites?: readonly (readonly [string, string, string])[];
  readonly nodesPerRack?: number;
  readonly racksPerBlock?: number;
  readonly powerBudgetKW?: number;
  /** Every k-th node (k ≥ 1) gets a PreferNoSchedule taint; 0 = none. */
  readonly preferNoScheduleEvery?: number;
}

function meta(name: string, labels?: Record<string, string>) {
  return {
    name,
    uid: `uid-${name}`,
    resourceVersion: '1',
    generation: 1,
    creationTimestamp: '2026-01-01T00:00:00Z',
    ...(labels ? { labels } : {}),
  };
}

export function syntheticFleet(options: SyntheticFleetOptions): FleetSnapshotInput {
  const model = options.model ?? 'H100-SXM-80GB';
  const siteDefs = options.sites ?? [
    ['eu-1', 'DE', 'EU'],
    ['us-1', 'US', 'US'],
  ];
  const perRack = options.nodesPerRack ?? 32;
  const racksPerBlock = options.racksPerBlock ?? 8;
  const perSite = Math.ceil(options.nodes / siteDefs.length);
  const sites: ApiObject<SiteSpec>[] = siteDefs.map(([name, country, regime]) => ({
    apiVersion: API_VERSION,
    kind: 'Site',
    metadata: meta(name),
    spec: {
      region: name,
      jurisdiction: { country, regime },
      provider: 'on-prem',
      timeZone: 'UTC',
      powerBudgetKW: options.powerBudgetKW ?? perSite * 10.2,
      tariff: { currency: 'EUR', pricePerKWh: 0.2 },
    },
  }));
  const clusters: ApiObject<ClusterSpec>[] = siteDefs.map(([name]) => ({
    apiVersion: API_VERSION,
    kind: 'Cluster',
    metadata: meta(`${name}-c`),
    spec: { site: name, provider: 'simulated' },
  }));
  const nodes: ApiObject<NodeSpec, NodeStatus>[] = [];
  for (let n = 0; n < options.nodes; n++) {
    const site = n % siteDefs.length;
    const local = Math.floor(n / siteDefs.length);
    const rack = `${siteDefs[site]![0]}-r${Math.floor(local / perRack)}`;
    const block = `${siteDefs[site]![0]}-b${Math.floor(local / (perRack * racksPerBlock))}`;
    const name = `node-${String(n).padStart(5, '0')}`;
    const every = options.preferNoScheduleEvery ?? 0;
    nodes.push({
      apiVersion: API_VERSION,
      kind: 'Node',
      metadata: meta(name, {
        'strata.dev/node-class': 'gpu-training',
        'strata.dev/site': siteDefs[site]![0],
      }),
      spec: {
        cluster: `${siteDefs[site]![0]}-c`,
        cpu: { cores: 112, numaNodes: 2 },
        memory: 2 * 2 ** 40,
        acceleratorSlots: 8,
        accelerators: Array.from({ length: 8 }, (_, g) => ({
          index: g,
          model,
          uuid: `GPU-${name}-${g}`,
          numaNode: g < 4 ? 0 : 1,
          nvlinkDomain: `${name}-nvl`,
        })),
        nics: Array.from({ length: 8 }, (_, k) => ({
          name: `mlx5_${k}`,
          speedGbps: 400,
          rdma: true,
          rail: `rail-${k}`,
          numaNode: k < 4 ? 0 : 1,
        })),
        topology: { rack, block },
        power: { idleWatts: 3000, maxWatts: 10200 },
        taints:
          every > 0 && n % every === 0
            ? [{ key: 'strata.dev/spare', effect: 'PreferNoSchedule' as const }]
            : [],
        unschedulable: false,
      },
      status: { state: 'Ready', simulated: true },
    });
  }
  return { sites, clusters, nodes };
}
