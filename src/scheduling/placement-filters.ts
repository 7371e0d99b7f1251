/**
 * Dynamic filter plugins (issue 4 item 2), in the spirit of the kube-scheduler framework: each is a
 * named unit whose `filter` returns 0 (pass) or a DYNAMIC_CODE whose human message is in
 * placement-reasons.ts. Filters only read the snapshot; `gpu-topology` also leaves its GPU choice
 * in the cycle state for the scorers (the framework's per-cycle scratch). Static filters (labels,
 * taints, residency, model, GPU memory) are not here: they are evaluated once per constraint
 * signature (placement-signature.ts).
 *
 * Contract: `filter` is idempotent and pure with respect to the snapshot; it may overwrite
 * `cycle.choice`. Order matters only for which reason a node is counted under: cheap checks first,
 * the per-GPU choice last.
 */
import type { FleetSnapshot } from './fleet-snapshot.js';
import { chooseGpus, GpuChoice } from './gpu-choice.js';
import { DYNAMIC_CODE, type FilterName } from './placement-reasons.js';
import type { SiteClosure, SiteGate } from './placement-request.js';
import type { PreparedPod } from './prepared-pod.js';

/** Per-decision scratch shared by the filters and scorers of one cycle. */
export class CycleState {
  pod!: PreparedPod;
  /** Gang placement: 1 = node is inside the domain being tried; null = no restriction. */
  restrict: Uint8Array | null = null;
  readonly choice = new GpuChoice();
  /** Node the choice was made for (-1 = none for this node yet). */
  choiceNode = -1;
  /**
   * The pod's site gate as a DYNAMIC_CODE per snapshot site index (the last entry: nodes without a
   * site); null = every site open.
   */
  sites: Uint8Array | null = null;
  /** Gates are per admission cycle and shared by a schedule's workloads: translated once each. */
  readonly #gates = new WeakMap<SiteGate, Uint8Array>();

  constructor(readonly snapshot: FleetSnapshot) {}

  begin(pod: PreparedPod, restrict: Uint8Array | null): void {
    this.pod = pod;
    this.restrict = restrict;
    this.choiceNode = -1;
    const gate = pod.request.siteGate;
    this.sites = gate === undefined ? null : this.#codes(gate);
  }

  #codes(gate: SiteGate): Uint8Array {
    let codes = this.#gates.get(gate);
    if (!codes) {
      const names = this.snapshot.siteNames;
      codes = new Uint8Array(names.length + 1);
      names.forEach((name, site) => {
        codes![site] = closureCode(gate.closed.get(name));
      });
      codes[names.length] = closureCode(gate.siteless);
      this.#gates.set(gate, codes);
    }
    return codes;
  }
}

const closureCode = (c: SiteClosure | undefined) =>
  c === 'time-window' ? DYNAMIC_CODE.timeWindow : c === 'tariff' ? DYNAMIC_CODE.tariff : 0;

export interface FilterPlugin {
  readonly name: FilterName;
  /** 0 = the node passes; otherwise a DYNAMIC_CODE. */
  filter(cycle: CycleState, node: number): number;
}

export const nodeConditionFilter: FilterPlugin = {
  name: 'node-condition',
  filter(c, i) {
    const s = c.snapshot;
    if (s.nodeReady[i] !== 1) return DYNAMIC_CODE.notReady;
    return s.nodeUnschedulable[i] === 1 ? DYNAMIC_CODE.unschedulable : 0;
  },
};

export const gangDomainFilter: FilterPlugin = {
  name: 'gang-domain',
  filter(c, i) {
    return c.restrict !== null && c.restrict[i] !== 1 ? DYNAMIC_CODE.outsideDomain : 0;
  },
};

/**
 * Hard isolation, both directions: a hard-isolated unit's pod needs a node with no other unit's
 * work; any other pod needs a node without hard-isolated work. Node-level exclusivity implies GPU
 * exclusivity.
 */
export function isolationVerdict(s: FleetSnapshot, i: number, unit: number, hard: boolean): number {
  const sole = s.nodeSoleUnit[i]!;
  if (sole === -1) return 0;
  if (hard) return sole === unit ? 0 : DYNAMIC_CODE.sharedWithOther;
  if (s.nodeHardPods[i]! > 0 && sole !== unit) return DYNAMIC_CODE.hardTenantPresent;
  return 0;
}

export const tenantIsolationFilter: FilterPlugin = {
  name: 'tenant-isolation',
  filter(c, i) {
    return isolationVerdict(c.snapshot, i, c.pod.unit, c.pod.unitHard);
  },
};

/** CPU, memory and the GPU aggregates of GpuFleet (exact when every GPU qualifies, else necessary). */
export const resourceFitFilter: FilterPlugin = {
  name: 'resource-fit',
  filter(c, i) {
    const f = c.snapshot.fleet;
    const p = c.pod;
    if (f.cpuFree[i]! < p.cpuMilli) return DYNAMIC_CODE.cpu;
    if (f.memFree[i]! < p.memoryMib) return DYNAMIC_CODE.memory;
    if (p.gpuKind === 'whole') return f.fullyFreeGpus[i]! < p.gpuCount ? DYNAMIC_CODE.gpu : 0;
    if (p.gpuKind === 'milli') return f.maxFreeMilli[i]! < p.gpuMilli ? DYNAMIC_CODE.gpu : 0;
    return 0;
  },
};

/** The pod's added draw must fit under its site's power budget (nodes without a site, and pods that add no draw, pass). */
export const powerHeadroomFilter: FilterPlugin = {
  name: 'power-headroom',
  filter(c, i) {
    const s = c.snapshot;
    const site = s.nodeSite[i]!;
    if (site < 0) return 0;
    const draw = s.podDrawWatts(i, c.pod.compiled.totalGpuMilli, c.pod.migSlices);
    if (draw === 0) return 0;
    return s.siteDrawW[site]! + draw > s.siteBudgetW[site]! + 1e-9 ? DYNAMIC_CODE.power : 0;
  },
};

/**
 * Admission schedules (issue 5 item 6): a node of a site that is outside the pod's time windows or
 * over its tariff cap right now. Time-dependent, so a dynamic filter and never part of the static
 * eligibility cached per signature.
 */
export const timeWindowFilter: FilterPlugin = {
  name: 'time-window',
  filter(c, i) {
    const codes = c.sites;
    if (codes === null) return 0;
    const site = c.snapshot.nodeSite[i]!;
    return codes[site < 0 ? codes.length - 1 : site]!;
  },
};

/**
 * The per-GPU choice (topology, MIG geometry, per-GPU eligibility). Runs only when the pod needs it
 * or the node has GPUs the pod may not use; otherwise the aggregates already decided.
 */
export const gpuTopologyFilter: FilterPlugin = {
  name: 'gpu-topology',
  filter(c, i) {
    const p = c.pod;
    if (!p.needsChoice && p.sig.mask[i] !== 2) return 0;
    if (p.gpuKind === 'whole') {
      const s = c.snapshot;
      if (p.nvlinkRequired && s.nodeNvlinkFullMax[i]! < p.gpuCount) return DYNAMIC_CODE.nvlink;
      if (p.numaAligned && s.nodeNumaFullMax[i]! < p.gpuCount) return DYNAMIC_CODE.numa;
    }
    const code = chooseGpus(c.snapshot, c.pod, i, c.choice);
    c.choiceNode = code === 0 ? i : -1;
    return code;
  },
};

/** The default filter order: cheap typed-array reads first, the per-GPU choice last. */
export const DEFAULT_FILTERS: readonly FilterPlugin[] = [
  nodeConditionFilter,
  gangDomainFilter,
  timeWindowFilter,
  tenantIsolationFilter,
  resourceFitFilter,
  powerHeadroomFilter,
  gpuTopologyFilter,
];
