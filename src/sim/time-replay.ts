import { Rng } from '../runtime/rng.js';
import { type TypicalPod, typicalPodsOf } from '../scheduling/fgd-fragmentation.js';
import { fits } from '../scheduling/gpu-fit.js';
import { type CompiledPod, GpuFleet, type GpuNodeSpec, MILLI_PER_GPU } from '../scheduling/gpu-fleet.js';
import { createGpuPolicy, type GpuPlacement, type TieBreak } from '../scheduling/gpu-policies.js';
import { type PodLike, toRequest } from './fgd-methodology.js';

/**
 * The time replay (issue 4 item 5): the pod list replayed on a virtual clock from its own
 * timestamps, instead of the FGD methodology's sampled arrivals that never depart.
 *
 * - A pod arrives at its `creationTime` and runs for `deletionTime − creationTime` seconds from the
 *   moment it is placed, so a pod that waited departs later than it did in the trace. A pod with no
 *   deletion time never departs; one whose deletion precedes its creation runs for 0 seconds.
 * - Pods with no creation time cannot be replayed: they are skipped and counted.
 * - A pod that fits no node of the EMPTY fleet (CPU, memory, GPU model, GPU count) is counted as
 *   "never fits" on arrival and never queued: no departure could ever make room for it.
 * - Queue discipline, FIFO with backfill: a pod that does not fit on arrival joins the back of the
 *   queue. Whenever capacity frees (a batch of departures at one instant) the queue is retried
 *   once, oldest first, and a pod that fits is placed even if an older one still does not. There is
 *   no reservation for the head of the queue (not EASY backfill), so a large pod can be passed by
 *   smaller ones for as long as they keep fitting. A new arrival is tried at once, after the queue.
 * - Events at one instant: departures first (their capacity is free for that instant's pods), then
 *   one retry pass over the queue, then arrivals in trace order (creation time, then list position).
 *
 * Why one retry pass per release batch suffices, and the shape memo: between two releases the fleet
 * only loses capacity (binds), so a pod that failed cannot fit later in the same pass or on a
 * later arrival; and a pod whose fit class (CPU, memory, GPU count and share, allowed models) already
 * failed since the last release fails without asking the policy. A retry pass therefore costs one
 * policy call per distinct fit class plus O(queue) array reads; nothing is rescanned when nothing
 * was released.
 *
 * Load scaling, `arrivalCompression` K (default 1): a pod arrives at creation_time ÷ K instead of
 * creation_time, so arrivals come K times as fast, while it still runs for deletion − creation once
 * placed. The trace's own timing is light (its pods mostly live minutes over months), so trace-replay
 * studies compress arrivals to put the fleet under pressure. K = 1 replays the trace as it is. The
 * offered load at K (offeredLoad) is K × Σ runtime × GPU request ÷ (arrival span × GPU capacity),
 * and autoArrivalCompression picks the K that makes it a target.
 *
 * Node set: `gpuNodesOnly` (default true) follows the FGD methodology, which replays on the GPU
 * nodes only; CPU-only pods are still placed there and consume CPU and memory, as in
 * runFgdMethodology. Pure and deterministic: no wall clock, the seed drives every random choice
 * (the Random policy, random GPU choice and random tie-breaking), so the same pods, policy and seed
 * give the same result.
 */

/** The trace's TracePod, or any PodLike with the trace's timestamps (seconds). */
export type TimedPod = PodLike & {
  readonly name?: string;
  readonly creationTime: number | null;
  readonly deletionTime: number | null;
};

export interface TimeReplayOptions {
  readonly nodes: readonly GpuNodeSpec[];
  readonly pods: readonly TimedPod[];
  readonly policy: string;
  readonly seed: number;
  /** Replay on the GPU nodes only, as the FGD methodology does (default true). */
  readonly gpuNodesOnly?: boolean;
  /** Spacing of the allocation samples in trace seconds (default 3600: hourly). */
  readonly sampleEverySec?: number;
  /** Defaults to the pod list's own request distribution (typicalPodsOf); FGD measures against it. */
  readonly typicalPods?: readonly TypicalPod[];
  /** Equal top scores: 'first' node (default, as in the FGD methodology) or 'random'. */
  readonly tieBreak?: TieBreak;
  /**
   * K > 0 (default 1): arrival time = creation_time ÷ K, runtime unchanged. All times in the result
   * (samples, delays, makespan, trace span) are on that compressed clock.
   */
  readonly arrivalCompression?: number;
}

/** Queueing delay (placement time − arrival time) over the placed pods, in seconds; NaN if none. */
export interface DelayStats {
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface TimeReplayResult {
  readonly policy: string;
  readonly seed: number;
  /** Trace time of the first arrival (seconds): sample k is taken at startTime + k·sampleEverySec. */
  readonly startTime: number;
  readonly sampleEverySec: number;
  /** Allocated milli-GPU ÷ capacity, %, after every event at or before each sample time. */
  readonly allocatedPct: Float64Array;
  /** Time-weighted mean of the allocation % from the first arrival to the last event. */
  readonly meanAllocatedPct: number;
  readonly peakAllocatedPct: number;
  /** Allocation % after the last event: what the allocation stays at for ever after. */
  readonly endAllocatedPct: number;
  readonly delaySec: DelayStats;
  /** Pods in the list. */
  readonly podsTotal: number;
  /** Pods with a creation time, replayed. */
  readonly podsArrived: number;
  readonly podsPlaced: number;
  /** Pods placed on arrival, without waiting. */
  readonly podsPlacedAtOnce: number;
  /** Pods no node of the empty fleet could hold; never queued. */
  readonly podsNeverFit: number;
  /** Names (or `#position` in the list) of the never-fit pods, in arrival order. */
  readonly neverFitPods: readonly string[];
  /** Pods still queued when no event is left: only pods that never depart can block them. */
  readonly podsWaitingAtEnd: number;
  /** Pods without a creation time. */
  readonly podsSkipped: number;
  /** Replayed pods without a deletion time: once placed they never depart. */
  readonly podsOpenEnded: number;
  /** Longest queue seen. */
  readonly queuePeak: number;
  /** Last event (departure, or arrival if later) − first arrival, seconds. */
  readonly makespanSec: number;
  /**
   * The same in the trace itself: last deletion − first creation (no waiting), for comparison; under
   * compression, the latest creation ÷ K + (deletion − creation) − the first arrival.
   */
  readonly traceSpanSec: number;
  /** The K used: arrival = creation_time ÷ K. */
  readonly arrivalCompression: number;
  /** K × Σ runtime × GPU request ÷ (arrival span × GPU capacity); see offeredLoad. */
  readonly offeredLoad: number;
}

/**
 * The figures behind the offered load of a pod list on a fleet, uncompressed (K = 1):
 * - work: Σ over pods with both timestamps of max(0, deletion − creation) × numGpu × gpuMilli
 *   (milli-GPU seconds);
 * - arrival span: last creation_time − first creation_time (seconds);
 * - capacity: milli-GPU of the nodes (CPU-only nodes add none).
 * Offered load at K = K × work ÷ (arrival span × capacity): compressing arrivals by K shrinks the
 * arrival span K-fold and keeps the work, so the load grows linearly with K. Pods without a
 * deletion time add no work (their runtime is unbounded); never-fit pods add theirs (the load is
 * what is offered, not what the fleet can take).
 */
export interface LoadBasis {
  readonly workMilliGpuSec: number;
  readonly arrivalSpanSec: number;
  readonly capacityMilli: number;
}

export function loadBasis(nodes: readonly GpuNodeSpec[], pods: readonly TimedPod[]): LoadBasis {
  let capacityMilli = 0;
  for (const n of nodes) capacityMilli += n.gpuCount * MILLI_PER_GPU;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let workMilliGpuSec = 0;
  for (const p of pods) {
    if (p.creationTime === null) continue;
    first = Math.min(first, p.creationTime);
    last = Math.max(last, p.creationTime);
    if (p.deletionTime !== null)
      workMilliGpuSec += Math.max(0, p.deletionTime - p.creationTime) * p.numGpu * p.gpuMilli;
  }
  return { workMilliGpuSec, arrivalSpanSec: Number.isFinite(first) ? last - first : 0, capacityMilli };
}

/** K × work ÷ (arrival span × capacity); NaN when the span or the capacity is 0. */
export function offeredLoad(basis: LoadBasis, arrivalCompression = 1): number {
  const denominator = basis.arrivalSpanSec * basis.capacityMilli;
  return denominator > 0 ? (arrivalCompression * basis.workMilliGpuSec) / denominator : Number.NaN;
}

/**
 * The K whose offered load is `targetLoad` (default 1): targetLoad × arrival span × capacity ÷ work.
 * Throws when no K can reach it: no work (no pod has both timestamps and a GPU request), all pods
 * arrive at one instant, or no GPU capacity.
 */
export function autoArrivalCompression(basis: LoadBasis, targetLoad = 1): number {
  if (!(targetLoad > 0) || !Number.isFinite(targetLoad))
    throw new RangeError(`the target load must be a positive number, got ${targetLoad}`);
  if (!(basis.workMilliGpuSec > 0))
    throw new Error('no pod requests GPU time (GPU request × (deletion − creation)); no K can set the load');
  if (!(basis.arrivalSpanSec > 0))
    throw new Error('every pod arrives at the same instant; compressing arrivals changes nothing');
  if (!(basis.capacityMilli > 0)) throw new Error('the node list has no GPU');
  return (targetLoad * basis.arrivalSpanSec * basis.capacityMilli) / basis.workMilliGpuSec;
}

export function checkArrivalCompression(k: number): void {
  if (!(k > 0) || !Number.isFinite(k))
    throw new RangeError(`the arrival compression must be a positive number, got ${k}`);
}

const DEFAULT_SAMPLE_SEC = 3600;

export function runTimeReplay(options: TimeReplayOptions): TimeReplayResult {
  const step = options.sampleEverySec ?? DEFAULT_SAMPLE_SEC;
  if (!(step > 0)) throw new RangeError(`sample spacing must be positive, got ${step}`);
  const compression = options.arrivalCompression ?? 1;
  checkArrivalCompression(compression);
  const nodes = (options.gpuNodesOnly ?? true) ? options.nodes.filter((n) => n.gpuCount > 0) : options.nodes;
  if (!nodes.some((n) => n.gpuCount > 0)) throw new Error('the node list has no GPU node');

  // Replay order: creation time, then position in the list (a stable sort).
  const order: number[] = [];
  options.pods.forEach((p, i) => {
    if (p.creationTime !== null) order.push(i);
  });
  order.sort((a, b) => options.pods[a]!.creationTime! - options.pods[b]!.creationTime! || a - b);
  const count = order.length;
  if (count === 0)
    throw new Error('no pod has a creation_time; the time replay needs creation_time and deletion_time');

  const fleet = new GpuFleet(nodes);
  const requests = options.pods.map(toRequest);
  const typicalPods = options.typicalPods ?? typicalPodsOf(requests);
  const policy = createGpuPolicy(options.policy, {
    fleet,
    rng: new Rng(options.seed),
    typicalPods,
    tieBreak: options.tieBreak ?? 'first',
  });

  // Per replayed pod, indexed by arrival position.
  const pods: CompiledPod[] = [];
  const arriveAt = new Float64Array(count);
  const runtime = new Float64Array(count);
  const departAt = new Float64Array(count);
  const boundNode = new Int32Array(count);
  const boundGpus: (readonly number[])[] = new Array(count);
  const fitClass = new Int32Array(count);
  const classIds = new Map<string, number>();
  let openEnded = 0;
  let traceEnd = Number.NEGATIVE_INFINITY;
  for (let a = 0; a < count; a++) {
    const source = options.pods[order[a]!]!;
    const pod = fleet.compile(requests[order[a]!]!);
    pods.push(pod);
    // K = 1 keeps the trace's times exactly (x ÷ 1 is x); ÷ K keeps their order (a stable sort above).
    arriveAt[a] = source.creationTime! / compression;
    if (source.deletionTime === null) {
      runtime[a] = Number.POSITIVE_INFINITY;
      openEnded++;
    } else {
      runtime[a] = Math.max(0, source.deletionTime - source.creationTime!);
      // The compressed trace's own departure: arrival + the trace's (deletion − creation).
      const end =
        compression === 1 ? source.deletionTime : arriveAt[a]! + (source.deletionTime - source.creationTime!);
      traceEnd = Math.max(traceEnd, end);
    }
    // Everything placement feasibility depends on; shapeKey leaves out memory and models.
    const key = `${pod.cpuMilli}/${pod.memoryMib}/${pod.numGpu}/${pod.gpuMilli}/${pod.anyModel ? '*' : pod.modelMask}`;
    let id = classIds.get(key);
    if (id === undefined) {
      id = classIds.size;
      classIds.set(key, id);
    }
    fitClass[a] = id;
  }
  const startTime = arriveAt[0]!;

  // Never fits: judged once per fit class while the fleet is still empty.
  const neverFitClass = new Uint8Array(classIds.size);
  const judged = new Uint8Array(classIds.size);
  for (let a = 0; a < count; a++) {
    const c = fitClass[a]!;
    if (judged[c] === 1) continue;
    judged[c] = 1;
    let any = false;
    for (let n = 0; n < fleet.size && !any; n++) any = fits(fleet, n, pods[a]!);
    neverFitClass[c] = any ? 0 : 1;
  }

  const capacity = fleet.gpuCapacityMilli;
  const departures = new DepartureHeap(departAt);
  const queue: number[] = [];
  // failedInEpoch[c] === epoch: class c failed since the last release, so it fails again.
  const failedInEpoch = new Uint32Array(classIds.size);
  let epoch = 1;
  const delays: number[] = [];
  const neverFitPods: string[] = [];
  let placedAtOnce = 0;
  let queuePeak = 0;
  let peakMilli = 0;

  const tryPlace = (a: number, now: number): boolean => {
    const c = fitClass[a]!;
    if (failedInEpoch[c] === epoch) return false;
    const placement: GpuPlacement | null = policy.place(pods[a]!);
    if (placement === null) {
      failedInEpoch[c] = epoch;
      return false;
    }
    // bind throws OverCommitError rather than book a resource twice.
    fleet.bind(placement.node, pods[a]!, placement.gpus);
    boundNode[a] = placement.node;
    boundGpus[a] = placement.gpus;
    delays.push(now - arriveAt[a]!);
    peakMilli = Math.max(peakMilli, fleet.gpuAllocatedMilli);
    if (Number.isFinite(runtime[a]!)) {
      departAt[a] = now + runtime[a]!;
      departures.push(a);
    }
    return true;
  };

  // The allocation is constant between events: integrate it and sample it on the grid lazily.
  const samples: number[] = [];
  let clock = startTime;
  let allocIntegral = 0;
  const advanceTo = (to: number, inclusive: boolean): void => {
    const pct = (100 * fleet.gpuAllocatedMilli) / capacity;
    allocIntegral += pct * (to - clock);
    clock = to;
    for (;;) {
      const at = startTime + samples.length * step;
      if (at > to || (at === to && !inclusive)) break;
      samples.push(pct);
    }
  };

  let next = 0;
  while (next < count || departures.size > 0) {
    const nextArrival = next < count ? arriveAt[next]! : Number.POSITIVE_INFINITY;
    const nextDeparture = departures.size > 0 ? departAt[departures.peek()]! : Number.POSITIVE_INFINITY;
    const now = Math.min(nextArrival, nextDeparture);
    advanceTo(now, false);

    if (nextDeparture === now) {
      while (departures.size > 0 && departAt[departures.peek()]! === now) {
        const a = departures.pop();
        fleet.release(boundNode[a]!, pods[a]!, boundGpus[a]!);
      }
      epoch++;
      let kept = 0;
      for (const a of queue) if (!tryPlace(a, now)) queue[kept++] = a;
      queue.length = kept;
    }

    while (next < count && arriveAt[next]! === now) {
      const a = next++;
      if (neverFitClass[fitClass[a]!] === 1) {
        neverFitPods.push(options.pods[order[a]!]!.name ?? `#${order[a]!}`);
      } else if (tryPlace(a, now)) {
        placedAtOnce++;
      } else {
        queue.push(a);
        queuePeak = Math.max(queuePeak, queue.length);
      }
    }
  }
  advanceTo(clock, true);

  const makespanSec = clock - startTime;
  return {
    policy: policy.name,
    seed: options.seed,
    startTime,
    sampleEverySec: step,
    allocatedPct: Float64Array.from(samples),
    meanAllocatedPct: makespanSec > 0 ? allocIntegral / makespanSec : samples[0]!,
    peakAllocatedPct: (100 * peakMilli) / capacity,
    endAllocatedPct: (100 * fleet.gpuAllocatedMilli) / capacity,
    delaySec: delayStats(delays),
    podsTotal: options.pods.length,
    podsArrived: count,
    podsPlaced: delays.length,
    podsPlacedAtOnce: placedAtOnce,
    podsNeverFit: neverFitPods.length,
    neverFitPods,
    podsWaitingAtEnd: queue.length,
    podsSkipped: options.pods.length - count,
    podsOpenEnded: openEnded,
    queuePeak,
    makespanSec,
    traceSpanSec: Number.isFinite(traceEnd) ? Math.max(0, traceEnd - startTime) : 0,
    arrivalCompression: compression,
    offeredLoad: offeredLoad(loadBasis(nodes, options.pods), compression),
  };
}

/** Nearest-rank percentiles (the smallest value with at least p of the values at or below it). */
export function delayStats(values: readonly number[]): DelayStats {
  const n = values.length;
  if (n === 0)
    return { mean: Number.NaN, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN };
  const sorted = Float64Array.from(values).sort();
  const rank = (p: number): number => sorted[Math.max(0, Math.ceil(p * n) - 1)]!;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { mean: sum / n, p50: rank(0.5), p95: rank(0.95), p99: rank(0.99), max: sorted[n - 1]! };
}

/**
 * Binary min-heap of running pods (arrival positions) by departure time, ties by arrival position
 * so that the order of same-instant releases is fixed. O(log n) push and pop.
 */
class DepartureHeap {
  readonly #items: number[] = [];
  readonly #at: Float64Array;

  constructor(departAt: Float64Array) {
    this.#at = departAt;
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): number {
    return this.#items[0]!;
  }

  push(a: number): void {
    const items = this.#items;
    let i = items.push(a) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): number {
    const items = this.#items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < items.length && this.#before(items[l]!, items[best]!)) best = l;
        if (r < items.length && this.#before(items[r]!, items[best]!)) best = r;
        if (best === i) break;
        [items[i], items[best]] = [items[best]!, items[i]!];
        i = best;
      }
    }
    return top;
  }

  #before(a: number, b: number): boolean {
    const ta = this.#at[a]!;
    const tb = this.#at[b]!;
    return ta < tb || (ta === tb && a < b);
  }
}
