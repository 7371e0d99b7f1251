/**
 * Gang placement (issue 4 item 3): every pod of a workload (pod sets × count) is placed, or none is.
 * Pods are bound one by one as they are placed (so later pods see earlier ones' GPUs, CPU, power and
 * isolation); if one does not fit, every pod bound in the attempt is released with the snapshot's
 * exact inverse, so nothing stays half-booked.
 *
 * With a gang domain (rack, block or RDMA rail) the attempt is repeated per domain, restricted to
 * that domain's nodes. Domains are tried best fit first: the domain with the least free milli-GPU
 * that still has at least the gang's total (then by name), up to `maxDomains` attempts; a domain
 * whose free whole GPUs, CPU and memory cannot even count out the gang's pods is not tried. A node
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
  /** Index of the first pod that did not fit (the attempt was rolled back); absent on success. */
  readonly failedAt?: number;
}

/** Places the pods in order; on the first that does not fit, releases the ones placed, in reverse. */
function attempt(
  engine: PlacementEngine,
  pods: readonly PreparedPod[],
  restrict: Uint8Array | null,
  within?: readonly number[],
): Attempt {
  const placed: PlacedPod[] = [];
  for (let k = 0; k < pods.length; k++) {
    const p = engine.tryPlace(pods[k]!, restrict, within);
    if (!p) {
      rollback(engine, placed);
      return { placed: [], failedAt: k };
    }
    placed.push(p);
  }
  return { placed };
}

function rollback(engine: PlacementEngine, placed: readonly PlacedPod[]): void {
  for (let j = placed.length - 1; j >= 0; j--) engine.release(placed[j]!.pod);
}

/**
 * Why pod `failedAt` did not fit in that attempt: replays the attempt up to it (placement is
 * deterministic for a given snapshot), explains it with the earlier pods bound, rolls back. Only the
 * reported attempt pays for an explanation.
 */
function explainAttempt(
  engine: PlacementEngine,
  pods: readonly PreparedPod[],
  failedAt: number,
  restrict: Uint8Array | null,
  within?: readonly number[],
): Unschedulable {
  const placed: PlacedPod[] = [];
  for (let k = 0; k < failedAt; k++) {
    const p = engine.tryPlace(pods[k]!, restrict, within);
    if (p) placed.push(p);
  }
  const reason = engine.explain(pods[failedAt]!, restrict);
  rollback(engine, placed);
  return reason;
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

/**
 * A cheap necessary condition for a homogeneous whole-GPU gang (the common shape: N workers of k
 * GPUs): the domain's nodes have room for N such pods by their free whole GPUs, CPU and memory.
 * Other gangs pass (the attempt decides).
 */
function roomFor(s: FleetSnapshot, pods: readonly PreparedPod[], nodes: readonly number[]): boolean {
  const first = pods[0]!;
  if (first.gpuKind !== 'whole' || pods.some((p) => p.compiled.shapeKey !== first.compiled.shapeKey))
    return true;
  const f = s.fleet;
  let slots = 0;
  for (const i of nodes) {
    let n = Math.floor(f.fullyFreeGpus[i]! / first.gpuCount);
    if (first.cpuMilli > 0) n = Math.min(n, Math.floor(f.cpuFree[i]! / first.cpuMilli));
    if (first.memoryMib > 0) n = Math.min(n, Math.floor(f.memFree[i]! / first.memoryMib));
    slots += n;
    if (slots >= pods.length) return true;
  }
  return false;
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
    if (result.failedAt === undefined) return { outcome: 'placed', gang: gang.id, pods: result.placed };
    const reason = explainAttempt(engine, pods, result.failedAt, null);
    return failed(gang.id, [], pods[result.failedAt]!.id, result.failedAt, reason);
  }

  const totalGpuMilli = pods.reduce((sum, p) => sum + p.compiled.totalGpuMilli, 0);
  const members = domainMembers(s, gang.domain);
  const ranked = [...members]
    .map(([domain, nodes]) => {
      let free = 0;
      for (const i of nodes) free += s.fleet.gpuFreeTotal[i]!;
      return { domain, nodes, free, name: s.domains.values[domain]! };
    })
    .filter((d) => d.free >= totalGpuMilli && roomFor(s, pods, d.nodes))
    .sort((a, b) => a.free - b.free || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, options.maxDomains ?? 32);

  const restrict = new Uint8Array(s.size);
  const tried: string[] = [];
  let furthest: { readonly failedAt: number; readonly nodes: readonly number[] } | undefined;
  let previous: readonly number[] = [];
  const restrictTo = (nodes: readonly number[]) => {
    for (const i of previous) restrict[i] = 0;
    for (const i of nodes) restrict[i] = 1;
    previous = nodes;
  };
  for (const d of ranked) {
    restrictTo(d.nodes);
    tried.push(d.name);
    // A domain is a small part of the fleet: its node list is cheaper to visit than the index.
    const result = attempt(engine, pods, restrict, d.nodes);
    if (result.failedAt === undefined)
      return { outcome: 'placed', gang: gang.id, domain: d.name, pods: result.placed };
    if (!furthest || result.failedAt > furthest.failedAt)
      furthest = { failedAt: result.failedAt, nodes: d.nodes };
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
  restrictTo(furthest.nodes);
  const reason = explainAttempt(engine, pods, furthest.failedAt, restrict, furthest.nodes);
  return failed(gang.id, tried, pods[furthest.failedAt]!.id, furthest.failedAt, reason);
}

function failed(
  gang: string,
  tried: readonly string[],
  pod: string,
  placedBefore: number,
  reason: Unschedulable,
): GangDecision {
  return {
    outcome: 'unschedulable',
    gang,
    verdict: reason.verdict,
    domainsTried: tried,
    failedPod: pod,
    placedBeforeFailure: placedBefore,
    reason,
    message:
      `gang ${gang}: pod ${pod} did not fit after ${placedBefore} placed` +
      (tried.length > 0 ? ` (domains tried: ${tried.join(', ')})` : '') +
      `; ${reason.message}`,
  };
}
