import { z } from 'zod';
import { kubeconfigProblem } from '../providers/kubernetes/kubeconfig-check.js';
import { name } from './metadata.js';
import { bytes, count, positiveCount } from './quantity-schema.js';

const isoCountry = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code such as "DE"');
const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code such as "EUR"');
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time "HH:MM"');

const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as "Europe/Berlin"');

/** Where a site's data is governed: the country and the legal regime it falls under (e.g. DE under EU). */
export const jurisdiction = z.strictObject({
  country: isoCountry,
  regime: z
    .string()
    .regex(/^[A-Z][A-Z0-9-]{1,15}$/, 'must be an upper-case regime code such as "EU", "US" or "UK"'),
});

/** Electricity price, optionally varying by time of day (site-local time). */
export const tariff = z.strictObject({
  currency,
  pricePerKWh: z.number().nonnegative(),
  periods: z
    .array(z.strictObject({ from: clockTime, to: clockTime, pricePerKWh: z.number().nonnegative() }))
    .optional(),
});

export const siteSpec = z.strictObject({
  region: z.string().min(1),
  jurisdiction,
  provider: z.string().min(1).describe('who operates the site: on-prem, colo, aws, gcp, azure, …'),
  timeZone,
  powerBudgetKW: z.number().positive(),
  tariff,
  description: z.string().optional(),
});
export type SiteSpec = z.infer<typeof siteSpec>;

/** How Strata reaches a Kubernetes cluster and what it puts on the Jobs it creates there. */
export const kubernetesClusterSpec = z.strictObject({
  /** An inline kubeconfig (YAML). */
  kubeconfig: z.string().min(1),
  /** The kubeconfig context to use; its current-context when absent. */
  context: z.string().min(1).optional(),
  namespace: name.default('default'),
  /** Set as the Kueue LocalQueue and KAI queue labels of every Job, so a cluster's own queueing accounts for them. */
  queueName: z.string().min(1).optional(),
  /** The pods' scheduler, e.g. "kai-scheduler"; the cluster's default scheduler when absent. */
  schedulerName: z.string().min(1).optional(),
  /** The image the pods' commands run in: Workloads name a command, not an image. */
  image: z.string().min(1).default('docker.io/library/busybox:1.37'),
  /** How a gang whose pods all run on this cluster is created: a Job per pod, or one JobSet (needs the JobSet controller). */
  gangs: z.enum(['Jobs', 'JobSet']).default('Jobs'),
});
export type KubernetesClusterSpec = z.infer<typeof kubernetesClusterSpec>;

export const clusterSpec = z
  .strictObject({
    site: name,
    provider: z.enum(['local', 'agent', 'kubernetes', 'simulated', 'cloud']),
    version: z.string().optional(),
    description: z.string().optional(),
    kubernetes: kubernetesClusterSpec.optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.provider !== 'kubernetes') {
      if (spec.kubernetes !== undefined)
        ctx.addIssue({ code: 'custom', path: ['kubernetes'], message: 'is only for provider kubernetes' });
      return;
    }
    // A Kubernetes cluster without a connection is declared only (the demo fleet's is simulated):
    // Strata places on its nodes but runs no Jobs there.
    if (spec.kubernetes === undefined) return;
    const problem = kubeconfigProblem(spec.kubernetes.kubeconfig, spec.kubernetes.context);
    if (problem !== undefined)
      ctx.addIssue({ code: 'custom', path: ['kubernetes', 'kubeconfig'], message: problem });
  });
export type ClusterSpec = z.infer<typeof clusterSpec>;

export const migInstance = z.strictObject({
  profile: z.string().min(1),
  /** Placement start in memory-slice units; assigned automatically when omitted. */
  start: count.optional(),
  uuid: z.string().optional(),
});

export const accelerator = z.strictObject({
  index: count,
  /** A catalog model id or alias, e.g. "H100-SXM-80GB" or "NVIDIA H100 80GB HBM3". */
  model: z.string().min(1),
  uuid: z.string().min(1),
  /** Defaults to the catalog's memory for the model. */
  memory: bytes.optional(),
  numaNode: count.default(0),
  pcieSwitch: z.string().optional(),
  nvlinkDomain: z.string().optional(),
  mig: z
    .strictObject({
      mode: z.enum(['enabled', 'disabled']),
      layout: z.array(migInstance).default([]),
    })
    .optional(),
});
export type Accelerator = z.infer<typeof accelerator>;

export const nic = z.strictObject({
  name: z.string().min(1),
  speedGbps: z.number().positive(),
  rdma: z.boolean().default(false),
  /** The rail of a rail-optimised fabric this NIC is cabled to. */
  rail: z.string().optional(),
  numaNode: count.default(0),
});

export const taint = z.strictObject({
  key: z.string().min(1),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
});
export type Taint = z.infer<typeof taint>;

export const nodeSpec = z.strictObject({
  cluster: name,
  cpu: z.strictObject({
    cores: positiveCount,
    numaNodes: positiveCount.default(1),
    model: z.string().optional(),
  }),
  memory: bytes,
  /** Physical accelerator slots of the chassis (e.g. 8 on an HGX board); a node cannot declare more devices. */
  acceleratorSlots: count.optional(),
  accelerators: z.array(accelerator).default([]),
  nics: z.array(nic).default([]),
  /** Failure and bandwidth domains above the node, used for gang placement. */
  topology: z.strictObject({ rack: z.string().optional(), block: z.string().optional() }).optional(),
  power: z.strictObject({ idleWatts: z.number().nonnegative(), maxWatts: z.number().positive() }).optional(),
  taints: z.array(taint).default([]),
  unschedulable: z.boolean().default(false),
});
export type NodeSpec = z.infer<typeof nodeSpec>;

export const nodeStatus = z.strictObject({
  state: z.enum(['Ready', 'NotReady', 'Unknown', 'Draining']),
  /** True for nodes of the simulated provider (the digital twin); shown everywhere a user sees the node. */
  simulated: z.boolean().optional(),
  powerDrawWatts: z.number().nonnegative().optional(),
  lastHeartbeat: z.string().optional(),
  message: z.string().optional(),
  /**
   * What the node measured of its GPUs (nvidia-smi on an agent; synthetic on a simulated node,
   * which also says `simulated: true`). Absent = no utilisation reported, not idle.
   */
  accelerators: z
    .array(
      z.strictObject({
        index: z.number().int().nonnegative(),
        /** Share of the sample period the GPU was busy, 0–1. */
        utilization: z.number().min(0).max(1),
        memoryUsedBytes: z.number().nonnegative().optional(),
      }),
    )
    .optional(),
});
export type NodeStatus = z.infer<typeof nodeStatus>;

export const genericStatus = z.record(z.string(), z.unknown());
