import type { z } from 'zod';
import { checkInstanceType, type InstanceTypeSpec, instanceTypeSpec, pricePerHour } from './cloud.js';
import {
  clusterSpec,
  genericStatus,
  type NodeSpec,
  type NodeStatus,
  nodeSpec,
  nodeStatus,
  type SiteSpec,
  siteSpec,
} from './fleet.js';
import { checkNode } from './node-checks.js';
import type { ApiObject } from './object.js';
import {
  cohortSpec,
  type PriorityClassSpec,
  priorityClassSpec,
  type QueueSpec,
  queueSpec,
  resourceClassSpec,
  type WorkloadSpec,
  workloadSpec,
  workloadStatus,
} from './scheduling.js';
import {
  projectSpec,
  type RoleBindingSpec,
  type RoleSpec,
  roleBindingSpec,
  roleSpec,
  tenantSpec,
} from './tenancy.js';
import type { FieldIssue } from './validation.js';

/**
 * Where a kind lives. `cluster` kinds are served at /apis/strata.dev/v1alpha1/{plural};
 * `project` kinds under /namespaces/{project}/{plural} (a project plays the role of a namespace).
 */
export type KindScope = 'cluster' | 'project';

/**
 * Whether objects of a kind belong to a tenant: `none` (shared fleet and platform objects,
 * readable from inside every tenant), `required`, `optional` (shared when absent),
 * `optional-private` (without a tenant only cluster-wide subjects see it: cluster role
 * bindings, cluster tokens), `self` (a Tenant belongs to itself), or `project` (derived
 * from the object's project).
 */
export type Tenancy = 'none' | 'required' | 'optional' | 'optional-private' | 'self' | 'project';

/** A Workload's pending status, only while it is Pending (an admitted one may keep a stale one). */
const pendingOf = (o: ApiObject) => {
  const status = o.status as { phase?: string; pending?: { ahead: number; reason: string } } | undefined;
  return status?.phase === 'Pending' || status?.phase === undefined ? status?.pending : undefined;
};

export interface Column {
  readonly name: string;
  /** Shown only with `-o wide`. */
  readonly wide?: boolean;
  readonly value: (object: ApiObject) => string | number;
}

export interface KindDefinition {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly scope: KindScope;
  readonly tenancy: Tenancy;
  readonly description: string;
  readonly spec: z.ZodType;
  readonly status: z.ZodType;
  /** Checks the schema cannot express (catalog lookups, cross-field rules), on the parsed spec. */
  readonly check?: (spec: unknown) => FieldIssue[];
  readonly columns: readonly Column[];
  /**
   * Dotted paths of the fields that hold credentials. Only a caller who may `update` an object
   * reads them; every other reader (a tenant reading the shared fleet) gets a fixed marker in
   * their place, and a write that carries the marker back is refused (src/server/secret-fields.ts).
   */
  readonly secretFields?: readonly string[];
}

function spec<T>(object: ApiObject): T {
  return object.spec as T;
}

function acceleratorSummary(node: NodeSpec): string {
  if (node.accelerators.length === 0) return '-';
  const byModel = new Map<string, number>();
  for (const a of node.accelerators) byModel.set(a.model, (byModel.get(a.model) ?? 0) + 1);
  return [...byModel].map(([model, n]) => `${n}x ${model}`).join(',');
}

function migSummary(node: NodeSpec): string {
  const instances = node.accelerators.flatMap((a) => (a.mig?.mode === 'enabled' ? a.mig.layout : []));
  if (instances.length === 0) return '-';
  const byProfile = new Map<string, number>();
  for (const i of instances) byProfile.set(i.profile, (byProfile.get(i.profile) ?? 0) + 1);
  return [...byProfile].map(([p, n]) => `${n}x ${p}`).join(',');
}

const stateOf = (object: ApiObject) => (object.status as NodeStatus | undefined)?.state ?? 'Unknown';

export const KINDS: readonly KindDefinition[] = [
  {
    kind: 'Site',
    plural: 'sites',
    singular: 'site',
    shortNames: [],
    scope: 'cluster',
    tenancy: 'none',
    description: 'A data centre or cloud region: jurisdiction, power budget and electricity tariff.',
    spec: siteSpec,
    status: genericStatus,
    columns: [
      { name: 'Region', value: (o) => spec<SiteSpec>(o).region },
      {
        name: 'Jurisdiction',
        value: (o) => `${spec<SiteSpec>(o).jurisdiction.regime}/${spec<SiteSpec>(o).jurisdiction.country}`,
      },
      { name: 'Provider', value: (o) => spec<SiteSpec>(o).provider },
      { name: 'Power-kW', value: (o) => spec<SiteSpec>(o).powerBudgetKW },
      {
        name: 'Tariff',
        value: (o) => `${spec<SiteSpec>(o).tariff.pricePerKWh} ${spec<SiteSpec>(o).tariff.currency}/kWh`,
      },
      { name: 'Time-Zone', wide: true, value: (o) => spec<SiteSpec>(o).timeZone },
    ],
  },
  {
    kind: 'Cluster',
    plural: 'clusters',
    singular: 'cluster',
    shortNames: [],
    scope: 'cluster',
    tenancy: 'none',
    description:
      'A group of nodes run by one provider (local, node agents, Kubernetes, simulated, cloud) at one site.',
    spec: clusterSpec,
    status: genericStatus,
    // A connected cluster's token or client key: tenants read the fleet, not how Strata reaches it.
    secretFields: ['spec.kubernetes.kubeconfig'],
    columns: [
      { name: 'Site', value: (o) => (o.spec as { site: string }).site },
      { name: 'Provider', value: (o) => (o.spec as { provider: string }).provider },
      { name: 'Version', wide: true, value: (o) => (o.spec as { version?: string }).version ?? '-' },
    ],
  },
  {
    kind: 'Node',
    plural: 'nodes',
    singular: 'node',
    shortNames: ['no'],
    scope: 'cluster',
    tenancy: 'none',
    description: 'A machine: CPUs and NUMA, memory, accelerators down to MIG slices, NICs and RDMA rails.',
    spec: nodeSpec,
    status: nodeStatus,
    check: (s) => checkNode(s as NodeSpec),
    columns: [
      { name: 'Cluster', value: (o) => spec<NodeSpec>(o).cluster },
      { name: 'State', value: stateOf },
      // Digital twins (the demo's agentless nodes, simulated and cloud burst nodes) say so.
      {
        name: 'Simulated',
        value: (o) => ((o.status as NodeStatus | undefined)?.simulated ? 'yes' : '-'),
      },
      { name: 'Accelerators', value: (o) => acceleratorSummary(spec<NodeSpec>(o)) },
      { name: 'MIG', value: (o) => migSummary(spec<NodeSpec>(o)) },
      { name: 'CPU', value: (o) => spec<NodeSpec>(o).cpu.cores },
      { name: 'Memory', value: (o) => String(spec<NodeSpec>(o).memory) },
      { name: 'NUMA', wide: true, value: (o) => spec<NodeSpec>(o).cpu.numaNodes },
      {
        name: 'NICs',
        wide: true,
        value: (o) =>
          spec<NodeSpec>(o)
            .nics.map((n) => `${n.name}:${n.speedGbps}G${n.rail ? `@${n.rail}` : ''}`)
            .join(',') || '-',
      },
      {
        name: 'Taints',
        wide: true,
        value: (o) =>
          spec<NodeSpec>(o)
            .taints.map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`)
            .join(',') || '-',
      },
    ],
  },
  {
    kind: 'ResourceClass',
    plural: 'resourceclasses',
    singular: 'resourceclass',
    shortNames: ['rc'],
    scope: 'cluster',
    tenancy: 'none',
    description:
      'A named shape of capacity (which nodes, which accelerators) that queues and stages request.',
    spec: resourceClassSpec,
    status: genericStatus,
    columns: [
      {
        name: 'Accelerators',
        value: (o) => (o.spec as { accelerator?: { models: string[] } }).accelerator?.models.join('|') ?? '-',
      },
      {
        name: 'MIG-Profile',
        value: (o) => (o.spec as { accelerator?: { migProfile?: string } }).accelerator?.migProfile ?? '-',
      },
    ],
  },
  {
    kind: 'InstanceType',
    plural: 'instancetypes',
    singular: 'instancetype',
    shortNames: ['it'],
    scope: 'cluster',
    tenancy: 'none',
    description:
      'A cloud instance type burst nodes are rented as: accelerators, CPU, memory, region, jurisdiction, price per second.',
    spec: instanceTypeSpec,
    status: genericStatus,
    check: (s) => checkInstanceType(s as InstanceTypeSpec),
    columns: [
      { name: 'Cloud', value: (o) => spec<InstanceTypeSpec>(o).cloud },
      { name: 'Region', value: (o) => spec<InstanceTypeSpec>(o).region },
      {
        name: 'Jurisdiction',
        value: (o) =>
          `${spec<InstanceTypeSpec>(o).jurisdiction.regime}/${spec<InstanceTypeSpec>(o).jurisdiction.country}`,
      },
      {
        name: 'Accelerators',
        value: (o) => {
          const a = spec<InstanceTypeSpec>(o).accelerator;
          return `${a.count}x ${a.model}${a.migProfile ? ` (MIG ${a.migProfile})` : ''}`;
        },
      },
      { name: 'CPU', value: (o) => spec<InstanceTypeSpec>(o).cpu.cores },
      { name: 'Memory', value: (o) => String(spec<InstanceTypeSpec>(o).memory) },
      {
        name: 'On-Demand/h',
        value: (o) =>
          `${pricePerHour(spec<InstanceTypeSpec>(o), false).toFixed(2)} ${spec<InstanceTypeSpec>(o).currency}`,
      },
      {
        name: 'Spot/h',
        value: (o) =>
          spec<InstanceTypeSpec>(o).pricePerSecond.spot === undefined
            ? '-'
            : `${pricePerHour(spec<InstanceTypeSpec>(o), true).toFixed(2)} ${spec<InstanceTypeSpec>(o).currency}`,
      },
      { name: 'Provisioning-s', wide: true, value: (o) => spec<InstanceTypeSpec>(o).provisioningSeconds },
    ],
  },
  {
    kind: 'Tenant',
    plural: 'tenants',
    singular: 'tenant',
    shortNames: [],
    scope: 'cluster',
    tenancy: 'self',
    description: 'An organisation sharing the fleet; hard-isolated tenants never share a node or GPU.',
    spec: tenantSpec,
    status: genericStatus,
    columns: [
      { name: 'Isolation', value: (o) => (o.spec as { isolation: string }).isolation },
      { name: 'Display-Name', value: (o) => (o.spec as { displayName?: string }).displayName ?? '-' },
    ],
  },
  {
    kind: 'Project',
    plural: 'projects',
    singular: 'project',
    shortNames: ['proj'],
    scope: 'cluster',
    tenancy: 'required',
    description: 'A tenant’s unit of work and budget; plays the role of a Kubernetes namespace.',
    spec: projectSpec,
    status: genericStatus,
    columns: [
      { name: 'Tenant', value: (o) => o.metadata.tenant ?? '-' },
      { name: 'Isolation', value: (o) => (o.spec as { isolation: string }).isolation },
    ],
  },
  {
    kind: 'Role',
    plural: 'roles',
    singular: 'role',
    shortNames: [],
    scope: 'cluster',
    tenancy: 'optional',
    description:
      'Verbs allowed on kinds. Without a tenant it can be bound anywhere; with one, only inside it.',
    spec: roleSpec,
    status: genericStatus,
    columns: [
      { name: 'Tenant', value: (o) => o.metadata.tenant ?? '-' },
      { name: 'Rules', value: (o) => spec<RoleSpec>(o).rules.length },
    ],
  },
  {
    kind: 'RoleBinding',
    plural: 'rolebindings',
    singular: 'rolebinding',
    shortNames: ['rb'],
    scope: 'cluster',
    tenancy: 'optional-private',
    description: 'Grants a role to subjects cluster-wide, in a tenant, or in one project.',
    spec: roleBindingSpec,
    status: genericStatus,
    columns: [
      { name: 'Role', value: (o) => spec<RoleBindingSpec>(o).role },
      {
        name: 'Scope',
        value: (o) => {
          const s = spec<RoleBindingSpec>(o).scope;
          return s.project ? `project ${s.tenant}/${s.project}` : s.tenant ? `tenant ${s.tenant}` : 'cluster';
        },
      },
      {
        name: 'Subjects',
        value: (o) =>
          spec<RoleBindingSpec>(o)
            .subjects.map((s) => `${s.kind}:${s.name}`)
            .join(','),
      },
    ],
  },
  {
    kind: 'Cohort',
    plural: 'cohorts',
    singular: 'cohort',
    shortNames: [],
    scope: 'cluster',
    tenancy: 'none',
    description: 'A group of queues that lend and borrow unused quota; cohorts form a tree.',
    spec: cohortSpec,
    status: genericStatus,
    columns: [{ name: 'Parent', value: (o) => (o.spec as { parent?: string }).parent ?? '-' }],
  },
  {
    kind: 'Queue',
    plural: 'queues',
    singular: 'queue',
    shortNames: ['q'],
    scope: 'cluster',
    tenancy: 'optional',
    description: 'Admits workloads against nominal quota per resource class, borrowing from its cohort.',
    spec: queueSpec,
    status: genericStatus,
    columns: [
      { name: 'Tenant', value: (o) => o.metadata.tenant ?? '-' },
      { name: 'Cohort', value: (o) => spec<QueueSpec>(o).cohort ?? '-' },
      { name: 'Strategy', value: (o) => spec<QueueSpec>(o).queueingStrategy },
      { name: 'Weight', wide: true, value: (o) => spec<QueueSpec>(o).fairShareWeight },
    ],
  },
  {
    kind: 'PriorityClass',
    plural: 'priorityclasses',
    singular: 'priorityclass',
    shortNames: ['pc'],
    scope: 'cluster',
    tenancy: 'none',
    description: 'A named priority value and whether its workloads may preempt others.',
    spec: priorityClassSpec,
    status: genericStatus,
    columns: [
      { name: 'Value', value: (o) => spec<PriorityClassSpec>(o).value },
      { name: 'Preemption', value: (o) => spec<PriorityClassSpec>(o).preemptionPolicy },
    ],
  },
  {
    kind: 'Workload',
    plural: 'workloads',
    singular: 'workload',
    shortNames: ['wl'],
    scope: 'project',
    tenancy: 'project',
    description: 'A gang of pod sets with their resources, queue, priority, topology and residency.',
    spec: workloadSpec,
    status: workloadStatus,
    columns: [
      { name: 'Queue', value: (o) => spec<WorkloadSpec>(o).queue },
      { name: 'Phase', value: (o) => (o.status as { phase?: string } | undefined)?.phase ?? 'Pending' },
      { name: 'Pods', value: (o) => spec<WorkloadSpec>(o).podSets.reduce((n, s) => n + s.count, 0) },
      // While it waits: its place in its queue (0 = next) and the kind of reason (explain gives the rest).
      { name: 'Position', value: (o) => pendingOf(o)?.ahead ?? '' },
      { name: 'Reason', value: (o) => pendingOf(o)?.reason ?? '' },
      { name: 'SLO', wide: true, value: (o) => spec<WorkloadSpec>(o).sloClass },
    ],
  },
];

const BY_NAME = new Map<string, KindDefinition>();
for (const def of KINDS) {
  for (const alias of [def.kind, def.plural, def.singular, ...def.shortNames])
    BY_NAME.set(alias.toLowerCase(), def);
}

/** Resolves a kind by Kind, plural, singular or short name, case-insensitively. */
export function findKind(nameOrAlias: string): KindDefinition | undefined {
  return BY_NAME.get(nameOrAlias.toLowerCase());
}

export function kindByPlural(plural: string): KindDefinition | undefined {
  const def = BY_NAME.get(plural);
  return def?.plural === plural ? def : undefined;
}

/** The tenant an object belongs to, or undefined for shared objects. */
export function ownerTenant(def: KindDefinition, object: { metadata: { name: string; tenant?: string } }) {
  return def.tenancy === 'self' ? object.metadata.name : object.metadata.tenant;
}
