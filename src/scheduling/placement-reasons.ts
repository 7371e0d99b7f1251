/**
 * The filters of live placement and the reasons they reject a node with: constants with a human
 * message, so a decision record (and later "why pending" and the audit trail) carries codes that a
 * program can count and messages that a person can read.
 *
 * Static filters depend only on the pod's constraint signature and on the node's spec (labels,
 * taints, site, hardware): they are evaluated once per (signature, node change). Dynamic filters
 * read the snapshot's current allocations on every decision.
 */

export const FILTER_NAMES = [
  // static (per constraint signature)
  'node-selector',
  'taint-toleration',
  'residency',
  'accelerator-model',
  'gpu-memory',
  // dynamic (per decision)
  'node-condition',
  'gang-domain',
  'tenant-isolation',
  'resource-fit',
  'gpu-topology',
  'power-headroom',
  'time-window',
] as const;
export type FilterName = (typeof FILTER_NAMES)[number];

export const REJECTION_MESSAGES = {
  'node-selector-mismatch': 'node labels do not match the nodeSelector',
  'untolerated-taint': 'node has a NoSchedule or NoExecute taint the pod does not tolerate',
  'site-outside-residency': 'node’s site jurisdiction is not in the workload’s residency list',
  'site-outside-tenant-jurisdictions':
    'node’s site jurisdiction is not among the tenant’s allowed jurisdictions',
  'site-unknown': 'node’s cluster or site is unknown, so its jurisdiction cannot be checked',
  'no-gpu': 'node has no accelerators',
  'model-not-accepted': 'no accelerator on the node is one of the requested models',
  'no-mig-gpu': 'no MIG-enabled accelerator of an accepted model offers the requested profile',
  'gpu-memory-too-small': 'no accepted accelerator (or MIG profile) on the node has the minimum GPU memory',
  'node-not-ready': 'node is not Ready',
  'node-unschedulable': 'node is cordoned (unschedulable)',
  'outside-gang-domain': 'node is outside the gang’s rack, block or rail being tried',
  'node-held-by-hard-tenant': 'node runs work of a hard-isolated tenant',
  'node-shared-with-other-tenant': 'pod’s tenant is hard-isolated and the node runs another tenant’s work',
  'insufficient-cpu': 'not enough free CPU',
  'insufficient-memory': 'not enough free memory',
  'insufficient-gpu': 'not enough free eligible GPUs (whole GPUs, or one GPU with enough free milli-GPU)',
  'no-free-mig-slice': 'no free MIG slice of the profile under NVIDIA’s placement rules',
  'no-nvlink-domain': 'no single NVLink domain has enough free eligible GPUs',
  'no-numa-node': 'no single NUMA node has the GPUs, the CPU and a NIC the pod needs',
  'site-power-budget': 'pod’s added draw would exceed the site’s power budget',
  'outside-time-window': 'node’s site is outside the workload’s time windows now (site-local time)',
  'over-tariff-cap': 'node’s site electricity price is above the workload’s tariff cap now',
} as const;
export type RejectionReason = keyof typeof REJECTION_MESSAGES;

/** Static reasons by small integer code (0 = eligible), as stored in a signature's per-node array. */
export const STATIC_REASONS: readonly (readonly [FilterName, RejectionReason])[] = [
  ['node-selector', 'node-selector-mismatch'], // placeholder at 0, never used as a rejection
  ['node-selector', 'node-selector-mismatch'],
  ['taint-toleration', 'untolerated-taint'],
  ['residency', 'site-outside-residency'],
  ['residency', 'site-outside-tenant-jurisdictions'],
  ['residency', 'site-unknown'],
  ['accelerator-model', 'no-gpu'],
  ['accelerator-model', 'model-not-accepted'],
  ['accelerator-model', 'no-mig-gpu'],
  ['gpu-memory', 'gpu-memory-too-small'],
];
export const STATIC_CODE = {
  selector: 1,
  taint: 2,
  residency: 3,
  tenantJurisdiction: 4,
  siteUnknown: 5,
  noGpu: 6,
  model: 7,
  noMig: 8,
  gpuMemory: 9,
} as const;

/** Dynamic reasons by small integer code (0 = pass), as returned by the dynamic filter functions. */
export const DYNAMIC_REASONS: readonly (readonly [FilterName, RejectionReason])[] = [
  ['node-condition', 'node-not-ready'], // placeholder at 0 (pass)
  ['node-condition', 'node-not-ready'],
  ['node-condition', 'node-unschedulable'],
  ['gang-domain', 'outside-gang-domain'],
  ['tenant-isolation', 'node-held-by-hard-tenant'],
  ['tenant-isolation', 'node-shared-with-other-tenant'],
  ['resource-fit', 'insufficient-cpu'],
  ['resource-fit', 'insufficient-memory'],
  ['resource-fit', 'insufficient-gpu'],
  ['resource-fit', 'no-free-mig-slice'],
  ['gpu-topology', 'no-nvlink-domain'],
  ['gpu-topology', 'no-numa-node'],
  ['power-headroom', 'site-power-budget'],
  ['time-window', 'outside-time-window'],
  ['time-window', 'over-tariff-cap'],
];
export const DYNAMIC_CODE = {
  notReady: 1,
  unschedulable: 2,
  outsideDomain: 3,
  hardTenantPresent: 4,
  sharedWithOther: 5,
  cpu: 6,
  memory: 7,
  gpu: 8,
  mig: 9,
  nvlink: 10,
  numa: 11,
  power: 12,
  timeWindow: 13,
  tariff: 14,
} as const;

/**
 * Which events could make a node that rejected the pod for this reason accept it (the kube-scheduler
 * "events to register"): queues requeue an unschedulable pod only when one of them happens.
 * capacity-freed: a pod released on the fleet; node-changed: a Node's labels, taints, readiness or
 * cordon changed; tenancy-changed: a Tenant's or Project's isolation or jurisdictions changed;
 * fleet-changed: nodes, sites or hardware added or changed (a snapshot rebuild); time-passed: the
 * clock reached a time window's opening or a cheaper tariff period.
 */
export const REQUEUE_EVENTS = [
  'capacity-freed',
  'node-changed',
  'tenancy-changed',
  'fleet-changed',
  'time-passed',
] as const;
export type RequeueEvent = (typeof REQUEUE_EVENTS)[number];

export const REQUEUE_ON: Readonly<Record<RejectionReason, readonly RequeueEvent[]>> = {
  'node-selector-mismatch': ['node-changed'],
  'untolerated-taint': ['node-changed'],
  'site-outside-residency': ['fleet-changed'],
  'site-outside-tenant-jurisdictions': ['tenancy-changed', 'fleet-changed'],
  'site-unknown': ['fleet-changed'],
  'no-gpu': ['fleet-changed'],
  'model-not-accepted': ['fleet-changed'],
  'no-mig-gpu': ['fleet-changed'],
  'gpu-memory-too-small': ['fleet-changed'],
  'node-not-ready': ['node-changed'],
  'node-unschedulable': ['node-changed'],
  'outside-gang-domain': ['capacity-freed'],
  'node-held-by-hard-tenant': ['capacity-freed', 'tenancy-changed'],
  'node-shared-with-other-tenant': ['capacity-freed', 'tenancy-changed'],
  'insufficient-cpu': ['capacity-freed'],
  'insufficient-memory': ['capacity-freed'],
  'insufficient-gpu': ['capacity-freed'],
  'no-free-mig-slice': ['capacity-freed'],
  'no-nvlink-domain': ['capacity-freed'],
  'no-numa-node': ['capacity-freed'],
  'site-power-budget': ['capacity-freed'],
  'outside-time-window': ['time-passed'],
  'over-tariff-cap': ['time-passed', 'fleet-changed'],
};
