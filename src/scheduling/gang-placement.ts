/**
 * Gang placement (issue 4 item 3): every pod of a workload (pod sets × count) is placed, or none is.
 * Pods are bound one by one as they are placed (so later pods see earlier ones' GPUs, CPU, power and
 * isolation); if one does not fit, every pod bound in the attempt is released with the snapshot's
 * exact inverse, so nothing stays half-booked.
 *
 * With a gang domain (rack, block or RDMA rail) the attempt is repeated per domain, restricted to
 * that domain's nodes. Domains are tried best fit first: the domain with the least free milli-GPU
 * that still has at least the gang's total (then by name), up to `maxDomains` attempts. A node
 * belongs to one rack and one block, and to every rail one of its RDMA NICs is cabled to.
 */
import type { FleetSnapshot } from './fleet-snapshot.js';
import type { GangDecision, PlacedPod, Unschedulable } from './placement-decision.js';
import type { PlacementEngine } from './placement-engine.js';
import type { GangDomain, GangRequest } from './placement-request.js';
import type { PreparedPod } from './prepared-pod.js';

export interface GangOptions {
  /** Attempts at most this many domains (default 32). */
  readonly maxDomains?: number;
}

interface Attempt {
  readonly placed: PlacedPod[];
  readonly failure?: { readonly pod: string; readonly reason: Unschedulable; readonly index: number };
}

function attempt(
  engine: PlacementEngine,
  pods: readonly PreparedPod[],
  restrict: Uint8Array | null,
): Attempt {
  const placed: PlacedPod[] = [];
  for (let k = 0; k < pods.length; k++) {
    const decision = engine.place(pods[k]!, restrict);
    if (decision.outcome !== 'placed') {
      // Roll back in reverse order: the exact inverse of what this attempt bound.
      for (let j = placed.length - 1; j >= 0; j--) engine.release(placed[j]!.pod);
      return { placed: [], failure: { pod: pods[k]!.id, reason: decision, index: k } };
    }
    placed.push(decision);
  }
  return { placed };
}

const domainCache = new WeakMap<
  FleetSnapshot,
  Map<GangDomain, { seen: number; members: Map<number, number[]> }>
>();

/**
 * Node membership of each domain of a kind, as domain id → node indices. Cached per snapshot and
 * rebuilt only after a node change (rack and block can change through updateNode).
 */
export function domainMembers(s: FleetSnapshot, kind: GangDomain): Map<number, number[]> {
  let perKind = domainCache.get(s);
  if (!perKind) {
    perKind = new Map();
    domainCache.set(s, perKind);
  }
  const cached = perKind.get(kind);
  if (cached && cached.seen === s.nodeChangeLog.length) return cached.members;
  const members = new Map<number, number[]>();
  const add = (d: number, i: number) => {
    if (d < 0) return;
    let list = members.get(d);
    if (!list) {
      list = [];
      members.set(d, list);
    }
    list.push(i);
  };
  for (let i = 0; i < s.size; i++) {
    if (kind === 'rack') add(s.nodeRack[i]!, i);
    else if (kind === 'block') add(s.nodeBlock[i]!, i);
    else for (const rail of s.nodeRails[i]!) add(rail, i);
  }
  perKind.set(kind, { seen: s.nodeChangeLog.length, members });
  return members;
}

/** Non-MIG GPU capacity (milli-GPU) of a set of nodes: what the domain holds when empty. */
function capacityMilli(s: FleetSnapshot, nodes: readonly number[]): number {
  let total = 0;
  for (const i of nodes) {
    const start = s.fleet.gpuStart[i]!;
    for (let G = start; G < start + s.fleet.gpuCount[i]!; G++) if (s.gpuMig[G] !== 1) total += 1000;
  }
  return total;
}

export function placeGang(
  engine: PlacementEngine,
  gang: GangRequest,
  options: GangOptions = {},
): GangDecision {
  const pods = gang.pods.map((p) => engine.prepare(p));
  const s = engine.snapshot;
  if (pods.length === 0) return { outcome: 'placed', gang: gang.id, pods: [] };
  if (!gang.domain) {
    const result = attempt(engine, pods, null);
    if (!result.failure) return { outcome: 'placed', gang: gang.id, pods: result.placed };
    return failed(gang.id, [], result.failure);
  }

  const totalGpuMilli = pods.reduce((sum, p) => sum + p.compiled.totalGpuMilli, 0);
  const members = domainMembers(s, gang.domain);
  const ranked = [...members]
    .map(([domain, nodes]) => {
      let free = 0;
      for (const i of nodes) free += s.fleet.gpuFreeTotal[i]!;
      return { domain, nodes, free, name: s.domains.values[domain]! };
    })
    .filter((d) => d.free >= totalGpuMilli)
    .sort((a, b) => a.free - b.free || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, options.maxDomains ?? 32);

  const restrict = new Uint8Array(s.size);
  const tried: string[] = [];
  let furthest: Attempt['failure'];
  for (const d of ranked) {
    restrict.fill(0);
    for (const i of d.nodes) restrict[i] = 1;
    tried.push(d.name);
    const result = attempt(engine, pods, restrict);
    if (!result.failure) return { outcome: 'placed', gang: gang.id, domain: d.name, pods: result.placed };
    if (!furthest || result.failure.index > furthest.index) furthest = result.failure;
  }
  if (!furthest) {
    // No domain has the gang's GPUs even free: explain the first pod against the whole fleet. The
    // gang never fits when no domain could hold its GPUs even empty.
    const reason = engine.explain(pods[0]!, null);
    const roomy = [...members.values()].some((nodes) => capacityMilli(s, nodes) >= totalGpuMilli);
    return {
      outcome: 'unschedulable',
      gang: gang.id,
      verdict: roomy ? reason.verdict : 'never-fits',
      domainsTried: [],
      failedPod: pods[0]!.id,
      placedBeforeFailure: 0,
      reason,
      message: `gang ${gang.id}: no ${gang.domain} has ${totalGpuMilli / 1000} free GPUs in total; ${reason.message}`,
    };
  }
  return failed(gang.id, tried, furthest);
}

function failed(gang: string, tried: string[], failure: NonNullable<Attempt['failure']>): GangDecision {
  return {
    outcome: 'unschedulable',
    gang,
    verdict: failure.reason.verdict,
    domainsTried: tried,
    failedPod: failure.pod,
    placedBeforeFailure: failure.index,
    reason: failure.reason,
    message:
      `gang ${gang}: pod ${failure.pod} did not fit after ${failure.index} placed` +
      (tried.length > 0 ? ` (domains tried: ${tried.join(', ')})` : '') +
      `; ${failure.reason.message}`,
  };
}
