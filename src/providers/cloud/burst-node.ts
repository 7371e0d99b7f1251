/**
 * What a rented burst node looks like in the fleet (pure): a Site per cloud region, a Cluster of
 * provider `cloud` in it, and Node objects shaped from their instance type, labelled so that
 * `strata get nodes -l strata.dev/burst=true` finds them and every node says what it costs.
 */
import { createHash } from 'node:crypto';
import { findAcceleratorModel } from '../../hardware/accelerator-models.js';
import type { InstanceTypeSpec } from '../../model/cloud.js';
import type { ClusterSpec, NodeSpec, SiteSpec } from '../../model/fleet.js';
import type { PlannedNode } from './burst-autoscaler.js';

export const BURST_LABEL = 'strata.dev/burst';
export const INSTANCE_TYPE_LABEL = 'strata.dev/instance-type';
export const BURST_QUEUE_LABEL = 'strata.dev/burst-queue';
export const PRICE_LABEL = 'strata.dev/price-per-second';
export const CURRENCY_LABEL = 'strata.dev/currency';
export const CAPACITY_TYPE_LABEL = 'strata.dev/capacity-type';
/** The workload (`<project>/<name>`) a node was rented for: it gets no second rental while this one stands. */
export const BURST_FOR_ANNOTATION = 'strata.dev/burst-for';
/** When the cloud hands the node over (creation + the type's provisioning time). */
export const READY_AT_ANNOTATION = 'strata.dev/ready-at';

/** "simcloud-eu-central-1": one Site and one Cluster per cloud region. */
export function regionName(cloud: string, region: string): string {
  return `${cloud}-${region}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
}

export function cloudSite(type: InstanceTypeSpec): SiteSpec {
  return {
    region: type.region,
    jurisdiction: type.jurisdiction,
    provider: type.cloud,
    timeZone: type.timeZone,
    // Power is inside the instance price; the site needs a budget only so power rules never bind.
    powerBudgetKW: 100_000,
    tariff: { currency: type.currency, pricePerKWh: 0 },
    description: `cloud region ${type.region} of ${type.cloud} (burst capacity, simulated)`,
  };
}

export function cloudCluster(site: string, type: InstanceTypeSpec): ClusterSpec {
  return {
    site,
    provider: 'cloud',
    description: `burst nodes rented from ${type.cloud} in ${type.region}`,
  };
}

/** The first `<instance type>-<n>` not taken, kept within the 63 characters of a name. */
export function burstNodeName(instanceType: string, taken: ReadonlySet<string>): string {
  for (let n = 1; ; n++) {
    const suffix = `-${n}`;
    const name = `${instanceType.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
    if (!taken.has(name)) return name;
  }
}

/** A stable, UUID-shaped id for a simulated device ("GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"). */
function deviceUuid(node: string, index: number): string {
  const h = createHash('sha256').update(`${node}/${index}`).digest('hex');
  return `GPU-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export interface BurstNodeObject {
  readonly metadata: {
    readonly name: string;
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
  };
  readonly spec: NodeSpec;
}

export function burstNode(options: {
  readonly name: string;
  readonly cluster: string;
  readonly site: string;
  readonly type: InstanceTypeSpec;
  readonly planned: PlannedNode;
  readonly queue: string;
  readonly workload: string;
  readonly readyAt: string;
}): BurstNodeObject {
  const { name, type, planned } = options;
  const model = findAcceleratorModel(type.accelerator.model);
  const modelId = model?.id ?? type.accelerator.model;
  const numaNodes = type.cpu.numaNodes;
  const perNuma = Math.ceil(type.accelerator.count / numaNodes);
  const accelerators = Array.from({ length: type.accelerator.count }, (_, index) => ({
    index,
    model: modelId,
    uuid: deviceUuid(name, index),
    numaNode: Math.min(numaNodes - 1, Math.floor(index / perNuma)),
    // One board per instance: its GPUs share an NVLink domain when the model has NVLink.
    ...(model?.interconnect.kind === 'nvlink' && { nvlinkDomain: `${name}-nvl` }),
    ...(type.accelerator.migProfile !== undefined && { mig: { mode: 'enabled' as const, layout: [] } }),
  }));
  return {
    metadata: {
      name,
      labels: {
        ...planned.labels,
        [BURST_LABEL]: 'true',
        [INSTANCE_TYPE_LABEL]: planned.instanceType,
        [BURST_QUEUE_LABEL]: options.queue,
        [PRICE_LABEL]: String(planned.pricePerSecond),
        [CURRENCY_LABEL]: planned.currency,
        [CAPACITY_TYPE_LABEL]: planned.spot ? 'spot' : 'on-demand',
        'strata.dev/site': options.site,
        'strata.dev/gpu-model': modelId,
        'strata.dev/gpu-count': String(type.accelerator.count),
      },
      annotations: {
        [BURST_FOR_ANNOTATION]: options.workload,
        [READY_AT_ANNOTATION]: options.readyAt,
        'strata.dev/price-per-hour': `${(planned.pricePerSecond * 3600).toFixed(2)} ${planned.currency}`,
      },
    },
    spec: {
      cluster: options.cluster,
      cpu: { cores: type.cpu.cores, numaNodes },
      memory: type.memory,
      acceleratorSlots: type.accelerator.count,
      accelerators,
      nics: [],
      topology: { rack: options.cluster, block: options.cluster },
      taints: [],
      unschedulable: false,
    },
  };
}
