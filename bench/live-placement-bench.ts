/**
 * The live placement measurement behind `npm run bench:placement-filters` and the live rows of
 * `npm run bench:placement` (issue 4): decisions per second and p50 / p99 decision latency of the
 * live placement engine — BestFit with every filter on (node condition, gang domain, tenant
 * isolation, resource fit, power headroom, GPU topology, plus the static label / taint / residency /
 * model / GPU-memory filters through the signature cache) — on a synthetic fleet of 8-GPU nodes
 * pre-filled to a target GPU occupancy; then gangs of 4 × 8 GPUs inside one rack on the same fleet.
 *
 * A decision is one engine.place() call: filter, score, choose GPUs and, when a node fits, bind.
 * Pods are prepared (signature lookup, compile) before the clock starts, as a controller prepares a
 * workload once per admission; preparation is timed on its own. After each decision (warm-up and
 * measured) one random bound pod is released (untimed), so occupancy stays near the target. Pods are
 * a seeded mix of whole GPUs (1/2/4/8), fractions, CPU-only, NUMA-aligned, NVLink-required, EU
 * residency, nodeSelector + tolerations, and a hard-isolated tenant. Pre-fill uses the same engine
 * and mix and stops after 1,000 failed placements, so the reached occupancy (`occupancyAtStart`)
 * may fall short of the target; it is reported as reached. Gangs (placeGang, domain ranking
 * included) are timed and released right after (untimed).
 *
 * No top-level side effects: importing this module only defines functions. Same options ⇒ same pod
 * sequence and fleet (seeded).
 */
import { API_VERSION, type ApiObject } from '../src/model/object.js';
import type { TenantSpec } from '../src/model/tenancy.js';
import { Rng } from '../src/runtime/rng.js';
import { FleetSnapshot } from '../src/scheduling/fleet-snapshot.js';
import { placeGang } from '../src/scheduling/gang-placement.js';
import { PlacementEngine } from '../src/scheduling/placement-engine.js';
import type { GangRequest, PodRequest } from '../src/scheduling/placement-request.js';
import { placementProfile } from '../src/scheduling/placement-scorers.js';
import type { PreparedPod } from '../src/scheduling/prepared-pod.js';
import { syntheticFleet } from '../src/scheduling/synthetic-fleet.js';

/** Issue 4's goal for BestFit with every filter on at 5,000 nodes, decisions per second. */
export const LIVE_PLACEMENT_GOAL_PER_SECOND = 50_000;

const GIB = 2 ** 30;

export interface LivePlacementOptions {
  readonly seed: number;
  readonly nodes: number;
  /** Target GPU occupancy in [0, 1] (MIG-reserved capacity excluded). */
  readonly occupancy: number;
  readonly decisions: number;
  readonly warmup: number;
  /** Gangs to time; default max(1, ⌊decisions / 40⌋), plus a tenth of that as warm-up. */
  readonly gangs?: number;
  /** Collect mean latency per pod template (slower: one JSON.stringify per decision). */
  readonly byTemplate?: boolean;
}

export interface TemplateLatency {
  readonly template: string;
  readonly decisions: number;
  readonly meanUs: number;
}

export interface LivePlacementFigures {
  readonly policy: 'BestFit';
  readonly seed: number;
  readonly nodes: number;
  readonly gpus: number;
  readonly occupancyTarget: number;
  /** GPU occupancy reached by the pre-fill (may be below the target; see the module comment). */
  readonly occupancyAtStart: number;
  readonly occupancyAtEnd: number;
  readonly decisions: number;
  readonly placed: number;
  readonly successRate: number;
  readonly decisionsPerSecond: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
  readonly prepareUsMean: number;
  readonly signatures: number;
  readonly gangs: number;
  readonly gangsPlaced: number;
  readonly gangsPerSecond: number;
  readonly gangP50Us: number;
  readonly gangP99Us: number;
  /** Only with `byTemplate`. */
  readonly templates?: readonly TemplateLatency[];
}

function tenant(name: string, spec: Partial<TenantSpec>): ApiObject<TenantSpec> {
  return {
    apiVersion: API_VERSION,
    kind: 'Tenant',
    metadata: {
      name,
      uid: name,
      resourceVersion: '1',
      generation: 1,
      creationTimestamp: '2026-01-01T00:00:00Z',
    },
    spec: { isolation: 'shared', allowedJurisdictions: [], ...spec },
  };
}

type Template = Omit<PodRequest, 'id'>;
const base = { cpuMilli: 8000, memoryBytes: 64 * GIB };
const TEMPLATES: readonly (readonly [number, Template])[] = [
  [20, { ...base, tenant: 'acme', accelerators: { kind: 'whole', count: 1 } }],
  [12, { ...base, tenant: 'labs', accelerators: { kind: 'whole', count: 2 }, nvlink: 'required' }],
  [
    8,
    {
      ...base,
      cpuMilli: 32000,
      tenant: 'acme',
      accelerators: { kind: 'whole', count: 4 },
      numaAligned: true,
    },
  ],
  [
    4,
    {
      ...base,
      cpuMilli: 64000,
      tenant: 'labs',
      accelerators: { kind: 'whole', count: 8 },
      nvlink: 'required',
    },
  ],
  [16, { ...base, cpuMilli: 4000, tenant: 'acme', accelerators: { kind: 'milli', milli: 500 } }],
  [
    10,
    {
      ...base,
      cpuMilli: 2000,
      tenant: 'labs',
      accelerators: { kind: 'milli', milli: 250 },
      residency: ['EU'],
    },
  ],
  [10, { ...base, cpuMilli: 4000, memoryBytes: 16 * GIB, tenant: 'acme', accelerators: { kind: 'none' } }],
  [
    10,
    {
      ...base,
      tenant: 'labs',
      accelerators: { kind: 'whole', count: 1 },
      models: ['H100'],
      minGpuMemoryBytes: 40 * GIB,
      nodeSelector: { 'strata.dev/node-class': 'gpu-training' },
      tolerations: [{ key: 'strata.dev/spare', operator: 'Exists' }],
    },
  ],
  [2, { ...base, tenant: 'vault', accelerators: { kind: 'whole', count: 2 }, residency: ['DE'] }],
];
const TOTAL_WEIGHT = TEMPLATES.reduce((s, [w]) => s + w, 0);

/** Runs the live every-filter BestFit measurement described in the module comment. */
export function measureLivePlacement(options: LivePlacementOptions): LivePlacementFigures {
  const { seed, nodes, occupancy: target, decisions, warmup } = options;
  const snapshot = new FleetSnapshot({
    ...syntheticFleet({ nodes, preferNoScheduleEvery: 10 }),
    tenants: [
      tenant('acme', { allowedJurisdictions: ['EU', 'US'] }),
      tenant('labs', {}),
      tenant('vault', { isolation: 'hard', allowedJurisdictions: ['EU'] }),
    ],
  });
  const engine = new PlacementEngine(snapshot, placementProfile('BestFit'));
  const rng = new Rng(seed);

  let serial = 0;
  const nextRequest = (): PodRequest => {
    let r = rng.next() * TOTAL_WEIGHT;
    for (const [w, t] of TEMPLATES) {
      r -= w;
      if (r < 0) return { ...t, id: `pod-${serial++}` };
    }
    return { ...TEMPLATES[0]![1], id: `pod-${serial++}` };
  };

  const bound: string[] = [];
  const releaseRandom = (): void => {
    if (bound.length === 0) return;
    const k = Math.floor(rng.next() * bound.length);
    const id = bound[k]!;
    bound[k] = bound[bound.length - 1]!;
    bound.pop();
    engine.release(id);
  };

  // Pre-fill to the target GPU occupancy (MIG-reserved capacity excluded).
  const capacity = snapshot.fleet.gpuCapacityMilli;
  const migReserved = snapshot.fleet.gpuAllocatedMilli;
  const gpuOccupancy = () => (snapshot.fleet.gpuAllocatedMilli - migReserved) / capacity;
  let fillFailures = 0;
  while (gpuOccupancy() < target && fillFailures < 1000) {
    const d = engine.place(engine.prepare(nextRequest()));
    if (d.outcome === 'placed') bound.push(d.pod);
    else fillFailures++;
  }
  const occupancyAtStart = gpuOccupancy();

  const prepareBatch = (count: number): { pods: PreparedPod[]; prepareNs: number } => {
    const requests = Array.from({ length: count }, nextRequest);
    const t0 = process.hrtime.bigint();
    const pods = requests.map((r) => engine.prepare(r));
    return { pods, prepareNs: Number(process.hrtime.bigint() - t0) };
  };

  const perTemplate = new Map<string, [number, number]>();
  const run = (
    pods: readonly PreparedPod[],
    latencies: Float64Array | null,
  ): { placed: number; ns: number } => {
    let placed = 0;
    let ns = 0;
    for (let k = 0; k < pods.length; k++) {
      const t0 = process.hrtime.bigint();
      const d = engine.place(pods[k]!);
      const dt = Number(process.hrtime.bigint() - t0);
      ns += dt;
      if (latencies) {
        latencies[k] = dt;
        if (options.byTemplate) {
          const key = JSON.stringify({ ...pods[k]!.request, id: undefined });
          const e = perTemplate.get(key) ?? [0, 0];
          e[0]++;
          e[1] += dt;
          perTemplate.set(key, e);
        }
      }
      if (d.outcome === 'placed') {
        placed++;
        bound.push(d.pod);
      }
      releaseRandom();
    }
    return { placed, ns };
  };

  run(prepareBatch(warmup).pods, null);
  const { pods, prepareNs } = prepareBatch(decisions);
  const latencies = new Float64Array(decisions);
  const { placed, ns } = run(pods, latencies);
  const occupancyAtEnd = gpuOccupancy();
  latencies.sort();
  const pctUs = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! / 1000;

  // Gangs: 4 × 8 GPUs (NVLink required) inside one rack, on the same fleet; released right after.
  const gangs = options.gangs ?? Math.max(1, Math.floor(decisions / 40));
  const gangLatencies = new Float64Array(gangs);
  let gangsPlaced = 0;
  let gangNs = 0;
  for (let g = -Math.floor(gangs / 10); g < gangs; g++) {
    const gang: GangRequest = {
      id: `gang-${g}`,
      domain: 'rack',
      pods: Array.from({ length: 4 }, (_, k) => ({
        ...base,
        cpuMilli: 64_000,
        id: `gang-${g}-${k}`,
        tenant: 'labs',
        accelerators: { kind: 'whole' as const, count: 8 },
        nvlink: 'required' as const,
      })),
    };
    const t0 = process.hrtime.bigint();
    const d = placeGang(engine, gang);
    const dt = Number(process.hrtime.bigint() - t0);
    if (d.outcome === 'placed') for (const p of d.pods) engine.release(p.pod);
    if (g < 0) continue; // warm-up
    gangLatencies[g] = dt;
    gangNs += dt;
    if (d.outcome === 'placed') gangsPlaced++;
  }
  gangLatencies.sort();
  const gangPctUs = (p: number) =>
    Math.round(gangLatencies[Math.min(gangs - 1, Math.floor(p * gangs))]! / 100) / 10;

  return {
    policy: 'BestFit',
    seed,
    nodes,
    gpus: snapshot.fleet.gpuFree.length,
    occupancyTarget: target,
    occupancyAtStart: Math.round(occupancyAtStart * 1000) / 1000,
    occupancyAtEnd: Math.round(occupancyAtEnd * 1000) / 1000,
    decisions,
    placed,
    successRate: Math.round((placed / decisions) * 1000) / 1000,
    decisionsPerSecond: Math.round(decisions / (ns / 1e9)),
    p50Us: Math.round(pctUs(0.5) * 10) / 10,
    p99Us: Math.round(pctUs(0.99) * 10) / 10,
    maxUs: Math.round(pctUs(1) * 10) / 10,
    prepareUsMean: Math.round((prepareNs / decisions / 1000) * 100) / 100,
    signatures: engine.preparer.signatureCount,
    gangs,
    gangsPlaced,
    gangsPerSecond: Math.round(gangs / (gangNs / 1e9)),
    gangP50Us: gangPctUs(0.5),
    gangP99Us: gangPctUs(0.99),
    ...(options.byTemplate
      ? {
          templates: [...perTemplate].map(([template, [count, total]]) => ({
            template,
            decisions: count,
            meanUs: Math.round(total / count / 100) / 10,
          })),
        }
      : {}),
  };
}
