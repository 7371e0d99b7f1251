/**
 * Placement throughput and latency of the GPU placement core (issue 4 item 7): decisions per
 * second and p50/p99 decision latency for BestFit and FGD (and Strata's own policy once it is in
 * GPU_POLICY_NAMES) on
 *   (i)  the Alibaba cluster: the 1,213 GPU nodes of openb_node_list_gpu_node.csv, starting empty,
 *        pods drawn uniformly with replacement from openb_pod_list_default.csv;
 *   (ii) synthetic fleets of 5,000 and 10,000 8-GPU nodes pre-filled to 50% and 90% GPU occupancy
 *        with a seeded mix drawn from the same pod list,
 * plus the wall time of one FGD-methodology run (one seed, default trace, FGD) and peak RSS.
 *
 *   npm run bench:placement -- [--seed 42] [--decisions 20000] [--warmup 2000]
 *
 * A decision is one place() call plus, when it returns a node, the bind; both are timed with
 * performance.now() (bind is also reported on its own). Failed decisions (no node fits) count: the
 * success rate is reported beside the figures. Each (fleet, policy) pair gets a fresh, identically
 * pre-filled fleet and the same pod sequence for the same seed; `--warmup` decisions run first on
 * that fleet and are not measured (they warm the JIT and FGD's per-node cache, i.e. steady state).
 * Goals (one core): ≥ 50,000 decisions/s at 5,000 nodes for BestFit with every filter on,
 * ≥ 5,000/s for Strata's default policy, p99 ≤ 2 ms, one FGD-methodology run < 3 s.
 * A readable table goes to stdout, progress to stderr; the last line is one JSON object.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng } from '../src/runtime/rng.js';
import { type TypicalPod, typicalPodsOf } from '../src/scheduling/fgd-fragmentation.js';
import { fits } from '../src/scheduling/gpu-fit.js';
import {
  type CompiledPod,
  GpuFleet,
  type GpuNodeSpec,
  type GpuPodRequest,
} from '../src/scheduling/gpu-fleet.js';
import { bestFitGpus, createGpuPolicy, GPU_POLICY_NAMES } from '../src/scheduling/gpu-policies.js';
import { runFgdMethodology, toRequest } from '../src/sim/fgd-methodology.js';
import { readNodeListCsv, readPodListCsv } from '../src/sim/trace-csv.js';

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '42' },
    decisions: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '2000' },
    trace: { type: 'string', default: join(import.meta.dirname, '../../shared/traces/alibaba-gpu-2023/csv') },
  },
});
const SEED = Number(args.seed);
const DECISIONS = Number(args.decisions);
const WARMUP = Number(args.warmup);
const TRACE_DIR = args.trace;

/** BestFit and FGD today; Strata's own policy joins automatically once it is a valid policy name. */
const STRATA_POLICY = 'Strata';
const POLICIES: string[] = ['BestFit', 'FGD'];
if ((GPU_POLICY_NAMES as readonly string[]).includes(STRATA_POLICY)) POLICIES.push(STRATA_POLICY);
/** The policy the "default policy" goal applies to: Strata's once it exists, FGD until then. */
const DEFAULT_POLICY = POLICIES.includes(STRATA_POLICY) ? STRATA_POLICY : 'FGD';

const GOALS = {
  bestFitPerSecondAt5000: 50_000,
  defaultPolicyPerSecond: 5_000,
  p99Ms: 2,
  fgdMethodologyRunMs: 3_000,
} as const;

/**
 * Synthetic node: 8 × G2, 128 cores, 768 GiB (the trace's G3 node shape). With the trace's G2 shape
 * (96 cores) the default pod mix (about 14 cores per requested GPU) runs out of CPU near 87% GPU
 * occupancy, so 90% could not be reached.
 */
const SYNTHETIC_NODE = { cpuMilli: 128_000, memoryMib: 768 * 1024, gpuCount: 8, model: 'G2' } as const;
const SYNTHETIC = [
  { key: 'synthetic5000at50', nodes: 5_000, occupancy: 0.5 },
  { key: 'synthetic5000at90', nodes: 5_000, occupancy: 0.9 },
  { key: 'synthetic10000at50', nodes: 10_000, occupancy: 0.5 },
  { key: 'synthetic10000at90', nodes: 10_000, occupancy: 0.9 },
] as const;

const progress = (line: string) => process.stderr.write(`${line}\n`);
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

interface Scenario {
  readonly key: string;
  readonly label: string;
  /** A fresh fleet, identical on every call (same seed ⇒ same pre-fill). */
  build(): { fleet: GpuFleet; occupancyPct: number; prefillPods: number };
}

interface Figures {
  perSecond: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  bindP50Us: number;
  successRate: number;
  decisions: number;
  occupancyBeforePct: number;
  occupancyAfterPct: number;
  prefillPods: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/**
 * Pre-fills a fleet to `occupancy` of its GPU capacity: pods drawn from the trace with `rng`, each
 * tried on up to 64 random nodes and bound (best-fit GPUs) on the first that fits. Cheap and
 * policy-neutral, so a 10,000-node fleet fills in well under a second. Stops early if the pod mix
 * cannot fill further (reported as the reached occupancy).
 */
function prefill(fleet: GpuFleet, pods: readonly CompiledPod[], occupancy: number, rng: Rng): number {
  const target = occupancy * fleet.gpuCapacityMilli;
  let placed = 0;
  let misses = 0;
  while (fleet.gpuAllocatedMilli < target && misses < 5_000) {
    const pod = pods[Math.floor(rng.next() * pods.length)]!;
    if (fleet.gpuAllocatedMilli + pod.totalGpuMilli > target + 1000 * 8) continue;
    let bound = false;
    for (let attempt = 0; attempt < 64; attempt++) {
      const node = Math.floor(rng.next() * fleet.size);
      if (!fits(fleet, node, pod)) continue;
      fleet.bind(node, pod, bestFitGpus(fleet, node, pod));
      bound = true;
      placed++;
      break;
    }
    misses = bound ? 0 : misses + 1;
  }
  return placed;
}

function occupancyPct(fleet: GpuFleet): number {
  return (100 * fleet.gpuAllocatedMilli) / fleet.gpuCapacityMilli;
}

function measure(
  scenario: Scenario,
  policyName: string,
  requests: readonly GpuPodRequest[],
  typicalPods: readonly TypicalPod[],
): Figures {
  const { fleet, prefillPods } = scenario.build();
  const before = occupancyPct(fleet);
  const compiled = requests.map((r) => fleet.compile(r));
  const policy = createGpuPolicy(policyName, {
    fleet,
    rng: new Rng(SEED + 1),
    typicalPods,
    tieBreak: 'first',
  });
  // Same pod sequence for every policy on this scenario.
  const draw = new Rng(SEED + 2);
  const next = () => compiled[Math.floor(draw.next() * compiled.length)]!;

  for (let i = 0; i < WARMUP; i++) {
    const pod = next();
    const placement = policy.place(pod);
    if (placement) fleet.bind(placement.node, pod, placement.gpus);
  }
  const afterWarmup = occupancyPct(fleet);

  const latency = new Float64Array(DECISIONS);
  const bindTimes: number[] = [];
  let placed = 0;
  const started = performance.now();
  for (let i = 0; i < DECISIONS; i++) {
    const pod = next();
    const t0 = performance.now();
    const placement = policy.place(pod);
    if (placement) {
      const tb = performance.now();
      fleet.bind(placement.node, pod, placement.gpus);
      const t1 = performance.now();
      bindTimes.push(t1 - tb);
      latency[i] = t1 - t0;
      placed++;
    } else {
      latency[i] = performance.now() - t0;
    }
  }
  const elapsedMs = performance.now() - started;
  latency.sort();
  const binds = Float64Array.from(bindTimes).sort();
  return {
    perSecond: Math.round((DECISIONS * 1000) / elapsedMs),
    p50Us: round(percentile(latency, 0.5) * 1000),
    p99Us: round(percentile(latency, 0.99) * 1000),
    maxUs: round(latency[latency.length - 1]! * 1000),
    bindP50Us: round(percentile(binds, 0.5) * 1000, 2),
    successRate: round(placed / DECISIONS, 4),
    decisions: DECISIONS,
    occupancyBeforePct: round(WARMUP > 0 ? afterWarmup : before),
    occupancyAfterPct: round(occupancyPct(fleet)),
    prefillPods,
  };
}

async function main(): Promise<void> {
  const nodeFile = join(TRACE_DIR, 'openb_node_list_gpu_node.csv');
  const podFile = join(TRACE_DIR, 'openb_pod_list_default.csv');
  const traceNodes = await readNodeListCsv(nodeFile);
  const tracePods = await readPodListCsv(podFile);
  const requests = tracePods.map(toRequest);
  const typicalPods = typicalPodsOf(requests);
  const gpuNodes: GpuNodeSpec[] = traceNodes.filter((n) => n.gpuCount > 0);
  progress(
    `trace: ${gpuNodes.length} GPU nodes, ${tracePods.length} pods, ${typicalPods.length} typical shapes; seed ${SEED}, ${DECISIONS} decisions (+${WARMUP} warm-up) per run`,
  );

  // One FGD-methodology run first, in a cold process, as `strata simulate` would see it.
  const fgdStart = performance.now();
  const fgdRun = runFgdMethodology({ nodes: traceNodes, pods: tracePods, policy: 'FGD', seed: SEED });
  const fgdMethodologyRunMs = Math.round(performance.now() - fgdStart);
  progress(
    `FGD methodology run (seed ${SEED}): ${fgdMethodologyRunMs} ms, ${fgdRun.podsArrived} pods, unallocated at 100% ${round(fgdRun.unallocatedGpuPctAt100, 2)}%`,
  );

  const scenarios: Scenario[] = [
    {
      key: 'alibaba',
      label: `Alibaba ${gpuNodes.length} nodes, from empty`,
      build: () => ({ fleet: new GpuFleet(gpuNodes), occupancyPct: 0, prefillPods: 0 }),
    },
    ...SYNTHETIC.map(
      (s): Scenario => ({
        key: s.key,
        label: `synthetic ${s.nodes} × 8 GPU at ${s.occupancy * 100}%`,
        build: () => {
          const specs: GpuNodeSpec[] = Array.from({ length: s.nodes }, (_, i) => ({
            name: `synthetic-${i}`,
            ...SYNTHETIC_NODE,
          }));
          const fleet = new GpuFleet(specs);
          const compiled = requests.map((r) => fleet.compile(r));
          const prefillPods = prefill(fleet, compiled, s.occupancy, new Rng(SEED));
          return { fleet, occupancyPct: occupancyPct(fleet), prefillPods };
        },
      }),
    ),
  ];

  const results: Record<string, Record<string, Figures>> = {};
  for (const scenario of scenarios) {
    results[scenario.key] = {};
    for (const policy of POLICIES) {
      const t = performance.now();
      const figures = measure(scenario, policy, requests, typicalPods);
      results[scenario.key]![policy] = figures;
      progress(
        `${scenario.label.padEnd(36)} ${policy.padEnd(8)} ${figures.perSecond}/s p50 ${figures.p50Us} µs p99 ${figures.p99Us} µs ok ${round(figures.successRate * 100)}% (${Math.round(performance.now() - t)} ms)`,
      );
    }
  }
  const peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);

  // Goals
  const worstP99Us = Math.max(...Object.values(results).flatMap((r) => Object.values(r).map((f) => f.p99Us)));
  const bestFitAt5000 = Math.min(
    results.synthetic5000at50!.BestFit!.perSecond,
    results.synthetic5000at90!.BestFit!.perSecond,
  );
  const defaultAt5000 = Math.min(
    results.synthetic5000at50![DEFAULT_POLICY]!.perSecond,
    results.synthetic5000at90![DEFAULT_POLICY]!.perSecond,
  );
  const goals = {
    bestFitPerSecondAt5000: {
      goal: GOALS.bestFitPerSecondAt5000,
      worst: bestFitAt5000,
      met: bestFitAt5000 >= GOALS.bestFitPerSecondAt5000,
    },
    defaultPolicyPerSecondAt5000: {
      policy: DEFAULT_POLICY,
      goal: GOALS.defaultPolicyPerSecond,
      worst: defaultAt5000,
      met: defaultAt5000 >= GOALS.defaultPolicyPerSecond,
    },
    p99Ms: { goal: GOALS.p99Ms, worst: round(worstP99Us / 1000, 3), met: worstP99Us <= GOALS.p99Ms * 1000 },
    fgdMethodologyRunMs: {
      goal: GOALS.fgdMethodologyRunMs,
      measured: fgdMethodologyRunMs,
      met: fgdMethodologyRunMs < GOALS.fgdMethodologyRunMs,
    },
  };

  // Table
  const header = `${'fleet'.padEnd(38)}${'policy'.padEnd(9)}${'decisions/s'.padStart(12)}${'p50 µs'.padStart(9)}${'p99 µs'.padStart(9)}${'max µs'.padStart(9)}${'bind µs'.padStart(9)}${'placed'.padStart(8)}${'GPU occ.'.padStart(14)}`;
  console.log(header);
  console.log('-'.repeat(header.length));
  for (const scenario of scenarios) {
    for (const policy of POLICIES) {
      const f = results[scenario.key]![policy]!;
      console.log(
        `${scenario.label.padEnd(38)}${policy.padEnd(9)}${String(f.perSecond).padStart(12)}${String(f.p50Us).padStart(9)}${String(f.p99Us).padStart(9)}${String(f.maxUs).padStart(9)}${String(f.bindP50Us).padStart(9)}${`${round(f.successRate * 100)}%`.padStart(8)}${`${f.occupancyBeforePct}→${f.occupancyAfterPct}%`.padStart(14)}`,
      );
    }
  }
  console.log('');
  const mark = (met: boolean) => (met ? 'met' : 'MISSED');
  console.log(
    `goal BestFit at 5,000 nodes ≥ ${GOALS.bestFitPerSecondAt5000}/s: worst ${bestFitAt5000}/s — ${mark(goals.bestFitPerSecondAt5000.met)}`,
  );
  console.log(
    `goal default policy (${DEFAULT_POLICY}${DEFAULT_POLICY === 'FGD' ? ', standing in until Strata’s policy lands' : ''}) at 5,000 nodes ≥ ${GOALS.defaultPolicyPerSecond}/s: worst ${defaultAt5000}/s — ${mark(goals.defaultPolicyPerSecondAt5000.met)}`,
  );
  console.log(
    `goal p99 ≤ ${GOALS.p99Ms} ms (every fleet and policy): worst ${round(worstP99Us / 1000, 3)} ms — ${mark(goals.p99Ms.met)}`,
  );
  console.log(
    `goal one FGD-methodology run < ${GOALS.fgdMethodologyRunMs} ms: ${fgdMethodologyRunMs} ms — ${mark(goals.fgdMethodologyRunMs.met)}`,
  );
  console.log(
    `peak RSS ${peakRssMB} MB; seed ${SEED}; ${DECISIONS} measured decisions (+${WARMUP} warm-up) per fleet and policy; synthetic node ${SYNTHETIC_NODE.gpuCount} × ${SYNTHETIC_NODE.model}, ${SYNTHETIC_NODE.cpuMilli / 1000} cores, ${SYNTHETIC_NODE.memoryMib / 1024} GiB; one core (Node is single-threaded)`,
  );
  console.log(
    JSON.stringify({
      bench: 'placement',
      seed: SEED,
      decisions: DECISIONS,
      warmup: WARMUP,
      policies: POLICIES,
      defaultPolicy: DEFAULT_POLICY,
      ...results,
      fgdMethodologyRunMs,
      fgdMethodologyUnallocatedPctAt100: round(fgdRun.unallocatedGpuPctAt100, 2),
      peakRssMB,
      goals,
    }),
  );
}

await main();
