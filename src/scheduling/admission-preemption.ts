/**
 * Preemption (issue 5 item 3): when a workload cannot be admitted (quota short, or no node has room
 * now), admitted workloads may be evicted for it:
 * - within its queue: workloads of strictly lower PriorityClass value (queue preemption.withinQueue
 *   = LowerPriority);
 * - reclaim: workloads of other queues of the same cohort pool that borrow (use more than their
 *   nominal in the class), when the preemptor's queue stays within its own nominal with it
 *   (preemption.reclaimWithinCohort = Any, or LowerPriority for strictly lower priority only).
 *
 * Victims: never a production-inference workload; a training workload only after it has run
 * MIN_TRAINING_RUNTIME_SECONDS; best-effort at any time; never one admitted in this same cycle.
 * Candidates are taken in order of least GPU-time wasted (GPUs × seconds run so far, the work lost
 * without a checkpoint), then lower priority, then the latest admitted, then the latest submitted
 * (so equal victims are taken from the back of their queue), until the preemptor fits its quota and placeGang
 * places it; then victims whose removal turned out unnecessary are put back (most waste first). If
 * no set of eligible victims makes it fit, every tentative release is undone exactly
 * (engine.restore), so the state is as before.
 *
 * No loops: (1) a preemptor must strictly dominate its victim — higher base priority within a queue
 * (aging never counts: aged priority orders the queue but never preempts), or a lender reclaiming
 * from a borrower; after a reclaim the victim's queue can only come back by borrowing, which the
 * reclaimer's use of its own nominal now prevents, and a lower priority can never preempt a higher
 * one back. (2) A requeued victim never preempts its own preemptor. Tests replay the classic
 * ping-pong cases and count one preemption.
 */
import type { PendingReason } from './admission-pending-reason.js';
import type { AdmissionState, AdmittedWorkload, QueuedWorkload } from './admission-state.js';
import { placeGang } from './gang-placement.js';
import type { GangDecision, PlacedPod } from './placement-decision.js';
import type { Allocation, PlacementEngine } from './placement-engine.js';
import type { GangRequest } from './placement-request.js';
import type { PreparedPod } from './prepared-pod.js';

/** Guaranteed runtime of a training workload before it may be preempted (30 minutes). */
export const MIN_TRAINING_RUNTIME_SECONDS = 30 * 60;

export type PreemptionMode = 'within-queue' | 'reclaim';

export interface Preemption {
  readonly victim: string;
  readonly victimQueue: string;
  readonly preemptor: string;
  readonly mode: PreemptionMode;
  /** GPU-seconds of work the victim loses. */
  readonly wastedGpuSeconds: number;
}

export type PreemptedReason = Extract<PendingReason, { kind: 'preempted' }>;

interface Candidate {
  readonly victim: AdmittedWorkload;
  readonly mode: PreemptionMode;
  readonly wasted: number;
}

interface Removed {
  readonly candidate: Candidate;
  readonly allocations: readonly Allocation[];
}

/** Whether the victim's SLO class lets it be preempted at `nowMs`. */
export function preemptible(victim: AdmittedWorkload, nowMs: number): boolean {
  if (victim.sloClass === 'production-inference') return false;
  if (victim.sloClass === 'training') return nowMs - victim.admittedMs >= MIN_TRAINING_RUNTIME_SECONDS * 1000;
  return true;
}

/**
 * The admitted workloads, indexed by queue and then by base priority, kept in step with every `set`,
 * `delete` and `clear`. `createAdmissionState` uses it for `state.admitted`, so preemption reads the
 * few queues and priorities that can hold a victim instead of scanning every admitted workload for
 * every workload that does not fit. A plain Map still works (preemption then scans, cheap checks first).
 */
export class AdmittedIndex extends Map<string, AdmittedWorkload> {
  readonly #byQueue = new Map<string, Map<number, Map<string, AdmittedWorkload>>>();

  // biome-ignore lint/complexity/noUselessConstructor: no initial entries (Map's constructor would call `set` before the index exists)
  constructor() {
    super();
  }

  override set(key: string, value: AdmittedWorkload): this {
    const old = super.get(key);
    if (old) this.#unindex(key, old);
    super.set(key, value);
    let byPriority = this.#byQueue.get(value.queue);
    if (!byPriority) {
      byPriority = new Map();
      this.#byQueue.set(value.queue, byPriority);
    }
    let bucket = byPriority.get(value.priority);
    if (!bucket) {
      bucket = new Map();
      byPriority.set(value.priority, bucket);
    }
    bucket.set(key, value);
    return this;
  }

  override delete(key: string): boolean {
    const old = super.get(key);
    if (old) this.#unindex(key, old);
    return super.delete(key);
  }

  override clear(): void {
    this.#byQueue.clear();
    super.clear();
  }

  /** The queue's admitted workloads by base priority (no empty buckets); undefined when it has none. */
  ofQueue(queue: string): ReadonlyMap<number, ReadonlyMap<string, AdmittedWorkload>> | undefined {
    return this.#byQueue.get(queue);
  }

  #unindex(key: string, v: AdmittedWorkload): void {
    const byPriority = this.#byQueue.get(v.queue);
    const bucket = byPriority?.get(v.priority);
    if (!byPriority || !bucket) return;
    bucket.delete(key);
    if (bucket.size > 0) return;
    byPriority.delete(v.priority);
    if (byPriority.size === 0) this.#byQueue.delete(v.queue);
  }
}

/** The queues of each cohort pool (pools are fixed when the ledger is built). */
const poolQueuesCache = new WeakMap<AdmissionState['ledger'], Map<string, string[]>>();

function poolQueues(state: AdmissionState, pool: string): readonly string[] {
  let byPool = poolQueuesCache.get(state.ledger);
  if (!byPool) {
    byPool = new Map();
    for (const q of state.config.queues.keys()) {
      const p = state.ledger.poolOf(q);
      if (p === undefined) continue;
      let list = byPool.get(p);
      if (!list) {
        list = [];
        byPool.set(p, list);
      }
      list.push(q);
    }
    poolQueuesCache.set(state.ledger, byPool);
  }
  return byPool.get(pool) ?? [];
}

/**
 * Every admitted workload that `w` may preempt now, in the order they are tried. Only the queues and
 * priorities that can hold a victim are read: `w`'s own queue below its priority (within-queue), and
 * the other queues of its cohort pool that borrow in its resource class (reclaim; a queue that does
 * not borrow now cannot start to while victims are evicted, so its workloads would be skipped anyway).
 */
function candidates(state: AdmissionState, w: QueuedWorkload, nowMs: number): Candidate[] {
  const spec = state.config.queues.get(w.queue)!.preemption;
  const withinQueue = spec.withinQueue === 'LowerPriority';
  const cls = w.demand.resourceClass;
  const pool = state.ledger.poolOf(w.queue);
  const admitted = state.admitted;
  const index = admitted instanceof AdmittedIndex ? admitted : undefined;
  const reclaimFrom: string[] = [];
  // A workload without a resource class books no quota: no queue borrows in its class.
  if (
    cls !== undefined &&
    spec.reclaimWithinCohort !== 'Never' &&
    pool !== undefined &&
    state.ledger.withinNominalAfter(w.queue, w.demand)
  ) {
    for (const q of poolQueues(state, pool)) {
      // A queue with nothing admitted holds no victim; the ledger is asked once per queue.
      if (q === w.queue || (index && !index.ofQueue(q))) continue;
      if (state.ledger.borrowing(q, cls)) reclaimFrom.push(q);
    }
  }
  if (!withinQueue && reclaimFrom.length === 0) return [];
  const reclaimAny = spec.reclaimWithinCohort === 'Any';
  const out: Candidate[] = [];
  const consider = (v: AdmittedWorkload, mode: PreemptionMode) => {
    if (v.admittedMs >= nowMs || v.key === w.preempted?.by || !preemptible(v, nowMs)) return;
    out.push({ victim: v, mode, wasted: (v.demand.gpus * (nowMs - v.admittedMs)) / 1000 });
  };
  if (index) {
    const take = (queue: string, mode: PreemptionMode, lowerOnly: boolean) => {
      const byPriority = index.ofQueue(queue);
      if (!byPriority) return;
      for (const [priority, bucket] of byPriority) {
        if (lowerOnly && !(priority < w.priority)) continue;
        for (const v of bucket.values()) {
          if (mode === 'reclaim' && v.demand.resourceClass !== cls) continue;
          consider(v, mode);
        }
      }
    };
    if (withinQueue) take(w.queue, 'within-queue', true);
    for (const q of reclaimFrom) take(q, 'reclaim', !reclaimAny);
  } else {
    const reclaimSet = new Set(reclaimFrom);
    for (const v of admitted.values()) {
      if (v.queue === w.queue) {
        if (withinQueue && v.priority < w.priority) consider(v, 'within-queue');
      } else if (
        reclaimSet.has(v.queue) &&
        v.demand.resourceClass === cls &&
        (reclaimAny || v.priority < w.priority)
      ) {
        consider(v, 'reclaim');
      }
    }
  }
  return out.sort(
    (a, b) =>
      a.wasted - b.wasted ||
      a.victim.priority - b.victim.priority ||
      b.victim.admittedMs - a.victim.admittedMs ||
      b.victim.seq - a.victim.seq,
  );
}

/**
 * Finds victims whose eviction lets `w` be admitted now and places `w`; the victims' pods and quota
 * are released and they are returned to `pending`. Undefined (and nothing changed) when no eligible
 * set of victims is enough. `w` itself is not booked: the caller books it.
 */
export function preemptFor(
  state: AdmissionState,
  w: QueuedWorkload,
  nowMs: number,
): { placement: Extract<GangDecision, { outcome: 'placed' }>; preemptions: Preemption[] } | undefined {
  if (w.preemptionPolicy === 'Never') return undefined;
  const list = candidates(state, w, nowMs);
  if (list.length === 0) return undefined;
  const { ledger, engine } = state;
  const removed: Removed[] = [];
  let placement: Extract<GangDecision, { outcome: 'placed' }> | undefined;
  /** The gang's pods, prepared once for all tries (nothing in between changes what preparing reads). */
  let prepared: PreparedPod[] | undefined;
  for (const c of list) {
    // A borrower stops being a reclaim victim once earlier victims brought its queue to its nominal.
    if (c.mode === 'reclaim' && !ledger.borrowing(c.victim.queue, c.victim.demand.resourceClass)) continue;
    removed.push({ candidate: c, allocations: evict(state, c.victim) });
    if (ledger.check(w.queue, w.demand)) continue;
    prepared ??= w.gang.pods.map((p) => engine.prepare(p));
    const d = placeQuietly(engine, w.gang, prepared);
    if (d) {
      placement = d;
      break;
    }
  }
  if (!placement) {
    for (let i = removed.length - 1; i >= 0; i--) reinstate(state, removed[i]!);
    return undefined;
  }
  // Put back victims that were not needed after all (most waste first).
  const needed: Removed[] = [];
  for (const r of [...removed].sort((a, b) => b.candidate.wasted - a.candidate.wasted)) {
    const back = engine.restore(r.allocations);
    if (back.conflicts.length > 0) {
      for (const b of back.restored) engine.release(b.pod);
      needed.push(r);
      continue;
    }
    ledger.book(r.candidate.victim.key, r.candidate.victim.queue, r.candidate.victim.demand);
    if (ledger.check(w.queue, w.demand)) {
      ledger.unbook(r.candidate.victim.key);
      for (const b of back.restored) engine.release(b.pod);
      needed.push(r);
    }
  }
  const preemptions: Preemption[] = [];
  for (const r of needed) {
    const v = r.candidate.victim;
    state.admitted.delete(v.key);
    const { admittedMs: _a, pods: _p, nodes: _n, allocations: _l, ...queued } = v;
    state.pending.set(v.key, { ...queued, preempted: { atMs: nowMs, by: w.key } });
    preemptions.push({
      victim: v.key,
      victimQueue: v.queue,
      preemptor: w.key,
      mode: r.candidate.mode,
      wastedGpuSeconds: r.candidate.wasted,
    });
  }
  return { placement, preemptions };
}

/**
 * placeGang's placement, or undefined when it would fail. Preemption tries a placement after each
 * tentative eviction and only wants the success, so for a gang without a domain (placeGang: one
 * attempt, pods in order, rolled back on the first miss) the failure is not explained.
 */
function placeQuietly(
  engine: PlacementEngine,
  gang: GangRequest,
  pods: readonly PreparedPod[],
): PlacedDecision | undefined {
  if (gang.domain || gang.pods.length === 0) {
    const d = placeGang(engine, gang);
    return d.outcome === 'placed' ? d : undefined;
  }
  const placed: PlacedPod[] = [];
  for (const pod of pods) {
    const p = engine.tryPlace(pod, null);
    if (!p) {
      for (let j = placed.length - 1; j >= 0; j--) engine.release(placed[j]!.pod);
      return undefined;
    }
    placed.push(p);
  }
  return { outcome: 'placed', gang: gang.id, pods: placed };
}

type PlacedDecision = Extract<GangDecision, { outcome: 'placed' }>;

/** Releases the victim's pods and quota; returns its bindings so it can be reinstated exactly. */
function evict(state: AdmissionState, v: AdmittedWorkload): Allocation[] {
  const allocations: Allocation[] = [];
  v.gang.pods.forEach((request, i) => {
    const binding = state.engine.snapshot.bindingOf(v.pods[i] ?? request.id);
    if (binding) allocations.push({ request, binding });
  });
  state.ledger.unbook(v.key);
  for (const pod of v.pods) state.engine.release(pod);
  return allocations;
}

function reinstate(state: AdmissionState, r: Removed): void {
  const back = state.engine.restore(r.allocations);
  if (back.conflicts.length > 0)
    throw new Error(`preemption rollback of ${r.candidate.victim.key} conflicted`);
  state.ledger.book(r.candidate.victim.key, r.candidate.victim.queue, r.candidate.victim.demand);
}
