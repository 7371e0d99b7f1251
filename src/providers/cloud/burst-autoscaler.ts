/**
 * The burst autoscaler's planner (issue 6 item 6), pure: given the workloads that are admissible but
 * cannot be placed (Pending with reason `placement`), their queues' bursting rules and the cloud
 * catalog, it decides which instance types to rent for each, or why none; given the burst nodes and
 * what runs on them, it decides which to give back.
 *
 * A workload's gang is planned in one region (its pods talk to each other), each pod set on the
 * cheapest instance type of that region that can hold its pods, packed as many to a node as the
 * type's GPUs, CPU and memory allow; the cheapest region wins. An instance type qualifies when its
 * accelerator model is one the workload and its queue's resource classes accept, its GPUs cover a
 * pod's request (whole GPUs without MIG, a share of one GPU, or slices of the instance's MIG
 * profile), whole-GPU gangs needing NVLink get an NVLink board, and its jurisdiction (country or
 * regime) is in the workload's residency list and the tenant's allowed jurisdictions. The queue's
 * `maxNodes` and `maxCostPerHour` count the burst nodes it holds already and the ones planned
 * earlier in the same pass; `spot` prices a type at its spot price when it has one.
 */
import { type AcceleratorModel, findAcceleratorModel } from '../../hardware/accelerator-models.js';
import { findMigProfile } from '../../hardware/mig.js';
import { type InstanceTypeSpec, pricePerHour } from '../../model/cloud.js';
import { bytesOf } from '../../model/quantity-schema.js';

/** One pod set of a workload, as the planner needs it (quantities already in cores and bytes). */
export interface BurstPodSet {
  readonly name: string;
  readonly count: number;
  readonly cpu: number;
  readonly memoryBytes: number;
  readonly accelerator?: {
    readonly count?: number;
    readonly milli?: number;
    readonly migProfile?: string;
    readonly minMemoryBytes?: number;
    /** Catalog ids or aliases the workload accepts; absent = any. */
    readonly models?: readonly string[];
  };
}

/** A resource class of the queue: the burst node must satisfy one, or admission would not use it. */
export interface BurstClass {
  readonly name: string;
  readonly models?: readonly string[];
  readonly migProfile?: string;
  readonly nodeSelector: Readonly<Record<string, string>>;
}

export interface BurstQueue {
  readonly name: string;
  readonly maxNodes: number;
  readonly maxCostPerHour?: number;
  /** When set, only instance types priced in this currency (no exchange rates are guessed). */
  readonly currency?: string;
  readonly spot: boolean;
  readonly classes: readonly BurstClass[];
}

/** A workload waiting for capacity, in the order it waits (oldest first). */
export interface BurstCandidate {
  /** `<project>/<name>`. */
  readonly workload: string;
  readonly queue: string;
  readonly podSets: readonly BurstPodSet[];
  readonly nvlinkRequired: boolean;
  /** Country codes or regimes; absent = anywhere. */
  readonly residency?: readonly string[];
  /** The tenant's allowed jurisdictions; empty = anywhere. */
  readonly tenantJurisdictions: readonly string[];
  readonly nodeSelector: Readonly<Record<string, string>>;
}

export interface CatalogEntry {
  readonly name: string;
  readonly spec: InstanceTypeSpec;
}

/** One node to rent. */
export interface PlannedNode {
  readonly instanceType: string;
  readonly podSet: string;
  readonly spot: boolean;
  readonly pricePerSecond: number;
  readonly currency: string;
  /** Labels the node needs for admission to use it: the chosen class's and the workload's selectors. */
  readonly labels: Readonly<Record<string, string>>;
}

export type BurstRefusal =
  | 'no-instance-type'
  | 'residency'
  | 'currency'
  | 'max-nodes'
  | 'budget'
  | 'not-bursting';

export type BurstDecision =
  | {
      readonly kind: 'provision';
      readonly workload: string;
      readonly queue: string;
      readonly cloud: string;
      readonly region: string;
      readonly nodes: readonly PlannedNode[];
      readonly costPerHour: number;
    }
  | {
      readonly kind: 'refused';
      readonly workload: string;
      readonly queue: string;
      readonly reason: BurstRefusal;
      readonly message: string;
    };

/** Burst nodes a queue holds already (provisioning or Ready). */
export interface QueueUsage {
  readonly nodes: number;
  readonly costPerHour: number;
}

export interface BurstPlanInput {
  readonly candidates: readonly BurstCandidate[];
  /** Queues with bursting enabled, by name. */
  readonly queues: ReadonlyMap<string, BurstQueue>;
  readonly catalog: readonly CatalogEntry[];
  readonly usage: ReadonlyMap<string, QueueUsage>;
}

/** Decisions for every candidate, in order; each one's nodes count against its queue's limits for the next. */
export function planBurst(input: BurstPlanInput): BurstDecision[] {
  const usage = new Map(input.usage);
  const decisions: BurstDecision[] = [];
  for (const candidate of input.candidates) {
    const queue = input.queues.get(candidate.queue);
    if (!queue) {
      decisions.push(refused(candidate, 'not-bursting', `queue ${candidate.queue} does not allow bursting`));
      continue;
    }
    const used = usage.get(queue.name) ?? { nodes: 0, costPerHour: 0 };
    const decision = planOne(candidate, queue, input.catalog, used);
    if (decision.kind === 'provision') {
      usage.set(queue.name, {
        nodes: used.nodes + decision.nodes.length,
        costPerHour: used.costPerHour + decision.costPerHour,
      });
    }
    decisions.push(decision);
  }
  return decisions;
}

interface RegionPlan {
  readonly cloud: string;
  readonly region: string;
  readonly nodes: PlannedNode[];
  readonly costPerHour: number;
}

function planOne(
  candidate: BurstCandidate,
  queue: BurstQueue,
  catalog: readonly CatalogEntry[],
  used: QueueUsage,
): BurstDecision {
  const byShape = catalog.filter((t) =>
    candidate.podSets.some((s) => podsPerNode(t.spec, s, candidate, queue)),
  );
  if (byShape.length === 0) {
    return refused(
      candidate,
      'no-instance-type',
      'no instance type of the catalog can hold a pod of it (accelerator model, count, MIG profile, CPU or memory)',
    );
  }
  const inCurrency = byShape.filter(
    (t) => queue.currency === undefined || t.spec.currency === queue.currency,
  );
  if (inCurrency.length === 0) {
    return refused(candidate, 'currency', `no fitting instance type is priced in ${queue.currency}`);
  }
  const allowed = inCurrency.filter((t) => jurisdictionAllowed(t.spec, candidate));
  if (allowed.length === 0) {
    const where = [
      ...(candidate.residency ? [`residency ${candidate.residency.join(', ')}`] : []),
      ...(candidate.tenantJurisdictions.length > 0
        ? [`tenant jurisdictions ${candidate.tenantJurisdictions.join(', ')}`]
        : []),
    ].join(' and ');
    return refused(candidate, 'residency', `every fitting instance type is outside ${where}`);
  }
  const plans = regionPlans(candidate, queue, allowed).sort((a, b) => a.costPerHour - b.costPerHour);
  if (plans.length === 0) {
    return refused(
      candidate,
      'no-instance-type',
      'no single region offers instance types for every pod set of the gang',
    );
  }
  const withinNodes = plans.filter((p) => used.nodes + p.nodes.length <= queue.maxNodes);
  if (withinNodes.length === 0) {
    const fewest = Math.min(...plans.map((p) => p.nodes.length));
    return refused(
      candidate,
      'max-nodes',
      `needs ${fewest} burst node${fewest === 1 ? '' : 's'} but queue ${queue.name} holds ${used.nodes} of at most ${queue.maxNodes}`,
    );
  }
  const max = queue.maxCostPerHour;
  const affordable = withinNodes.filter(
    (p) => max === undefined || used.costPerHour + p.costPerHour <= max + 1e-9,
  );
  const best = affordable[0];
  if (best === undefined) {
    const cheapest = withinNodes[0]!;
    return refused(
      candidate,
      'budget',
      `the cheapest plan costs ${cheapest.costPerHour.toFixed(2)}/h but queue ${queue.name} spends ` +
        `${used.costPerHour.toFixed(2)}/h of at most ${max}/h on burst nodes`,
    );
  }
  return {
    kind: 'provision',
    workload: candidate.workload,
    queue: queue.name,
    cloud: best.cloud,
    region: best.region,
    nodes: best.nodes,
    costPerHour: best.costPerHour,
  };
}

/** For each cloud region offering a type for every pod set: the cheapest nodes for each pod set there. */
function regionPlans(
  candidate: BurstCandidate,
  queue: BurstQueue,
  types: readonly CatalogEntry[],
): RegionPlan[] {
  const regions = new Map<string, CatalogEntry[]>();
  for (const t of types) {
    const key = `${t.spec.cloud}\u0000${t.spec.region}`;
    regions.set(key, [...(regions.get(key) ?? []), t]);
  }
  const plans: RegionPlan[] = [];
  for (const entries of regions.values()) {
    const nodes: PlannedNode[] = [];
    let cost = 0;
    let complete = true;
    for (const set of candidate.podSets) {
      let best: { entry: CatalogEntry; count: number; cost: number; fit: ShapeFit } | undefined;
      for (const entry of entries) {
        const fit = podsPerNode(entry.spec, set, candidate, queue);
        if (!fit) continue;
        const count = Math.ceil(set.count / fit.pods);
        const total = count * pricePerHour(entry.spec, queue.spot);
        if (!best || total < best.cost || (total === best.cost && entry.name < best.entry.name))
          best = { entry, count, cost: total, fit };
      }
      if (!best) {
        complete = false;
        break;
      }
      const spot = queue.spot && best.entry.spec.pricePerSecond.spot !== undefined;
      for (let i = 0; i < best.count; i++) {
        nodes.push({
          instanceType: best.entry.name,
          podSet: set.name,
          spot,
          pricePerSecond: pricePerHour(best.entry.spec, spot) / 3600,
          currency: best.entry.spec.currency,
          labels: { ...best.fit.class.nodeSelector, ...candidate.nodeSelector },
        });
      }
      cost += best.cost;
    }
    const first = entries[0]!.spec;
    if (complete) plans.push({ cloud: first.cloud, region: first.region, nodes, costPerHour: cost });
  }
  return plans;
}

interface ShapeFit {
  readonly pods: number;
  readonly class: BurstClass;
}

/** How many pods of `set` one node of this type holds, and the queue's class it satisfies; undefined when none. */
function podsPerNode(
  type: InstanceTypeSpec,
  set: BurstPodSet,
  candidate: BurstCandidate,
  queue: BurstQueue,
): ShapeFit | undefined {
  const model = findAcceleratorModel(type.accelerator.model);
  if (!model) return undefined;
  const byCpu = Math.floor(type.cpu.cores / set.cpu);
  const byMemory =
    set.memoryBytes > 0 ? Math.floor(bytesOf(type.memory) / set.memoryBytes) : Number.POSITIVE_INFINITY;
  const byGpu = set.accelerator
    ? podsByAccelerator(type, model, set.accelerator, candidate.nvlinkRequired)
    : Infinity;
  const pods = Math.min(byCpu, byMemory, byGpu);
  if (!(pods >= 1)) return undefined;
  const cls = queue.classes.find((c) => classAccepts(c, model, set));
  return cls ? { pods, class: cls } : undefined;
}

function podsByAccelerator(
  type: InstanceTypeSpec,
  model: AcceleratorModel,
  request: NonNullable<BurstPodSet['accelerator']>,
  nvlinkRequired: boolean,
): number {
  if (request.models && !request.models.some((m) => sameModel(m, model))) return 0;
  if (request.migProfile !== undefined) {
    const wanted = findMigProfile(model, request.migProfile);
    const offered = type.accelerator.migProfile && findMigProfile(model, type.accelerator.migProfile);
    if (!wanted || !offered || wanted.name !== offered.name) return 0;
    if (request.minMemoryBytes !== undefined && request.minMemoryBytes > wanted.memoryGiB * 2 ** 30) return 0;
    return wanted.maxInstances * type.accelerator.count;
  }
  // Whole GPUs and shares of one are not handed out from a GPU in MIG mode.
  if (type.accelerator.migProfile !== undefined) return 0;
  if (request.minMemoryBytes !== undefined && request.minMemoryBytes > model.memoryGiB * 2 ** 30) return 0;
  if (request.milli !== undefined) return type.accelerator.count * Math.floor(1000 / request.milli);
  const count = request.count ?? 1;
  if (nvlinkRequired && count > 1 && model.interconnect.kind !== 'nvlink') return 0;
  return Math.floor(type.accelerator.count / count);
}

function classAccepts(c: BurstClass, model: AcceleratorModel, set: BurstPodSet): boolean {
  if (!set.accelerator) return c.models === undefined;
  if (c.models === undefined) return false;
  if (!c.models.some((m) => sameModel(m, model))) return false;
  const wanted = set.accelerator.migProfile;
  if (c.migProfile === undefined) return wanted === undefined;
  if (wanted === undefined) return false;
  return findMigProfile(model, c.migProfile)?.name === findMigProfile(model, wanted)?.name;
}

function sameModel(name: string, model: AcceleratorModel): boolean {
  return findAcceleratorModel(name)?.id === model.id;
}

function jurisdictionAllowed(type: InstanceTypeSpec, candidate: BurstCandidate): boolean {
  const { country, regime } = type.jurisdiction;
  const inList = (list: readonly string[]) => list.includes(country) || list.includes(regime);
  if (candidate.residency && !inList(candidate.residency)) return false;
  return candidate.tenantJurisdictions.length === 0 || inList(candidate.tenantJurisdictions);
}

function refused(candidate: BurstCandidate, reason: BurstRefusal, message: string): BurstDecision {
  return { kind: 'refused', workload: candidate.workload, queue: candidate.queue, reason, message };
}

/** A burst node as the scale-down rule sees it. */
export interface BurstNodeState {
  readonly name: string;
  readonly ready: boolean;
  /** Whether a workload holding a booking (Admitted, Running) has a pod on it. */
  readonly busy: boolean;
  /** When it was last seen busy, or became Ready (epoch ms). */
  readonly lastUsedMs: number;
}

/** The burst nodes to give back: Ready, idle, and idle for at least `graceMs`. */
export function idleBurstNodes(nodes: readonly BurstNodeState[], nowMs: number, graceMs: number): string[] {
  return nodes.filter((n) => n.ready && !n.busy && nowMs - n.lastUsedMs >= graceMs).map((n) => n.name);
}
