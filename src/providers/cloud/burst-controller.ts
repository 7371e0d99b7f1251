/**
 * The burst autoscaler's shell (issue 6 item 6), leader-only. Each round it reads the store and:
 * 1. hands over the burst nodes their cloud says are up (the built-in simulated cloud: once the
 *    instance type's provisioning time has passed): NotReady "provisioning" becomes Ready, with
 *    `simulated: true` for the simulated cloud, whose nodes' pods the simulated provider runs. A node readiness change is a fleet change: the admission controller rebuilds its
 *    snapshot and places the waiting work there;
 * 2. gives back idle burst nodes: a Ready burst node no holding workload has used for the grace
 *    period is cordoned (`unschedulable`, so admission stops placing there), and deleted the next
 *    round if still idle;
 * 3. rents nodes for admissible work that cannot be placed: workloads Pending with reason
 *    `placement` whose queue has `spec.bursting.enabled`, and for which no burst node stands yet,
 *    go to the pure planner (burst-autoscaler.ts) with the catalog (InstanceType objects); each
 *    plan becomes, in one write, the region's Site and Cluster (created when missing) and the
 *    nodes, NotReady "provisioning" until their ready time. The workload's `Burst` condition says
 *    what was rented, or why nothing was (residency, budget, node limit, no fitting type).
 *
 * Every step is a store write as `system:autoscaler`, so audited; the nodes carry their instance
 * type, capacity type and price per second as labels.
 */

import type { Controller } from '../../controllers/controller.js';
import type { InstanceTypeSpec } from '../../model/cloud.js';
import type { NodeSpec, NodeStatus } from '../../model/fleet.js';
import { findKind } from '../../model/kinds.js';
import type { ApiObject } from '../../model/object.js';
import { bytesOf, coresOf } from '../../model/quantity-schema.js';
import type { QueueSpec, ResourceClassSpec, WorkloadSpec, WorkloadStatus } from '../../model/scheduling.js';
import type { TenantSpec } from '../../model/tenancy.js';
import { HOLDING_PHASES, withTransition } from '../../model/workload-history.js';
import { onCommitsThrottled } from '../../runtime/commit-throttle.js';
import { AlreadyExistsError, FencedError, NotFoundError, StaleVersionError } from '../../store/errors.js';
import type { Fence, MutationContext, Store, WriteTx } from '../../store/store.js';
import {
  type BurstCandidate,
  type BurstDecision,
  type BurstQueue,
  type CatalogEntry,
  idleBurstNodes,
  planBurst,
  type QueueUsage,
} from './burst-autoscaler.js';
import {
  BURST_FOR_ANNOTATION,
  BURST_LABEL,
  BURST_QUEUE_LABEL,
  type BurstNodeObject,
  burstNode,
  burstNodeName,
  CURRENCY_LABEL,
  cloudCluster,
  cloudSite,
  PRICE_LABEL,
  READY_AT_ANNOTATION,
  regionName,
} from './burst-node.js';
import { type CloudProvider, simulatedCloud } from './cloud-provider.js';

export interface BurstControllerOptions {
  /** Time between rounds, in real ms (rounds also follow commits). Default 2000. */
  readonly intervalMs?: number;
  /** How long a burst node stays idle before it is given back, in clock seconds. Default 300. */
  readonly idleGraceSeconds?: number;
  /** Cloud plug-ins by `spec.cloud`; instance types of any other cloud are rented from the built-in simulated one. */
  readonly clouds?: readonly CloudProvider[];
  readonly onError?: (error: unknown) => void;
}

export const DEFAULT_IDLE_GRACE_SECONDS = 300;
const SUBJECT = { name: 'system:autoscaler' } as const;
const CONDITION = 'Burst';

export function burstController(options: BurstControllerOptions = {}): Controller {
  return {
    name: 'burst-autoscaler',
    start({ store, clock, fence }) {
      const shell = new BurstShell(store, fence, options);
      const report =
        options.onError ?? ((e: unknown) => process.emitWarning(`burst autoscaler: ${String(e)}`));
      let stopped = false;
      let running = false;
      let again = false;
      const run = async () => {
        if (stopped) return;
        if (running) {
          again = true;
          return;
        }
        running = true;
        try {
          do {
            again = false;
            await shell.round(clock.now());
          } while (again && !stopped);
        } catch (error) {
          if (error instanceof FencedError) stopped = true;
          else report(error);
        } finally {
          running = false;
        }
      };
      const timer = setInterval(() => void run(), options.intervalMs ?? 2000);
      timer.unref();
      const unsubscribe = onCommitsThrottled(store, 200, () => void run());
      void run();
      return () => {
        stopped = true;
        clearInterval(timer);
        unsubscribe();
      };
    },
  };
}

type Kind =
  | 'Queue'
  | 'ResourceClass'
  | 'InstanceType'
  | 'Workload'
  | 'Node'
  | 'Site'
  | 'Cluster'
  | 'Project'
  | 'Tenant';
type World = Record<Kind, ApiObject[]>;

class BurstShell {
  /** When each burst node was last seen used (or handed over), epoch ms. */
  readonly #lastUsed = new Map<string, number>();
  /** Whether the last full round saw burst nodes (true until one has looked). */
  #mayHoldBurstNodes = true;
  #seq = 0;

  constructor(
    readonly store: Store,
    readonly fence: Fence,
    readonly options: BurstControllerOptions,
  ) {}

  async round(now: Date): Promise<void> {
    // Nothing to rent or to hand back while no queue bursts and no burst node is left: skip reading
    // the whole fleet (this runs on every burst of commits).
    const queues = await this.store.list({ kind: 'Queue' });
    const bursting = queues.items.some((q) => {
      const b = (q.spec as QueueSpec).bursting;
      return b !== undefined && b.enabled !== false;
    });
    if (!bursting && this.#lastUsed.size === 0 && !this.#mayHoldBurstNodes) return;
    const world = await this.#read();
    this.#mayHoldBurstNodes = world.Node.some((n) => n.metadata.labels?.[BURST_LABEL] === 'true');
    const nowMs = now.getTime();
    const burst = world.Node.filter((n) => n.metadata.labels?.[BURST_LABEL] === 'true');
    await this.#handOver(world, burst, now);
    await this.#scaleDown(world, burst, nowMs);
    await this.#scaleUp(world, burst, now);
  }

  async #read(): Promise<World> {
    const kinds: Kind[] = [
      'Queue',
      'ResourceClass',
      'InstanceType',
      'Workload',
      'Node',
      'Site',
      'Cluster',
      'Project',
      'Tenant',
    ];
    const lists = await Promise.all(kinds.map((kind) => this.store.list({ kind })));
    const world = {} as World;
    kinds.forEach((kind, i) => {
      const schema = findKind(kind)!.spec;
      // Specs with their defaults applied; an object that no longer validates is not trusted.
      world[kind] = lists[i]!.items.flatMap((o) => {
        const parsed = schema.safeParse(o.spec);
        return parsed.success ? [{ ...o, spec: parsed.data }] : [];
      });
    });
    return world;
  }

  /** The plug-in renting out instance types of `cloud`: the simulated cloud unless one was given. */
  #cloud(cloud: string): CloudProvider {
    return this.options.clouds?.find((c) => c.cloud === cloud) ?? simulatedCloud(cloud);
  }

  /** The cloud a burst node came from, by its Site (one per cloud region). */
  #cloudOf(node: ApiObject, world: World): CloudProvider {
    const cluster = world.Cluster.find((c) => c.metadata.name === (node.spec as NodeSpec).cluster);
    const site = world.Site.find(
      (x) => x.metadata.name === (cluster?.spec as { site?: string } | undefined)?.site,
    );
    return this.#cloud((site?.spec as { provider?: string } | undefined)?.provider ?? '');
  }

  /** Provisioning nodes their cloud has handed over become Ready. */
  async #handOver(world: World, burst: readonly ApiObject[], now: Date): Promise<void> {
    for (const node of burst) {
      const status = node.status as NodeStatus | undefined;
      if (status?.state !== 'NotReady') continue;
      const readyAt = Date.parse(node.metadata.annotations?.[READY_AT_ANNOTATION] ?? '');
      if (Number.isNaN(readyAt)) continue;
      const cloud = this.#cloudOf(node, world);
      if (!(await cloud.handedOver(node.metadata.name, new Date(readyAt), now))) continue;
      const ready: NodeStatus = {
        state: 'Ready',
        ...(cloud.simulated && { simulated: true }),
        message:
          `burst node from ${cloud.cloud}${cloud.simulated ? ' (simulated cloud)' : ''}: ready since ${now.toISOString()}; ` +
          `costs ${node.metadata.labels?.[PRICE_LABEL]} ${node.metadata.labels?.[CURRENCY_LABEL] ?? ''}/s`,
      };
      await this.#write('update-status', (tx) =>
        tx.updateStatus({ kind: 'Node', name: node.metadata.name }, ready, node.metadata.resourceVersion),
      );
      this.#lastUsed.set(node.metadata.name, now.getTime());
    }
  }

  async #scaleDown(world: World, burst: readonly ApiObject[], nowMs: number): Promise<void> {
    const busy = new Set<string>();
    for (const w of world.Workload) {
      const status = w.status as WorkloadStatus | undefined;
      if (!status || !HOLDING_PHASES.has(status.phase)) continue;
      for (const pod of status.admission?.pods ?? []) busy.add(pod.node);
    }
    const names = new Set(burst.map((n) => n.metadata.name));
    for (const name of this.#lastUsed.keys()) if (!names.has(name)) this.#lastUsed.delete(name);
    const states = burst.map((n) => {
      const name = n.metadata.name;
      const ready = (n.status as NodeStatus | undefined)?.state === 'Ready';
      if (busy.has(name) || !this.#lastUsed.has(name)) this.#lastUsed.set(name, nowMs);
      return { name, ready, busy: busy.has(name), lastUsedMs: this.#lastUsed.get(name)! };
    });
    const idle = new Set(
      idleBurstNodes(states, nowMs, (this.options.idleGraceSeconds ?? DEFAULT_IDLE_GRACE_SECONDS) * 1000),
    );
    for (const node of burst) {
      if (!idle.has(node.metadata.name)) continue;
      const spec = node.spec as NodeSpec;
      if (!spec.unschedulable) {
        // Cordon first: admission stops placing here before the node goes, so nothing lands on a node being deleted.
        await this.#write('update', (tx) =>
          tx.update({
            kind: 'Node',
            metadata: {
              name: node.metadata.name,
              ...(node.metadata.labels && { labels: node.metadata.labels }),
              ...(node.metadata.annotations && { annotations: node.metadata.annotations }),
              resourceVersion: node.metadata.resourceVersion,
            },
            spec: { ...spec, unschedulable: true },
          }),
        );
        continue;
      }
      await this.#cloudOf(node, world).release(node.metadata.name);
      await this.#write('delete', (tx) =>
        tx.delete({ kind: 'Node', name: node.metadata.name }, node.metadata.resourceVersion),
      );
      this.#lastUsed.delete(node.metadata.name);
    }
  }

  async #scaleUp(world: World, burst: readonly ApiObject[], now: Date): Promise<void> {
    const queues = burstQueues(world);
    if (queues.size === 0) return;
    const rentedFor = new Map<string, ApiObject[]>();
    for (const n of burst) {
      const key = n.metadata.annotations?.[BURST_FOR_ANNOTATION];
      if (key !== undefined) rentedFor.set(key, [...(rentedFor.get(key) ?? []), n]);
    }
    const tenants = new Map(world.Tenant.map((t) => [t.metadata.name, t.spec as TenantSpec]));
    const tenantOfProject = new Map(world.Project.map((p) => [p.metadata.name, p.metadata.tenant]));
    const placementPending = world.Workload.filter((w) => {
      const status = w.status as WorkloadStatus | undefined;
      return (
        status?.phase === 'Pending' &&
        status.pending?.reason === 'placement' &&
        queues.has((w.spec as WorkloadSpec).queue)
      );
    });
    // Work with nodes rented for it waits for them (no second rental); its condition names them.
    for (const w of placementPending) {
      const nodes = rentedFor.get(keyOf(w));
      if (nodes) await this.#condition(w, rentedCondition(nodes), now);
    }
    const waiting = placementPending
      .filter((w) => !rentedFor.has(keyOf(w)))
      .sort((a, b) => a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp));
    if (waiting.length === 0) return;
    const candidates = waiting.map((w) => {
      const tenant = w.metadata.tenant ?? tenantOfProject.get(w.metadata.project ?? '');
      return candidateOf(w as ApiObject<WorkloadSpec>, tenant ? tenants.get(tenant) : undefined);
    });
    const catalog: CatalogEntry[] = world.InstanceType.map((t) => ({
      name: t.metadata.name,
      spec: t.spec as InstanceTypeSpec,
    }));
    const decisions = planBurst({ candidates, queues, catalog, usage: usageOf(burst) });
    const taken = new Set(world.Node.map((n) => n.metadata.name));
    const sites = new Set(world.Site.map((s) => s.metadata.name));
    const clusters = new Set(world.Cluster.map((c) => c.metadata.name));
    const types = new Map(catalog.map((t) => [t.name, t.spec]));
    for (const [i, decision] of decisions.entries()) {
      const w = waiting[i]!;
      // A rental's condition is written next round, from the nodes as stored.
      if (decision.kind === 'provision')
        await this.#provision(decision, types, { taken, sites, clusters }, now);
      else await this.#condition(w, refusedCondition(decision), now);
    }
  }

  async #provision(
    decision: Extract<BurstDecision, { kind: 'provision' }>,
    types: ReadonlyMap<string, InstanceTypeSpec>,
    names: { taken: Set<string>; sites: Set<string>; clusters: Set<string> },
    now: Date,
  ): Promise<void> {
    const first = types.get(decision.nodes[0]!.instanceType)!;
    const region = regionName(decision.cloud, decision.region);
    const cloud = this.#cloud(decision.cloud);
    const nodes: BurstNodeObject[] = [];
    for (const planned of decision.nodes) {
      const type = types.get(planned.instanceType)!;
      const name = burstNodeName(planned.instanceType, names.taken);
      names.taken.add(name);
      const { readyAt } = await cloud.provision({
        node: name,
        instanceType: planned.instanceType,
        spec: type,
        spot: planned.spot,
        now,
      });
      nodes.push(
        burstNode({
          name,
          cluster: region,
          site: region,
          type,
          planned,
          queue: decision.queue,
          workload: decision.workload,
          readyAt: readyAt.toISOString(),
        }),
      );
    }
    const nodeKind = findKind('Node')!;
    for (const node of nodes) {
      const issues = nodeKind.check?.(nodeKind.spec.parse(node.spec)) ?? [];
      if (issues.length > 0)
        throw new Error(`burst node ${node.metadata.name} would be invalid: ${JSON.stringify(issues)}`);
    }
    const provisioning = (node: BurstNodeObject): NodeStatus => ({
      state: 'NotReady',
      ...(cloud.simulated && { simulated: true }),
      message: `provisioning: ${decision.cloud} hands it over at ${node.metadata.annotations[READY_AT_ANNOTATION]} (rented for ${decision.workload})`,
    });
    const written = await this.#write('create', async (tx) => {
      if (!names.sites.has(region))
        await tx.create({
          kind: 'Site',
          metadata: { name: region, labels: { [BURST_LABEL]: 'true' } },
          spec: cloudSite(first),
        });
      if (!names.clusters.has(region))
        await tx.create({
          kind: 'Cluster',
          metadata: { name: region, labels: { [BURST_LABEL]: 'true' } },
          spec: cloudCluster(region, first),
        });
      for (const node of nodes) {
        const created = await tx.create({ kind: 'Node', metadata: node.metadata, spec: node.spec });
        await tx.updateStatus(
          { kind: 'Node', name: node.metadata.name },
          provisioning(node),
          created.metadata.resourceVersion,
        );
      }
    });
    if (!written) {
      // The fleet changed under the plan (a name taken meanwhile): hand the machines back, plan again next round.
      for (const node of nodes) await cloud.release(node.metadata.name);
      return;
    }
    names.sites.add(region);
    names.clusters.add(region);
  }

  /** The workload's Burst condition, written only when it says something new. */
  async #condition(w: ApiObject, condition: BurstCondition, now: Date): Promise<void> {
    const status = w.status as WorkloadStatus;
    const old = status.conditions?.find((c) => c.type === CONDITION);
    if (
      old &&
      old.status === condition.status &&
      old.reason === condition.reason &&
      old.message === condition.message
    )
      return;
    const next = withTransition(
      status,
      {
        ...status,
        conditions: [
          ...(status.conditions ?? []).filter((c) => c.type !== CONDITION),
          { ...condition, lastTransitionTime: now.toISOString() },
        ],
      },
      now.toISOString(),
    );
    // When the admission controller wrote meanwhile, the condition is written again next round.
    await this.#write('update-status', (tx) =>
      tx.updateStatus(
        {
          kind: 'Workload',
          name: w.metadata.name,
          ...(w.metadata.project ? { project: w.metadata.project } : {}),
        },
        next,
        w.metadata.resourceVersion,
      ),
    );
  }

  /**
   * One audited write; false when the store moved on since the round read it (another writer got
   * there first, the object went or already exists): the next round decides again from fresh data.
   */
  async #write(verb: string, fn: (tx: WriteTx) => Promise<unknown>): Promise<boolean> {
    const context: MutationContext = {
      requestId: `autoscaler-${this.fence.epoch}-${++this.#seq}`,
      subject: SUBJECT,
      verb,
      fence: this.fence,
    };
    try {
      await this.store.write(context, fn);
      return true;
    } catch (error) {
      if (
        error instanceof StaleVersionError ||
        error instanceof NotFoundError ||
        error instanceof AlreadyExistsError
      )
        return false;
      throw error;
    }
  }
}

interface BurstCondition {
  readonly type: string;
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
}

/** What was rented for a workload, from the nodes as stored. */
function rentedCondition(nodes: readonly ApiObject[]): BurstCondition {
  const names = nodes.map((n) => n.metadata.name).sort();
  const perHour = nodes.reduce((sum, n) => sum + Number(n.metadata.labels?.[PRICE_LABEL] ?? 0) * 3600, 0);
  const currency = nodes[0]?.metadata.labels?.[CURRENCY_LABEL] ?? '';
  const cluster = (nodes[0]?.spec as NodeSpec | undefined)?.cluster;
  return {
    type: CONDITION,
    status: 'True',
    reason: 'Rented',
    message: `rented ${names.length} burst node${names.length === 1 ? '' : 's'} in ${cluster} for it (${names.join(', ')}), ${perHour.toFixed(2)} ${currency}/h`,
  };
}

function refusedCondition(decision: Extract<BurstDecision, { kind: 'refused' }>): BurstCondition {
  return {
    type: CONDITION,
    status: 'False',
    // "max-nodes" → "MaxNodes", the usual shape of a condition reason.
    reason: decision.reason.replace(/(^|-)([a-z])/g, (_, _d: string, c: string) => c.toUpperCase()),
    message: decision.message,
  };
}

function keyOf(w: ApiObject): string {
  return w.metadata.project ? `${w.metadata.project}/${w.metadata.name}` : w.metadata.name;
}

/** Queues that burst, with the resource classes of their quota. */
function burstQueues(world: World): Map<string, BurstQueue> {
  const classes = new Map(world.ResourceClass.map((c) => [c.metadata.name, c.spec as ResourceClassSpec]));
  const out = new Map<string, BurstQueue>();
  for (const q of world.Queue) {
    const spec = q.spec as QueueSpec;
    const bursting = spec.bursting;
    if (!bursting?.enabled) continue;
    out.set(q.metadata.name, {
      name: q.metadata.name,
      maxNodes: bursting.maxNodes,
      ...(bursting.maxCostPerHour !== undefined && { maxCostPerHour: bursting.maxCostPerHour }),
      ...(bursting.currency !== undefined && { currency: bursting.currency }),
      spot: bursting.spot,
      classes: spec.resources.flatMap((r) => {
        const c = classes.get(r.resourceClass);
        if (!c) return [];
        return [
          {
            name: r.resourceClass,
            ...(c.accelerator && { models: c.accelerator.models }),
            ...(c.accelerator?.migProfile !== undefined && { migProfile: c.accelerator.migProfile }),
            nodeSelector: c.nodeSelector,
          },
        ];
      }),
    });
  }
  return out;
}

function candidateOf(w: ApiObject<WorkloadSpec>, tenant: TenantSpec | undefined): BurstCandidate {
  const spec = w.spec;
  return {
    workload: keyOf(w),
    queue: spec.queue,
    podSets: spec.podSets.map((s) => {
      const a = s.resources.accelerators;
      return {
        name: s.name,
        count: s.count,
        cpu: coresOf(s.resources.cpu),
        memoryBytes: bytesOf(s.resources.memory),
        ...(a && {
          accelerator: {
            ...(a.count !== undefined && { count: a.count }),
            ...(a.milli !== undefined && { milli: a.milli }),
            ...(a.migProfile !== undefined && { migProfile: a.migProfile }),
            ...(a.minMemory !== undefined && { minMemoryBytes: bytesOf(a.minMemory) }),
            ...(a.models !== undefined && { models: a.models }),
          },
        }),
      };
    }),
    nvlinkRequired: spec.topology?.nvlink === 'required',
    ...(spec.residency && { residency: spec.residency.jurisdictions }),
    tenantJurisdictions: tenant?.allowedJurisdictions ?? [],
    nodeSelector: spec.nodeSelector ?? {},
  };
}

/** Burst nodes and their cost per hour, by the queue they were rented for. */
function usageOf(burst: readonly ApiObject[]): Map<string, QueueUsage> {
  const usage = new Map<string, QueueUsage>();
  for (const node of burst) {
    const queue = node.metadata.labels?.[BURST_QUEUE_LABEL];
    if (queue === undefined) continue;
    const price = Number(node.metadata.labels?.[PRICE_LABEL] ?? 0);
    const used = usage.get(queue) ?? { nodes: 0, costPerHour: 0 };
    usage.set(queue, { nodes: used.nodes + 1, costPerHour: used.costPerHour + price * 3600 });
  }
  return usage;
}
