/**
 * The virtual-clock driver behind `npm run bench:admission` (issue 5 "Measure"): feeds an admission
 * state its arrivals and completions in virtual time and runs admission cycles, measuring CPU with
 * process.cpuUsage() once around the loop — the scheduler's work (submit, admitCycle, finish) plus
 * the driver's own heap and map bookkeeping (a few percent); building fleets and Workload objects
 * (zod parsing) is left out: it happens before the loop, or is timed and subtracted for refills.
 *
 * Event-driven: cycle at `now` → advance virtual time to the next arrival or completion (at least
 * `cycleIntervalMs` later, as a real scheduler loop batches events) → submit arrivals and finish
 * completed workloads → cycle again. When nothing is running and nothing arrives but workloads
 * remain pending (all in backoff or blocked), time advances by `idleStepMs` so backoffs expire.
 */
import { API_VERSION, type ApiObject } from '../src/model/object.js';
import {
  type CohortSpec,
  cohortSpec,
  type QueueSpec,
  queueSpec,
  resourceClassSpec,
  type WorkloadSpec,
  workloadSpec,
} from '../src/model/scheduling.js';
import { Rng } from '../src/runtime/rng.js';
import { admitCycle } from '../src/scheduling/admission-cycle.js';
import type { CycleDecisions } from '../src/scheduling/admission-decision.js';
import {
  type AdmissionOptions,
  type AdmissionState,
  createAdmissionState,
  finish,
  submit,
} from '../src/scheduling/admission-state.js';
import { FleetSnapshot } from '../src/scheduling/fleet-snapshot.js';
import { PlacementEngine } from '../src/scheduling/placement-engine.js';
import { placementProfile } from '../src/scheduling/placement-scorers.js';
import { syntheticFleet } from '../src/scheduling/synthetic-fleet.js';

/** Virtual epoch: a Monday, UTC. */
export const T0 = Date.parse('2026-01-05T00:00:00Z');

export interface SimWorkload {
  readonly object: ApiObject<WorkloadSpec>;
  readonly queue: string;
  readonly arrivalMs: number;
  readonly runtimeMs: number;
}

/** A size in the seeded mix: whole GPUs per pod, or a milli-GPU fraction. */
export type Size = { readonly gpus: number } | { readonly milli: number };

/** Kueue-like mix: mostly small whole-GPU jobs, some fractions, a few full nodes. */
export const MIXED_SIZES: readonly (readonly [number, Size])[] = [
  [30, { gpus: 1 }],
  [20, { gpus: 2 }],
  [15, { gpus: 4 }],
  [10, { gpus: 8 }],
  [15, { milli: 500 }],
  [10, { milli: 250 }],
];

export function pickSize(rng: Rng, sizes: readonly (readonly [number, Size])[] = MIXED_SIZES): Size {
  const total = sizes.reduce((s, [w]) => s + w, 0);
  let r = rng.next() * total;
  for (const [w, s] of sizes) {
    r -= w;
    if (r < 0) return s;
  }
  return sizes[0]![1];
}

export function workloadObject(
  name: string,
  queue: string,
  size: Size,
  createdMs: number,
): ApiObject<WorkloadSpec> {
  const accelerators = 'gpus' in size ? { count: size.gpus } : { milli: size.milli };
  const gpus = 'gpus' in size ? size.gpus : 1;
  return {
    apiVersion: API_VERSION,
    kind: 'Workload',
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion: '1',
      generation: 1,
      creationTimestamp: new Date(createdMs).toISOString(),
    },
    spec: workloadSpec.parse({
      queue,
      podSets: [
        { name: 'main', count: 1, resources: { cpu: 4 * gpus, memory: `${16 * gpus}Gi`, accelerators } },
      ],
    }),
  };
}

export interface QueueLayout {
  /** Queue name → [cohort, fairShareWeight, nominal whole GPUs]. */
  readonly queues: readonly (readonly [string, string | undefined, number, number])[];
  readonly cohorts: readonly string[];
  /** milliGpus nominal per queue (fractions are their own quota dimension). */
  readonly milliPerQueue: number;
  /** Queue preemption settings (default: the schema's, within-queue LowerPriority and reclaim Any). */
  readonly preemption?: QueueSpec['preemption'];
}

/** `cohorts` × `queuesPerCohort` queues (weight 1) splitting the fleet's GPUs as their nominal quota. */
export function cohortLayout(cohorts: number, queuesPerCohort: number, nodes: number) {
  const n = cohorts * queuesPerCohort;
  const gpus = Math.floor((nodes * 8) / n);
  const queues: [string, string, number, number][] = [];
  for (let c = 0; c < cohorts; c++)
    for (let q = 0; q < queuesPerCohort; q++) queues.push([`c${c}-q${q}`, `c${c}`, 1, gpus]);
  return {
    queues,
    cohorts: Array.from({ length: cohorts }, (_, c) => `c${c}`),
    milliPerQueue: gpus * 1000,
  };
}

/** Arrivals at LOAD × what `nodes` can turn over with the mixed sizes (~2.2 GPUs) and mean runtime. */
const LOAD = 1.1;
export const arrivalRate = (nodes: number, meanRuntimeSeconds: number) =>
  (LOAD * nodes * 8) / 2.2 / meanRuntimeSeconds;

/** An admission state over `nodes` synthetic 8-GPU nodes (BestFit, every live filter on). */
export function buildState(
  nodes: number,
  layout: QueueLayout,
  options: AdmissionOptions = {},
): AdmissionState {
  const snapshot = new FleetSnapshot(syntheticFleet({ nodes }));
  const engine = new PlacementEngine(snapshot, placementProfile('BestFit'));
  const queues = new Map<string, QueueSpec>();
  for (const [name, cohort, weight, gpus] of layout.queues) {
    queues.set(
      name,
      queueSpec.parse({
        ...(cohort ? { cohort } : {}),
        queueingStrategy: 'BestEffortFIFO',
        fairShareWeight: weight,
        ...(layout.preemption ? { preemption: layout.preemption } : {}),
        resources: [{ resourceClass: 'default', nominal: { gpus, milliGpus: layout.milliPerQueue } }],
      }),
    );
  }
  const cohorts = new Map<string, CohortSpec>(layout.cohorts.map((c) => [c, cohortSpec.parse({})]));
  return createAdmissionState(
    { queues, cohorts, resourceClasses: new Map([['default', resourceClassSpec.parse({})]]) },
    engine,
    options,
  );
}

/** A binary min-heap of running workloads by end time. */
interface Running {
  readonly endMs: number;
  readonly key: string;
  /** Admission generation: a preempted and re-admitted workload's old entry is stale. */
  readonly gen: number;
}

class EndHeap {
  readonly #items: Running[] = [];
  get size() {
    return this.#items.length;
  }
  peek() {
    return this.#items[0];
  }
  push(item: Running) {
    const a = this.#items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.endMs <= a[i]!.endMs) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop() {
    const a = this.#items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]!.endMs < a[m]!.endMs) m = l;
        if (r < a.length && a[r]!.endMs < a[m]!.endMs) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}

export interface SimOptions {
  /** Sorted by arrivalMs. */
  readonly workloads: readonly SimWorkload[];
  readonly cycleIntervalMs?: number;
  readonly idleStepMs?: number;
  /** Stop at this virtual instant (running work is cut off there for GPU-hour accounting). */
  readonly endMs?: number;
  readonly progress?: (line: string) => void;
  /** Called per admission; a returned workload is submitted at once (keeps a queue saturated). */
  readonly refill?: (queue: string, nowMs: number) => SimWorkload | undefined;
  /** Time each cycle with process.cpuUsage() (a syscall per call: ~5% overhead on small cycles). */
  readonly perCycleCpu?: boolean;
  /** Sees every cycle's decisions (bench/admission-digest.ts fingerprints them; adds to the CPU). */
  readonly onCycle?: (d: CycleDecisions) => void;
}

export interface CycleRecord {
  readonly atMs: number;
  readonly admitted: number;
  readonly pending: number;
  readonly cpuUs: number;
}

export interface SimResult {
  readonly cpuSeconds: number;
  readonly submitted: number;
  readonly rejected: number;
  readonly admitted: number;
  readonly finished: number;
  readonly cycles: number;
  /** Workload evaluations: admitted + pending entries summed over cycles. */
  readonly evaluations: number;
  readonly virtualSeconds: number;
  readonly gpuHoursByQueue: ReadonlyMap<string, number>;
  readonly cycleLog: readonly CycleRecord[];
  readonly maxPending: number;
  readonly preemptions: number;
  /** GPU-seconds of work lost to preemption (as the core reports it). */
  readonly wastedGpuSeconds: number;
}

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

export function simulate(state: AdmissionState, o: SimOptions): SimResult {
  const interval = o.cycleIntervalMs ?? 1000;
  const idleStep = o.idleStepMs ?? 10_000;
  const runtimes = new Map<string, SimWorkload>();
  for (const w of o.workloads) runtimes.set(`${w.object.metadata.name}`, w);
  const running = new EndHeap();
  const startOf = new Map<string, { startMs: number; gpus: number; queue: string; gen: number }>();
  let gens = 0;
  const everAdmitted = new Set<string>();
  let preemptions = 0;
  let wasted = 0;
  const gpuHours = new Map<string, number>();
  const account = (key: string, untilMs: number) => {
    const s = startOf.get(key)!;
    startOf.delete(key);
    gpuHours.set(s.queue, (gpuHours.get(s.queue) ?? 0) + (s.gpus * Math.max(0, untilMs - s.startMs)) / 3.6e6);
  };
  const cycleLog: CycleRecord[] = [];
  let now = o.workloads[0]?.arrivalMs ?? T0;
  let next = 0;
  let rejected = 0;
  let admitted = 0;
  let finished = 0;
  let evaluations = 0;
  let maxPending = 0;
  const perCycle = o.perCycleCpu === true;
  /** Driver-side CPU to leave out: building refill Workload objects (zod parse). */
  let excluded = 0;
  const start = cpuUs();
  let lastProgress = 0;
  for (;;) {
    const c0 = perCycle ? cpuUs() : 0;
    while (next < o.workloads.length && o.workloads[next]!.arrivalMs <= now) {
      if (!submit(state, o.workloads[next]!.object).accepted) rejected++;
      next++;
    }
    while (running.size > 0 && running.peek()!.endMs <= now) {
      const { key, endMs, gen } = running.pop()!;
      if (startOf.get(key)?.gen !== gen) continue; // preempted since
      finish(state, key, new Date(endMs));
      finished++;
      account(key, endMs);
    }
    if (o.endMs !== undefined && now >= o.endMs) break;
    const d = admitCycle(state, new Date(now));
    o.onCycle?.(d);
    const c1 = perCycle ? cpuUs() : 0;
    maxPending = Math.max(maxPending, d.pending.length);
    evaluations += d.admitted.length + d.pending.length;
    cycleLog.push({ atMs: now, admitted: d.admitted.length, pending: d.pending.length, cpuUs: c1 - c0 });
    for (const p of d.preempted) {
      preemptions++;
      wasted += p.wastedGpuSeconds;
      if (startOf.has(p.victim)) account(p.victim, now);
    }
    for (const a of d.admitted) {
      const w = runtimes.get(a.workload)!;
      const gen = ++gens;
      running.push({ endMs: now + w.runtimeMs, key: a.workload, gen });
      startOf.set(a.workload, { startMs: now, gpus: a.gpus, queue: a.queue, gen });
      admitted++;
    }
    if (o.refill) {
      const c2 = cpuUs();
      const fresh: SimWorkload[] = [];
      for (const a of d.admitted) {
        if (everAdmitted.has(a.workload)) continue; // a preempted workload re-admitted
        everAdmitted.add(a.workload);
        const w = o.refill(a.queue, now);
        if (w) fresh.push(w);
      }
      excluded += cpuUs() - c2;
      for (const w of fresh) {
        runtimes.set(w.object.metadata.name, w);
        if (!submit(state, w.object).accepted) rejected++;
      }
    }
    if (o.progress && admitted - lastProgress >= 2500) {
      lastProgress = admitted;
      o.progress(
        `  t=${((now - T0) / 1000).toFixed(0)}s admitted=${admitted} pending=${d.pending.length} cpu=${((cpuUs() - start - excluded) / 1e6).toFixed(2)}s`,
      );
    }
    let at = Number.POSITIVE_INFINITY;
    if (next < o.workloads.length) at = o.workloads[next]!.arrivalMs;
    if (running.size > 0) at = Math.min(at, running.peek()!.endMs);
    if (at === Number.POSITIVE_INFINITY) {
      if (state.pending.size === 0) break;
      at = now + idleStep;
    }
    if (o.endMs !== undefined) at = Math.min(at, o.endMs);
    now = Math.max(at, now + interval);
  }
  const cpu = cpuUs() - start - excluded;
  const endMs = o.endMs ?? now;
  for (const key of [...startOf.keys()]) account(key, endMs);
  return {
    cpuSeconds: cpu / 1e6,
    submitted: next,
    rejected,
    admitted,
    finished,
    cycles: cycleLog.length,
    evaluations,
    virtualSeconds: (now - (o.workloads[0]?.arrivalMs ?? T0)) / 1000,
    gpuHoursByQueue: gpuHours,
    cycleLog,
    maxPending,
    preemptions,
    wastedGpuSeconds: wasted,
  };
}

/** Seeded workloads over the given queues: arrivals by a Poisson process (rate per second; Infinity = all at T0). */
export function generateWorkloads(o: {
  readonly seed: number;
  readonly count: number;
  readonly queues: readonly string[];
  readonly ratePerSecond: number;
  readonly runtimeSeconds: readonly [number, number];
  readonly sizes?: readonly (readonly [number, Size])[];
}): SimWorkload[] {
  const rng = new Rng(o.seed);
  const out: SimWorkload[] = [];
  let t = T0;
  for (let i = 0; i < o.count; i++) {
    if (Number.isFinite(o.ratePerSecond))
      t += Math.round((-Math.log(1 - rng.next()) / o.ratePerSecond) * 1000);
    const queue = o.queues[i % o.queues.length]!;
    const size = pickSize(rng, o.sizes);
    const [lo, hi] = o.runtimeSeconds;
    const runtimeMs = Math.round((lo + rng.next() * (hi - lo)) * 1000);
    out.push({ object: workloadObject(`w${i}`, queue, size, t), queue, arrivalMs: t, runtimeMs });
  }
  return out;
}
