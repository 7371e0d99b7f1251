/**
 * The live placement snapshot (issue 4 item 1): the fleet as flat typed arrays, built once from
 * Site / Cluster / Node objects (and Tenants / Projects for isolation and jurisdictions), then
 * updated incrementally on every bind and release — never rebuilt per decision.
 *
 * CPU, memory and whole / fractional milli-GPU arithmetic stays in GpuFleet (the hot core the
 * simulator shares). MIG-enabled GPUs are carved into instances, so they are booked in GpuFleet at
 * construction (all 1000 milli taken) and never seen by whole or fractional pods; MIG pods book their
 * CPU and memory in GpuFleet as CPU-only pods and their slice here. Everything GpuFleet does not know
 * lives in this class's own arrays: site, jurisdiction, readiness, rack / block / rails, per-GPU model,
 * memory, NUMA node, NVLink domain, MIG instances, per-NUMA CPU, per-site power draw, and which
 * isolation units (tenants, or hard-isolated projects) have work on each node and GPU.
 *
 * Indexes so that a decision does not scan every node:
 * - a capacity grid per accelerator-model group: every node sits in exactly one cell of
 *   (free CPU / 8 cores) × (free milli-GPU / 500), kept as intrusive doubly-linked lists in typed
 *   arrays and moved in O(1) on bind / release. A bounded scorer (BestFit) walks the cells best-first
 *   and stops when no remaining cell can beat the current top candidates (branch and bound).
 * - node lists per model group (`modelNodes`);
 * - a static-eligibility cache per constraint signature (see placement-signature.ts), updated per
 *   node change.
 *
 * Power draw estimate (documented, not measured): a site draws the sum of its nodes' idle watts plus,
 * per bound GPU, its model's TDP × the share booked (1 for a whole GPU, milli / 1000 for a fraction,
 * memory slices / 8 for a MIG instance). Models without a published TDP count 0. CPU-only pods add 0.
 *
 * Pure: no I/O, no clock.
 */
import { type AcceleratorModel, findAcceleratorModel } from '../hardware/accelerator-models.js';
import { findMigProfile, freeMigStarts, placeMigLayout } from '../hardware/mig.js';
import type { ClusterSpec, NodeSpec, NodeStatus, SiteSpec, Taint } from '../model/fleet.js';
import type { ApiObject, StringMap } from '../model/object.js';
import { bytesOf } from '../model/quantity-schema.js';
import type { ProjectSpec, TenantSpec } from '../model/tenancy.js';
import { type CompiledPod, GpuFleet, MILLI_PER_GPU, OverCommitError } from './gpu-fleet.js';

export const MIB = 2 ** 20;
/**
 * Capacity grid. CPU: 17 levels of 8 cores (free in [level × 8000, level × 8000 + 8000), the top one
 * open). GPU: level 0 = no free milli-GPU at all, level L ≥ 1 = free in ((L − 1) × 250, L × 250],
 * 33 levels (the top one open): a quarter GPU apart, so packed nodes sit apart from nodes with a
 * sliver left.
 */
export const CPU_CELL_MILLI = 8000;
export const CPU_LEVELS = 17;
export const GPU_CELL_MILLI = 250;
export const GPU_LEVELS = 34;
export const CELLS_PER_GROUP = CPU_LEVELS * GPU_LEVELS;

export function gpuLevel(freeMilli: number): number {
  return freeMilli <= 0 ? 0 : Math.min(GPU_LEVELS - 1, 1 + Math.floor((freeMilli - 1) / GPU_CELL_MILLI));
}

/** Least free milli-GPU a node at this GPU level has. */
export function gpuLevelMin(level: number): number {
  return level === 0 ? 0 : (level - 1) * GPU_CELL_MILLI + 1;
}

export interface FleetSnapshotInput {
  readonly sites: readonly ApiObject<SiteSpec>[];
  readonly clusters: readonly ApiObject<ClusterSpec>[];
  readonly nodes: readonly ApiObject<NodeSpec, NodeStatus>[];
  readonly tenants?: readonly ApiObject<TenantSpec>[];
  readonly projects?: readonly ApiObject<ProjectSpec>[];
}

/** One MIG instance that exists on a GPU: declared in the Node's layout, or created for a pod. */
export interface MigInstanceState {
  readonly profile: string;
  readonly start: number;
  readonly size: number;
  readonly declared: boolean;
  inUse: boolean;
}

/** Where a pod goes inside a node: GPUs (local indices), the MIG slice, the NUMA node when aligned. */
export interface GpuAssignment {
  readonly gpus: readonly number[];
  readonly mig?: { readonly gpu: number; readonly profile: string; readonly start: number };
  /** The NUMA node CPU, GPUs and NIC share when the pod is NUMA-aligned; -1 otherwise. */
  readonly numa: number;
}

/** What a bind booked: plain data, enough to release it exactly and to record it. */
export interface Binding {
  readonly pod: string;
  readonly node: string;
  readonly gpus: readonly number[];
  readonly gpuUuids: readonly string[];
  readonly mig?: {
    readonly gpu: number;
    readonly profile: string;
    readonly start: number;
    /** True when the instance was created for this pod (destroyed on release). */
    readonly created: boolean;
  };
  readonly numa: number;
  /** Milli-CPU taken from each NUMA node of the node, by NUMA index. */
  readonly cpuByNuma: readonly number[];
  readonly drawWatts: number;
  /** Isolation unit: the tenant, or "tenant/project" for a hard-isolated project; "" for no tenant. */
  readonly isolationUnit: string;
}

/** What the snapshot needs of a pod to book it (a PreparedPod satisfies it). */
export interface BindablePod {
  readonly id: string;
  readonly compiled: CompiledPod;
  readonly cpuMilli: number;
  readonly gpuMilli: number;
  readonly migProfile: string | undefined;
  readonly unit: number;
}

export class SnapshotRebuildRequiredError extends Error {
  constructor(
    readonly node: string,
    readonly why: string,
  ) {
    super(`node ${node}: ${why}; rebuild the snapshot (bindings can be re-applied with bind)`);
    this.name = 'SnapshotRebuildRequiredError';
  }
}

/** Small string ↔ dense integer table. */
export class Interner {
  readonly values: string[] = [];
  readonly #ids = new Map<string, number>();
  id(value: string): number {
    let id = this.#ids.get(value);
    if (id === undefined) {
      id = this.values.push(value) - 1;
      this.#ids.set(value, id);
    }
    return id;
  }
  find(value: string): number {
    return this.#ids.get(value) ?? -1;
  }
}

/** Canonical catalog id of a model name (or the name itself, for a model outside the catalog). */
export function canonicalModel(name: string): string {
  return findAcceleratorModel(name)?.id ?? name.trim();
}

export class FleetSnapshot {
  readonly fleet: GpuFleet;
  readonly size: number;
  readonly names: readonly string[];
  readonly #index = new Map<string, number>();

  // sites
  readonly siteNames: readonly string[];
  readonly siteCountry: readonly string[];
  readonly siteRegime: readonly string[];
  readonly siteBudgetW: Float64Array;
  readonly siteDrawW: Float64Array;
  readonly siteIdleW: Float64Array;

  // per node, static (changed only by updateNode)
  readonly nodeSite: Int32Array;
  readonly nodeLabels: StringMap[];
  readonly nodeTaints: (readonly Taint[])[];
  readonly nodeReady: Uint8Array;
  readonly nodeUnschedulable: Uint8Array;
  readonly nodeRack: Int32Array;
  readonly nodeBlock: Int32Array;
  /** Rails (interned) of each node's RDMA NICs. */
  readonly nodeRails: (readonly number[])[];
  /** Bit u set = the node has a NIC on NUMA node u. */
  readonly nodeNicNumaMask: Uint32Array;
  readonly nodeNicCount: Uint8Array;
  readonly nodeNumaCount: Uint8Array;
  readonly numaStart: Int32Array;
  readonly numaCpuCapacity: Int32Array;
  readonly numaCpuFree: Int32Array;
  readonly nodeMemCapacityMib: Float64Array;
  readonly nodeIdleW: Float64Array;
  /** Node group in the capacity grid: a GpuFleet model id, then CPU-only, then mixed-model nodes. */
  readonly nodeGroup: Int32Array;
  /** Model ids (this.models) present on each node, as a bit set. */
  readonly nodeModelBits: Uint32Array;
  /** Version of each node's static attributes: bumped by updateNode, read by signature caches. */
  readonly nodeStaticVersion: Uint32Array;
  /** Node indices in the order updateNode changed them; signature caches replay it. */
  readonly nodeChangeLog: number[] = [];
  /** Bumped by setTenancy: what was derived from tenants and projects (a prepared pod) is stale. */
  tenancyVersion = 0;
  /** Nodes per capacity-grid group (a GpuFleet model id, then CPU-only, then mixed-model nodes). */
  readonly modelNodes: (readonly number[])[];
  /** Nodes with at least one GPU of each model, by model id (this.models). */
  readonly nodesByModel: (readonly number[])[];

  // per GPU (indexed fleet.gpuStart[node] + local index), static
  readonly models = new Interner();
  readonly catalogModels: (AcceleratorModel | undefined)[] = [];
  readonly gpuModel: Int16Array;
  readonly gpuMemMib: Float64Array;
  readonly gpuNuma: Uint8Array;
  /** Interned NVLink domain, -1 when the GPU has none. */
  readonly gpuNvlink: Int32Array;
  readonly gpuMig: Uint8Array;
  readonly gpuTdpW: Float64Array;
  readonly gpuUuid: readonly string[];
  readonly migInstances: MigInstanceState[][];

  // isolation: per node and per GPU, which units have work (sole unit: -1 none, -2 several)
  readonly units = new Interner();
  readonly unitHard: number[] = [];
  readonly nodeSoleUnit: Int32Array;
  readonly nodeHardPods: Uint32Array;
  readonly gpuSoleUnit: Int32Array;
  readonly #nodeUnitCounts: (Map<number, number> | undefined)[];
  readonly #gpuUnitCounts: (Map<number, number> | undefined)[];

  // capacity grid
  readonly groupCount: number;
  readonly cellHead: Int32Array;
  readonly cellNext: Int32Array;
  readonly cellPrev: Int32Array;
  readonly nodeCell: Int32Array;
  /** Most fully free non-MIG GPUs on one NUMA node / in one NVLink domain (necessary-condition prefilters). */
  readonly nodeNumaFullMax: Uint8Array;
  readonly nodeNvlinkFullMax: Uint8Array;

  readonly domains = new Interner();
  readonly #tenants = new Map<string, TenantSpec>();
  readonly #projects = new Map<string, ProjectSpec>();
  readonly #bound = new Map<
    string,
    { pod: BindablePod; binding: Binding; nodeIndex: number; hard: boolean }
  >();
  readonly #hardwareKey: string[];
  /** Per site, 1 when the power filter may reject one of its nodes (powerMayReject; built on first use). */
  #sitePowerBinds: Uint8Array | undefined;

  constructor(input: FleetSnapshotInput) {
    for (const t of input.tenants ?? []) this.#tenants.set(t.metadata.name, t.spec);
    for (const p of input.projects ?? []) this.#projects.set(p.metadata.name, p.spec);
    const sites = input.sites;
    const siteIndex = new Map(sites.map((s, i) => [s.metadata.name, i]));
    const clusterSite = new Map(
      input.clusters.map((c) => [c.metadata.name, siteIndex.get(c.spec.site) ?? -1]),
    );
    this.siteNames = sites.map((s) => s.metadata.name);
    this.siteCountry = sites.map((s) => s.spec.jurisdiction.country);
    this.siteRegime = sites.map((s) => s.spec.jurisdiction.regime);
    this.siteBudgetW = Float64Array.from(sites, (s) => s.spec.powerBudgetKW * 1000);
    this.siteDrawW = new Float64Array(sites.length);
    this.siteIdleW = new Float64Array(sites.length);

    const nodes = input.nodes;
    const n = nodes.length;
    this.size = n;
    this.names = nodes.map((x) => x.metadata.name);
    nodes.forEach((x, i) => {
      if (this.#index.has(x.metadata.name)) throw new Error(`node ${x.metadata.name} appears twice`);
      this.#index.set(x.metadata.name, i);
    });
    this.fleet = new GpuFleet(
      nodes.map((x) => ({
        name: x.metadata.name,
        cpuMilli: Math.round(x.spec.cpu.cores * 1000),
        memoryMib: Math.floor(bytesOf(x.spec.memory) / MIB),
        gpuCount: x.spec.accelerators.length,
        model: x.spec.accelerators[0] ? canonicalModel(x.spec.accelerators[0].model) : '',
      })),
    );
    const totalGpus = nodes.reduce((sum, x) => sum + x.spec.accelerators.length, 0);
    const numaTotal = nodes.reduce((sum, x) => sum + x.spec.cpu.numaNodes, 0);

    this.nodeSite = new Int32Array(n);
    this.nodeLabels = [];
    this.nodeTaints = [];
    this.nodeReady = new Uint8Array(n);
    this.nodeUnschedulable = new Uint8Array(n);
    this.nodeRack = new Int32Array(n);
    this.nodeBlock = new Int32Array(n);
    this.nodeRails = [];
    this.nodeNicNumaMask = new Uint32Array(n);
    this.nodeNicCount = new Uint8Array(n);
    this.nodeNumaCount = new Uint8Array(n);
    this.numaStart = new Int32Array(n);
    this.numaCpuCapacity = new Int32Array(numaTotal);
    this.numaCpuFree = new Int32Array(numaTotal);
    this.nodeMemCapacityMib = new Float64Array(n);
    this.nodeIdleW = new Float64Array(n);
    this.nodeGroup = new Int32Array(n);
    this.nodeModelBits = new Uint32Array(n);
    this.nodeStaticVersion = new Uint32Array(n);
    this.gpuModel = new Int16Array(totalGpus);
    this.gpuMemMib = new Float64Array(totalGpus);
    this.gpuNuma = new Uint8Array(totalGpus);
    this.gpuNvlink = new Int32Array(totalGpus);
    this.gpuMig = new Uint8Array(totalGpus);
    this.gpuTdpW = new Float64Array(totalGpus);
    this.migInstances = [];
    const uuids: string[] = [];
    this.nodeSoleUnit = new Int32Array(n).fill(-1);
    this.nodeHardPods = new Uint32Array(n);
    this.gpuSoleUnit = new Int32Array(totalGpus).fill(-1);
    this.#nodeUnitCounts = new Array(n).fill(undefined);
    this.#gpuUnitCounts = new Array(totalGpus).fill(undefined);
    this.#hardwareKey = [];

    const fleetModels = this.fleet.models.length;
    this.groupCount = fleetModels + 2;
    const modelNodes: number[][] = [];

    let numa = 0;
    for (let i = 0; i < n; i++) {
      const node = nodes[i]!;
      const spec = node.spec;
      this.#hardwareKey.push(hardwareKey(spec));
      this.#setMutableAttributes(i, node);
      this.nodeSite[i] = clusterSite.get(spec.cluster) ?? -1;
      const numaCount = spec.cpu.numaNodes;
      if (numaCount > 32) throw new RangeError(`node ${node.metadata.name}: more than 32 NUMA nodes`);
      this.nodeNumaCount[i] = numaCount;
      this.numaStart[i] = numa;
      const cpu = Math.round(spec.cpu.cores * 1000);
      for (let u = 0; u < numaCount; u++) {
        // Cores split evenly over NUMA nodes, the remainder on the first ones.
        const share = Math.floor(cpu / numaCount) + (u < cpu % numaCount ? 1 : 0);
        this.numaCpuCapacity[numa + u] = share;
        this.numaCpuFree[numa + u] = share;
      }
      numa += numaCount;
      this.nodeMemCapacityMib[i] = this.fleet.memFree[i]!;
      this.nodeIdleW[i] = spec.power?.idleWatts ?? 0;
      let nicMask = 0;
      const rails: number[] = [];
      for (const nic of spec.nics) {
        nicMask |= 1 << nic.numaNode;
        if (nic.rdma && nic.rail !== undefined) {
          const rail = this.domains.id(`rail:${nic.rail}`);
          if (!rails.includes(rail)) rails.push(rail);
        }
      }
      this.nodeNicNumaMask[i] = nicMask;
      this.nodeNicCount[i] = Math.min(255, spec.nics.length);
      this.nodeRails.push(rails);

      const start = this.fleet.gpuStart[i]!;
      let bits = 0;
      const migGpus: number[] = [];
      spec.accelerators.forEach((acc, local) => {
        const g = start + local;
        const model = canonicalModel(acc.model);
        const id = this.models.id(model);
        if (id > 30) throw new RangeError('more than 31 accelerator models in one fleet');
        const catalog = findAcceleratorModel(acc.model);
        this.catalogModels[id] = catalog;
        bits |= 1 << id;
        this.gpuModel[g] = id;
        this.gpuMemMib[g] =
          acc.memory !== undefined ? bytesOf(acc.memory) / MIB : (catalog?.memoryGiB ?? 0) * 1024;
        this.gpuNuma[g] = acc.numaNode;
        this.gpuNvlink[g] = acc.nvlinkDomain !== undefined ? this.domains.id(`nvl:${acc.nvlinkDomain}`) : -1;
        this.gpuTdpW[g] = catalog?.tdpWatts ?? 0;
        uuids.push(acc.uuid);
        const instances: MigInstanceState[] = [];
        if (acc.mig?.mode === 'enabled') {
          this.gpuMig[g] = 1;
          migGpus.push(local);
          if (!catalog) throw new Error(`node ${node.metadata.name}: MIG on unknown model ${acc.model}`);
          const placed = placeMigLayout(catalog, acc.mig.layout);
          if (!placed.ok) {
            throw new Error(
              `node ${node.metadata.name} GPU ${acc.index}: invalid MIG layout: ${placed.issues[0]?.message}`,
            );
          }
          for (const p of placed.placements) {
            instances.push({
              profile: p.profile,
              start: p.start,
              size: p.size,
              declared: true,
              inUse: false,
            });
          }
        }
        this.migInstances.push(instances);
      });
      this.nodeModelBits[i] = bits;
      const mixed = (bits & (bits - 1)) !== 0;
      const fleetModel = this.fleet.modelId[i]!;
      const group = mixed ? fleetModels + 1 : fleetModel < 0 ? fleetModels : fleetModel;
      this.nodeGroup[i] = group;
      const members = modelNodes[group] ?? [];
      members.push(i);
      modelNodes[group] = members;
      if (migGpus.length > 0) {
        // MIG GPUs are carved into instances: take them away from whole and fractional pods for good.
        const reserve = this.fleet.compile({
          cpuMilli: 0,
          memoryMib: 0,
          numGpu: migGpus.length,
          gpuMilli: MILLI_PER_GPU,
          models: [],
        });
        this.fleet.bind(i, reserve, migGpus);
      }
      const site = this.nodeSite[i]!;
      if (site >= 0) {
        this.siteIdleW[site]! += this.nodeIdleW[i]!;
        this.siteDrawW[site]! += this.nodeIdleW[i]!;
      }
    }
    this.gpuUuid = uuids;
    this.modelNodes = Array.from({ length: this.groupCount }, (_, g) => modelNodes[g] ?? []);
    this.nodesByModel = this.models.values.map((_, m) => {
      const list: number[] = [];
      for (let i = 0; i < n; i++) if ((this.nodeModelBits[i]! & (1 << m)) !== 0) list.push(i);
      return list;
    });

    this.cellHead = new Int32Array(this.groupCount * CELLS_PER_GROUP).fill(-1);
    this.cellNext = new Int32Array(n).fill(-1);
    this.cellPrev = new Int32Array(n).fill(-1);
    this.nodeCell = new Int32Array(n).fill(-1);
    this.nodeNumaFullMax = new Uint8Array(n);
    this.nodeNvlinkFullMax = new Uint8Array(n);
    for (let i = n - 1; i >= 0; i--) {
      this.#link(i, this.#cellOf(i));
      this.#refreshTopology(i);
    }
  }

  /** Nodes with a GPU of this model (catalog id or alias); empty for a model the fleet lacks. */
  nodesOfModel(idOrAlias: string): readonly number[] {
    return this.nodesByModel[this.models.find(canonicalModel(idOrAlias))] ?? [];
  }

  /** Index of a node by name, or -1. */
  indexOf(name: string): number {
    return this.#index.get(name) ?? -1;
  }

  /**
   * Replaces the Tenants and Projects the snapshot knows. Pods prepared afterwards see the new
   * isolation and allowed jurisdictions (jurisdictions are part of the constraint signature, so a
   * change gives a new signature); pods already bound keep the isolation they were bound with
   * until they are released.
   */
  setTenancy(
    tenants: readonly ApiObject<TenantSpec>[],
    projects: readonly ApiObject<ProjectSpec>[] = [],
  ): void {
    this.tenancyVersion++;
    this.#tenants.clear();
    this.#projects.clear();
    for (const t of tenants) this.#tenants.set(t.metadata.name, t.spec);
    for (const p of projects) this.#projects.set(p.metadata.name, p.spec);
  }

  tenantSpec(name: string | undefined): TenantSpec | undefined {
    return name === undefined ? undefined : this.#tenants.get(name);
  }

  /**
   * The isolation unit of a pod's owner: a hard-isolated project is its own unit, otherwise the
   * tenant is; hard when the tenant or the project asks for hard isolation. Pods without a tenant
   * (platform work) form the shared unit "", which is "another tenant" to a hard-isolated one.
   */
  isolationUnitOf(tenant: string | undefined, project: string | undefined): number {
    if (tenant === undefined) {
      const id = this.units.id('');
      this.unitHard[id] = 0;
      return id;
    }
    const tenantHard = this.#tenants.get(tenant)?.isolation === 'hard';
    const projectHard = project !== undefined && this.#projects.get(project)?.isolation === 'hard';
    const key = projectHard ? `${tenant}/${project}` : tenant;
    const id = this.units.id(key);
    this.unitHard[id] = tenantHard || projectHard ? 1 : 0;
    return id;
  }

  /** The capacity-grid cell of node i for its current free CPU and free milli-GPU. */
  #cellOf(i: number): number {
    const ci = Math.min(CPU_LEVELS - 1, Math.floor(this.fleet.cpuFree[i]! / CPU_CELL_MILLI));
    return this.nodeGroup[i]! * CELLS_PER_GROUP + ci * GPU_LEVELS + gpuLevel(this.fleet.gpuFreeTotal[i]!);
  }

  #link(i: number, cell: number): void {
    const head = this.cellHead[cell]!;
    this.cellNext[i] = head;
    this.cellPrev[i] = -1;
    if (head >= 0) this.cellPrev[head] = i;
    this.cellHead[cell] = i;
    this.nodeCell[i] = cell;
  }

  #unlink(i: number): void {
    const prev = this.cellPrev[i]!;
    const next = this.cellNext[i]!;
    if (prev >= 0) this.cellNext[prev] = next;
    else this.cellHead[this.nodeCell[i]!] = next;
    if (next >= 0) this.cellPrev[next] = prev;
  }

  #refreshTopology(i: number): void {
    const start = this.fleet.gpuStart[i]!;
    const end = start + this.fleet.gpuCount[i]!;
    const free = this.fleet.gpuFree;
    let numaMax = 0;
    let nvlMax = 0;
    for (let a = start; a < end; a++) {
      if (free[a] !== MILLI_PER_GPU) continue;
      let sameNuma = 0;
      let sameNvl = 0;
      for (let b = start; b < end; b++) {
        if (free[b] !== MILLI_PER_GPU) continue;
        if (this.gpuNuma[b] === this.gpuNuma[a]) sameNuma++;
        if (this.gpuNvlink[a]! >= 0 && this.gpuNvlink[b] === this.gpuNvlink[a]) sameNvl++;
      }
      if (sameNuma > numaMax) numaMax = sameNuma;
      if (sameNvl > nvlMax) nvlMax = sameNvl;
    }
    this.nodeNumaFullMax[i] = numaMax;
    this.nodeNvlinkFullMax[i] = nvlMax;
  }

  #reindex(i: number): void {
    this.#refreshTopology(i);
    const cell = this.#cellOf(i);
    if (cell === this.nodeCell[i]) return;
    this.#unlink(i);
    this.#link(i, cell);
  }

  #setMutableAttributes(i: number, node: ApiObject<NodeSpec, NodeStatus>): void {
    const spec = node.spec;
    this.nodeLabels[i] = node.metadata.labels ?? {};
    this.nodeTaints[i] = spec.taints;
    this.nodeReady[i] = node.status?.state === 'Ready' ? 1 : 0;
    this.nodeUnschedulable[i] = spec.unschedulable ? 1 : 0;
    const labels = node.metadata.labels ?? {};
    const rack = spec.topology?.rack ?? labels['topology.strata.dev/rack'];
    const block = spec.topology?.block ?? labels['topology.strata.dev/block'];
    this.nodeRack[i] = rack !== undefined ? this.domains.id(`rack:${rack}`) : -1;
    this.nodeBlock[i] = block !== undefined ? this.domains.id(`block:${block}`) : -1;
  }

  /**
   * Applies a change of labels, taints, unschedulable, readiness or rack / block in place and bumps
   * the node's static version (signature caches re-evaluate just this node). Hardware changes
   * (CPU, memory, accelerators, NICs, power, cluster) throw SnapshotRebuildRequiredError.
   */
  updateNode(node: ApiObject<NodeSpec, NodeStatus>): void {
    const i = this.indexOf(node.metadata.name);
    if (i < 0) throw new SnapshotRebuildRequiredError(node.metadata.name, 'node is new');
    if (hardwareKey(node.spec) !== this.#hardwareKey[i]) {
      throw new SnapshotRebuildRequiredError(node.metadata.name, 'its hardware or cluster changed');
    }
    this.#setMutableAttributes(i, node);
    this.nodeStaticVersion[i]!++;
    this.nodeChangeLog.push(i);
  }

  /**
   * Whether the power-headroom filter may ever reject a node of node i's site: false for a node
   * without a site, and for a site whose budget covers its idle draw plus every GPU at its node's
   * highest TDP (a pod adds at most that per GPU it uses, whole, fractional or MIG), with a watt to
   * spare against rounding. Static: power and sites are hardware (changing them rebuilds).
   */
  powerMayReject(i: number): boolean {
    const site = this.nodeSite[i]!;
    if (site < 0) return false;
    if (this.#sitePowerBinds === undefined) {
      const peak = Float64Array.from(this.siteIdleW);
      for (let n = 0; n < this.size; n++) {
        const s = this.nodeSite[n]!;
        if (s < 0) continue;
        const start = this.fleet.gpuStart[n]!;
        const count = this.fleet.gpuCount[n]!;
        let tdp = 0;
        for (let g = start; g < start + count; g++) tdp = Math.max(tdp, this.gpuTdpW[g]!);
        peak[s]! += tdp * count;
      }
      this.#sitePowerBinds = Uint8Array.from(peak, (w, s) => (w + 1 > this.siteBudgetW[s]! ? 1 : 0));
    }
    return this.#sitePowerBinds[site] === 1;
  }

  /** Bound pods by id. */
  get boundCount(): number {
    return this.#bound.size;
  }

  bindingOf(pod: string): Binding | undefined {
    return this.#bound.get(pod)?.binding;
  }

  /** Estimated added draw of a pod on node i (see the module comment). */
  podDrawWatts(i: number, totalGpuMilli: number, migSlices: number, gpu = -1): number {
    const start = this.fleet.gpuStart[i]!;
    const tdp = this.gpuTdpW[gpu >= 0 ? start + gpu : start] ?? 0;
    if (migSlices > 0) return (tdp * migSlices) / 8;
    return (tdp * totalGpuMilli) / MILLI_PER_GPU;
  }

  /**
   * Books `pod` on node i as `at` says. Throws OverCommitError, leaving the snapshot untouched, when
   * any CPU (total or per NUMA node), memory, GPU milli or MIG slice would be booked twice, or when
   * the pod id is already bound. Placement filters (isolation, power, topology) are not re-checked:
   * bind guards capacity invariants, the filters decide where.
   */
  bind(i: number, pod: BindablePod, at: GpuAssignment): Binding {
    const name = this.names[i] ?? `#${i}`;
    if (this.#bound.has(pod.id)) throw new OverCommitError(name, `pod ${pod.id} is already bound`);
    const start = this.fleet.gpuStart[i]!;
    const count = this.fleet.gpuCount[i]!;
    // 1. MIG slice
    let mig: Binding['mig'];
    let migInstance: MigInstanceState | undefined;
    let migSlices = 0;
    if (pod.migProfile !== undefined) {
      const m = at.mig;
      if (!m || m.gpu < 0 || m.gpu >= count || this.gpuMig[start + m.gpu] !== 1)
        throw new OverCommitError(name, 'MIG pod needs a MIG-enabled GPU');
      const model = this.catalogModels[this.gpuModel[start + m.gpu]!];
      const profile = model && findMigProfile(model, m.profile);
      if (!model || !profile || profile.name !== findMigProfile(model, pod.migProfile)?.name)
        throw new OverCommitError(name, `GPU ${m.gpu} has no MIG profile ${pod.migProfile}`);
      const instances = this.migInstances[start + m.gpu]!;
      migInstance = instances.find((x) => x.profile === profile.name && x.start === m.start && !x.inUse);
      if (!migInstance && !freeMigStarts(model, instances, profile.name).includes(m.start))
        throw new OverCommitError(name, `MIG slice ${profile.name}@${m.start} on GPU ${m.gpu} is not free`);
      mig = { gpu: m.gpu, profile: profile.name, start: m.start, created: migInstance === undefined };
      migSlices = profile.memorySlices;
    } else if (at.mig) {
      throw new OverCommitError(name, 'a MIG slice given for a pod without a MIG profile');
    }
    // 2. CPU per NUMA node
    const cpuByNuma = this.#splitCpu(i, pod.cpuMilli, at, mig?.gpu);
    if (!cpuByNuma) throw new OverCommitError(name, 'cpu (per NUMA node)');
    // 3. CPU, memory, milli-GPU: GpuFleet checks and throws before changing anything.
    this.fleet.bind(i, pod.compiled, at.gpus);
    // Nothing below can fail.
    if (mig) {
      const instances = this.migInstances[start + mig.gpu]!;
      if (migInstance) migInstance.inUse = true;
      else {
        const size = findMigProfile(this.catalogModels[this.gpuModel[start + mig.gpu]!]!, mig.profile)!.size;
        instances.push({ profile: mig.profile, start: mig.start, size, declared: false, inUse: true });
      }
    }
    const numaBase = this.numaStart[i]!;
    for (let u = 0; u < cpuByNuma.length; u++) this.numaCpuFree[numaBase + u]! -= cpuByNuma[u]!;
    const drawWatts = this.podDrawWatts(
      i,
      pod.compiled.totalGpuMilli,
      migSlices,
      mig?.gpu ?? at.gpus[0] ?? -1,
    );
    const site = this.nodeSite[i]!;
    if (site >= 0) this.siteDrawW[site]! += drawWatts;
    const touched = mig ? [mig.gpu] : at.gpus;
    // Hardness as of the bind: a later tenancy change must not unbalance the counts on release.
    const hard = pod.unit >= 0 && this.unitHard[pod.unit] === 1;
    if (pod.unit >= 0) this.#addUnit(i, start, touched, pod.unit, hard, 1);
    this.#reindex(i);
    const binding: Binding = {
      pod: pod.id,
      node: name,
      gpus: [...at.gpus],
      gpuUuids: (mig ? [mig.gpu] : at.gpus).map((g) => this.gpuUuid[start + g]!),
      ...(mig ? { mig } : {}),
      numa: at.numa,
      cpuByNuma,
      drawWatts,
      isolationUnit: pod.unit >= 0 ? this.units.values[pod.unit]! : '',
    };
    this.#bound.set(pod.id, { pod, binding, nodeIndex: i, hard });
    return binding;
  }

  /** The exact inverse of bind for this pod id; throws OverCommitError when the pod is not bound. */
  release(podId: string): void {
    const entry = this.#bound.get(podId);
    if (!entry) throw new OverCommitError('?', `pod ${podId} is not bound`);
    const { pod, binding, nodeIndex: i, hard } = entry;
    const start = this.fleet.gpuStart[i]!;
    this.fleet.release(i, pod.compiled, binding.gpus);
    if (binding.mig) {
      const instances = this.migInstances[start + binding.mig.gpu]!;
      const k = instances.findIndex(
        (x) => x.inUse && x.profile === binding.mig!.profile && x.start === binding.mig!.start,
      );
      if (binding.mig.created) instances.splice(k, 1);
      else instances[k]!.inUse = false;
    }
    const numaBase = this.numaStart[i]!;
    for (let u = 0; u < binding.cpuByNuma.length; u++)
      this.numaCpuFree[numaBase + u]! += binding.cpuByNuma[u]!;
    const site = this.nodeSite[i]!;
    if (site >= 0) this.siteDrawW[site]! -= binding.drawWatts;
    if (pod.unit >= 0)
      this.#addUnit(i, start, binding.mig ? [binding.mig.gpu] : binding.gpus, pod.unit, hard, -1);
    this.#reindex(i);
    this.#bound.delete(podId);
  }

  /**
   * Milli-CPU taken per NUMA node: all of it on `at.numa` when aligned; otherwise the NUMA node of
   * the pod's first GPU first, then the others in order. Undefined when it does not fit.
   */
  #splitCpu(i: number, cpu: number, at: GpuAssignment, migGpu: number | undefined): number[] | undefined {
    const numaCount = this.nodeNumaCount[i]!;
    const base = this.numaStart[i]!;
    const split = new Array<number>(numaCount).fill(0);
    if (at.numa >= 0) {
      if (at.numa >= numaCount || this.numaCpuFree[base + at.numa]! < cpu) return undefined;
      split[at.numa] = cpu;
      return split;
    }
    const firstGpu = migGpu ?? at.gpus[0];
    const first = firstGpu !== undefined ? (this.gpuNuma[this.fleet.gpuStart[i]! + firstGpu] ?? 0) : 0;
    let left = cpu;
    for (let k = 0; k < numaCount && left > 0; k++) {
      const u = (first + k) % numaCount;
      const take = Math.min(left, this.numaCpuFree[base + u]!);
      split[u] = take;
      left -= take;
    }
    return left > 0 ? undefined : split;
  }

  #addUnit(
    i: number,
    gpuBase: number,
    gpus: readonly number[],
    unit: number,
    hard: boolean,
    delta: 1 | -1,
  ): void {
    if (hard) this.nodeHardPods[i]! += delta;
    this.nodeSoleUnit[i] = bumpUnit(this.#nodeUnitCounts, i, unit, delta);
    for (const g of gpus)
      this.gpuSoleUnit[gpuBase + g] = bumpUnit(this.#gpuUnitCounts, gpuBase + g, unit, delta);
  }

  /** Units with work on node i (with pod counts), for "why" answers and tests. */
  unitsOnNode(i: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [u, c] of this.#nodeUnitCounts[i] ?? []) out[this.units.values[u]!] = c;
    return out;
  }

  /**
   * Every piece of allocation state as one string: equal digests ⇔ equal state (the property tests
   * check that release restores a snapshot exactly).
   */
  stateDigest(): string {
    const f = this.fleet;
    const mig = this.migInstances.map((list) =>
      list
        .map((x) => `${x.profile}@${x.start}${x.declared ? 'd' : ''}${x.inUse ? '*' : ''}`)
        .sort()
        .join(','),
    );
    const units = (maps: (Map<number, number> | undefined)[]) =>
      maps.map((m) => (m ? [...m].sort((a, b) => a[0] - b[0]).join(';') : '')).join('|');
    return JSON.stringify([
      Array.from(f.cpuFree),
      Array.from(f.memFree),
      Array.from(f.gpuFree),
      Array.from(f.fullyFreeGpus),
      Array.from(f.maxFreeMilli),
      Array.from(f.gpuFreeTotal),
      Array.from(f.affinityCount),
      f.gpuAllocatedMilli,
      Array.from(this.numaCpuFree),
      Array.from(this.siteDrawW, (w) => Math.round(w * 1e6) / 1e6),
      Array.from(this.nodeSoleUnit),
      Array.from(this.nodeHardPods),
      Array.from(this.gpuSoleUnit),
      Array.from(this.nodeCell),
      Array.from(this.nodeNumaFullMax),
      Array.from(this.nodeNvlinkFullMax),
      mig,
      units(this.#nodeUnitCounts),
      units(this.#gpuUnitCounts),
      this.#bound.size,
    ]);
  }
}

/** Adds delta to unit's count at slot; returns the new sole unit (-1 none, -2 several). */
function bumpUnit(
  maps: (Map<number, number> | undefined)[],
  slot: number,
  unit: number,
  delta: number,
): number {
  let m = maps[slot];
  if (!m) {
    m = new Map();
    maps[slot] = m;
  }
  const next = (m.get(unit) ?? 0) + delta;
  if (next <= 0) m.delete(unit);
  else m.set(unit, next);
  // An emptied map stays for the slot's next pod (binds and releases come and go all the time).
  if (m.size === 0) return -1;
  return m.size === 1 ? m.keys().next().value! : -2;
}

function hardwareKey(spec: NodeSpec): string {
  return JSON.stringify([spec.cluster, spec.cpu, spec.memory, spec.accelerators, spec.nics, spec.power]);
}
