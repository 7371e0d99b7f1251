/**
 * Live placement micro-benchmark (issue 4 item 6): decisions per second and p50 / p99 decision
 * latency of the live placement engine — BestFit with every filter on (node condition, gang domain,
 * tenant isolation, resource fit, power headroom, GPU topology, plus the static label / taint /
 * residency / model / GPU-memory filters through the signature cache) — on a synthetic fleet of
 * 5,000 8-GPU nodes pre-filled to 50% GPU occupancy.
 *
 *   npm run bench:placement-filters -- [--seed 42] [--nodes 5000] [--decisions 20000] [--warmup 2000]
 *     [--occupancy 0.5] [--by-template]   (mean latency per pod template, to stderr)
 *
 * A decision is one engine.place() call: filter, score, choose GPUs and, when a node fits, bind.
 * Pods are prepared (signature lookup, compile) before the clock starts, as a controller prepares a
 * workload once per admission; preparation is timed on its own. After each measured decision one
 * random bound pod is released (untimed), so occupancy stays near the target. Pods are a seeded mix
 * of whole GPUs (1/2/4/8), fractions, CPU-only, NUMA-aligned, NVLink-required, EU residency,
 * nodeSelector + tolerations, and a hard-isolated tenant. Goal: ≥ 50,000 decisions/s.
 * Then gangs of 4 × 8 GPUs (NVLink required) inside one rack are placed (timed: placeGang, domain
 * ranking included) and released (untimed) on the same fleet.
 * A readable summary goes to stdout; the last line is one JSON object.
 */
import { parseArgs } from 'node:util';
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

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '42' },
    nodes: { type: 'string', default: '5000' },
    decisions: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '2000' },
    occupancy: { type: 'string', default: '0.5' },
    'by-template': { type: 'boolean', default: false },
  },
});
const SEED = Number(args.seed);
const NODES = Number(args.nodes);
const DECISIONS = Number(args.decisions);
const WARMUP = Number(args.warmup);
const OCCUPANCY = Number(args.occupancy);
const BY_TEMPLATE = args['by-template'];
const GOAL = 50_000;
const GIB = 2 ** 30;

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

const fleet = syntheticFleet({ nodes: NODES, preferNoScheduleEvery: 10 });
const snapshot = new FleetSnapshot({
  ...fleet,
  tenants: [
    tenant('acme', { allowedJurisdictions: ['EU', 'US'] }),
    tenant('labs', {}),
    tenant('vault', { isolation: 'hard', allowedJurisdictions: ['EU'] }),
  ],
});
const engine = new PlacementEngine(snapshot, placementProfile('BestFit'));
const rng = new Rng(SEED);

type Template = Omit<PodRequest, 'id'>;
const base = { cpuMilli: 8000, memoryBytes: 64 * GIB };
const templates: readonly (readonly [number, Template])[] = [
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
const totalWeight = templates.reduce((s, [w]) => s + w, 0);
let serial = 0;
function nextRequest(): PodRequest {
  let r = rng.next() * totalWeight;
  for (const [w, t] of templates) {
    r -= w;
    if (r < 0) return { ...t, id: `pod-${serial++}` };
  }
  return { ...templates[0]![1], id: `pod-${serial++}` };
}

const bound: string[] = [];
const debug = new Map<string, [number, number]>();
function releaseRandom(): void {
  if (bound.length === 0) return;
  const k = Math.floor(rng.next() * bound.length);
  const id = bound[k]!;
  bound[k] = bound[bound.length - 1]!;
  bound.pop();
  engine.release(id);
}

// Pre-fill to the target GPU occupancy.
const capacity = snapshot.fleet.gpuCapacityMilli;
const migReserved = snapshot.fleet.gpuAllocatedMilli;
let fillFailures = 0;
while ((snapshot.fleet.gpuAllocatedMilli - migReserved) / capacity < OCCUPANCY && fillFailures < 1000) {
  const d = engine.place(engine.prepare(nextRequest()));
  if (d.outcome === 'placed') bound.push(d.pod);
  else fillFailures++;
}
const occupancy = (snapshot.fleet.gpuAllocatedMilli - migReserved) / capacity;

function prepareBatch(count: number): { pods: PreparedPod[]; prepareNs: number } {
  const requests = Array.from({ length: count }, nextRequest);
  const t0 = process.hrtime.bigint();
  const pods = requests.map((r) => engine.prepare(r));
  return { pods, prepareNs: Number(process.hrtime.bigint() - t0) };
}

function run(pods: readonly PreparedPod[], latencies: Float64Array | null): { placed: number; ns: number } {
  let placed = 0;
  let ns = 0;
  for (let k = 0; k < pods.length; k++) {
    const t0 = process.hrtime.bigint();
    const d = engine.place(pods[k]!);
    const dt = Number(process.hrtime.bigint() - t0);
    ns += dt;
    if (latencies) latencies[k] = dt;
    if (BY_TEMPLATE && latencies) {
      const key = JSON.stringify({ ...pods[k]!.request, id: undefined });
      const e = (debug.get(key) ?? [0, 0]) as [number, number];
      e[0]++;
      e[1] += dt;
      debug.set(key, e);
    }
    if (d.outcome === 'placed') {
      placed++;
      bound.push(d.pod);
    }
    releaseRandom();
  }
  return { placed, ns };
}

run(prepareBatch(WARMUP).pods, null);
const { pods, prepareNs } = prepareBatch(DECISIONS);
const latencies = new Float64Array(DECISIONS);
const { placed, ns } = run(pods, latencies);
latencies.sort();
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! / 1000;
const perSecond = Math.round(DECISIONS / (ns / 1e9));

// Gangs: 4 × 8 GPUs (NVLink required) inside one rack, on the same fleet; released right after.
const GANGS = Math.max(1, Math.floor(DECISIONS / 40));
const gangLatencies = new Float64Array(GANGS);
let gangsPlaced = 0;
let gangNs = 0;
for (let g = -Math.floor(GANGS / 10); g < GANGS; g++) {
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
const gangPct = (p: number) =>
  Math.round(gangLatencies[Math.min(GANGS - 1, Math.floor(p * GANGS))]! / 100) / 10;
const figures = {
  bench: 'placement-filters',
  policy: 'BestFit',
  seed: SEED,
  nodes: NODES,
  gpus: snapshot.fleet.gpuFree.length,
  occupancyTarget: OCCUPANCY,
  occupancyAtStart: Math.round(occupancy * 1000) / 1000,
  decisions: DECISIONS,
  placed,
  successRate: Math.round((placed / DECISIONS) * 1000) / 1000,
  decisionsPerSecond: perSecond,
  p50Us: Math.round(pct(0.5) * 10) / 10,
  p99Us: Math.round(pct(0.99) * 10) / 10,
  maxUs: Math.round(pct(1) * 10) / 10,
  prepareUsMean: Math.round((prepareNs / DECISIONS / 1000) * 100) / 100,
  signatures: engine.preparer.signatureCount,
  gangs: GANGS,
  gangsPlaced,
  gangsPerSecond: Math.round(GANGS / (gangNs / 1e9)),
  gangP50Us: gangPct(0.5),
  gangP99Us: gangPct(0.99),
  goalDecisionsPerSecond: GOAL,
  goalMet: perSecond >= GOAL,
  node: process.version,
};
console.log(
  `live placement, BestFit + every filter, ${NODES} nodes at ${figures.occupancyAtStart * 100}% GPU occupancy: ` +
    `${perSecond.toLocaleString('en')} decisions/s, p50 ${figures.p50Us} µs, p99 ${figures.p99Us} µs, ` +
    `success ${figures.successRate * 100}%, prepare ${figures.prepareUsMean} µs/pod (goal ≥ ${GOAL.toLocaleString('en')}/s: ${figures.goalMet ? 'met' : 'not met'})`,
);
if (BY_TEMPLATE) {
  for (const [k, [c, t]] of debug)
    console.error(`${c} decisions, mean ${Math.round(t / c / 100) / 10} µs: ${k}`);
}
console.log(
  `gangs of 4 × 8 GPUs in one rack: ${figures.gangsPerSecond.toLocaleString('en')} gangs/s, p50 ${figures.gangP50Us} µs, ` +
    `p99 ${figures.gangP99Us} µs, placed ${gangsPlaced} of ${GANGS}`,
);
console.log(JSON.stringify(figures));
