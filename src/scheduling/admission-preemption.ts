/**
 * Preemption (issue 5 item 3): when a workload cannot be admitted (quota short, or no node has room
 * now), admitted workloads may be evicted for it:
 * - within its queue: workloads of strictly lower PriorityClass value (queue preemption.withinQueue
 *   = LowerPriority);
 * - reclaim: workloads of other queues of the same cohort pool that borrow (use more than their
 *   nominal in the class), when the preemptor's queue stays within its own nominal with it
 *   (preemption.reclaimWithinCohort = Any, or LowerPriority for strictly lower priority only);
 * - fair-share: borrowed workloads of no higher priority from other queues of the cohort pool whose
 *   weighted share stays strictly above the preemptor's queue's (preemption.fairSharing =
 *   LessThanFinalShare; the rule is stated in admission-fair-share-preemption.ts). A victim that
 *   reclaim may take is taken as reclaim.
 *
 * Victims: never a production-inference workload; a training workload only after it has run
 * MIN_TRAINING_RUNTIME_SECONDS; best-effort at any time; never one admitted in this same cycle.
 * Candidates are taken in order of least GPU-time wasted (GPUs × seconds run so far, the work lost
 * without a checkpoint), then lower priority, then (fair-share) the queue with the higher share, then
 * the latest admitted, then the latest submitted
 * (so equal victims are taken from the back of their queue), until the preemptor fits its quota and placeGang
 * places it; then victims whose removal turned out unnecessary are put back (most waste first). If
 * no set of eligible victims makes it fit, every tentative release is undone exactly
 * (engine.restore), so the state is as before.
 *
 * No loops: (1) a preemptor must strictly dominate its victim — higher base priority within a queue
 * (aging never counts: aged priority orders the queue but never preempts), or a lender reclaiming
 * from a borrower; after a reclaim the victim's queue can only come back by borrowing, which the
 * reclaimer's use of its own nominal now prevents, and a lower priority can never preempt a higher
 * one back; a fair-share victim's queue stays above its preemptor's share and at its nominal, so it
 * can take nothing back by either rule (admission-fair-share-preemption.ts). (2) A requeued victim
 * never preempts its own preemptor. Tests replay the classic ping-pong cases and count one preemption.
 *
 * Every preemption carries the inputs of its decision for the audit trail: both workloads' queues and
 * priorities, both queues' weighted shares before the plan and after it (the preemptor admitted, all
 * its victims gone), the mode and the rule with its figures.
 */
import type { QueueSpec } from '../model/scheduling.js';
import { fairShareAllows, fairSharingOn, queueShare } from './admission-fair-share-preemption.js';
import type { PendingReason } from './admission-pending-reason.js';
import type { AdmissionState, AdmittedWorkload, QueuedWorkload } from './admission-state.js';
import { placeGang } from './gang-placement.js';
import type { GangDecision, PlacedPod } from './placement-decision.js';
import type { Allocation, PlacementEngine } from './placement-engine.js';
import type { GangRequest } from './placement-request.js';
import type { PreparedPod } from './prepared-pod.js';

/** Guaranteed runtime of a training workload before it may be preempted (30 minutes). */
export const MIN_TRAINING_RUNTIME_SECONDS = 30 * 60;

export type PreemptionMode = 'within-queue' | 'reclaim' | 'fair-share';

/** A queue's weighted dominant share (admission-fair-share.ts, whole demands) around one preemption plan. */
export interface ShareChange {
  /** Before the plan: the victims still admitted, the preemptor not. */
  readonly before: number;
  /** After it: the preemptor admitted, every victim of the plan gone. */
  readonly after: number;
}

/** One eviction and the inputs of the decision (the audit trail records them). */
export interface Preemption {
  readonly victim: string;
  readonly victimQueue: string;
  /** Base priority (PriorityClass value). */
  readonly victimPriority: number;
  readonly victimShare: ShareChange;
  readonly preemptor: string;
  readonly preemptorQueue: string;
  readonly preemptorPriority: number;
  readonly preemptorShare: ShareChange;
  readonly mode: PreemptionMode;
  /** The rule that allowed it, with its figures. */
  readonly rule: string;
  /** GPU-seconds of work the victim loses. */
  readonly wastedGpuSeconds: number;
}

export type PreemptedReason = Extract<PendingReason, { kind: 'preempted' }>;

interface Candidate {
  readonly victim: AdmittedWorkload;
  readonly mode: PreemptionMode;
  readonly wasted: number;
  /** For fair-share: its queue's share now (of equal waste, the queue furthest above goes first). */
  readonly share: number;
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

const NO_BORROWERS: ReadonlyMap<string, number> = new Map();

/** Whether a queue's admitted workloads (AdmittedIndex.ofQueue) include one below `priority`. */
function holdsBelow(byPriority: ReadonlyMap<number, unknown> | undefined, priority: number): boolean {
  if (!byPriority) return false;
  for (const p of byPriority.keys()) if (p < priority) return true;
  return false;
}

/**
 * Every admitted workload that `w` may preempt now, in the order they are tried. Only the queues and
 * priorities that can hold a victim are read: `w`'s own queue below its priority (within-queue), and
 * the other queues of its cohort pool that borrow in its resource class (reclaim and fair-share; a
 * queue that does not borrow now cannot start to while victims are evicted, so its workloads would be
 * skipped anyway).
 */
function candidates(state: AdmissionState, w: QueuedWorkload, nowMs: number): Candidates {
  const spec = state.config.queues.get(w.queue)!;
  const withinQueue = spec.preemption.withinQueue === 'LowerPriority';
  const cls = w.demand.resourceClass;
  const pool = state.ledger.poolOf(w.queue);
  const admitted = state.admitted;
  const index = admitted instanceof AdmittedIndex ? admitted : undefined;
  const reclaim = spec.preemption.reclaimWithinCohort;
  // A workload without a resource class books no quota: no queue borrows in its class.
  const cohortWide = cls !== undefined && pool !== undefined;
  const reclaimOn = cohortWide && reclaim !== 'Never' && state.ledger.withinNominalAfter(w.queue, w.demand);
  const fairOn = cohortWide && fairSharingOn(spec);
  /** Borrowing queues of the pool, with their share when fair share may take from them. */
  let borrowers: Map<string, number> | undefined;
  if (reclaimOn || fairOn) {
    for (const q of poolQueues(state, pool!)) {
      // A queue with nothing admitted holds no victim; the ledger is asked once per queue.
      if (q === w.queue || (index && !index.ofQueue(q))) continue;
      if (!state.ledger.borrowing(q, cls)) continue;
      borrowers ??= new Map();
      borrowers.set(q, fairOn ? queueShare(state, q) : 0);
    }
  }
  // Most workloads that do not fit have no victim at all: nothing below their priority in their
  // queue and no borrower; they return before anything is allocated for the scan.
  if (borrowers === undefined && !(withinQueue && (!index || holdsBelow(index.ofQueue(w.queue), w.priority))))
    return NO_CANDIDATES;
  const borrowing: ReadonlyMap<string, number> = borrowers ?? NO_BORROWERS;
  const reclaimAny = reclaimOn && reclaim === 'Any';
  /** The mode by which a workload of a borrowing queue at `priority` may be taken, if any. */
  const borrowerMode = (priority: number): PreemptionMode | undefined => {
    if (reclaimOn && (reclaimAny || priority < w.priority)) return 'reclaim';
    return fairOn && priority <= w.priority ? 'fair-share' : undefined;
  };
  const by = w.preempted?.by;
  const out: Candidates = { victims: [], modes: [], wasted: [], shares: [] };
  const add = (v: AdmittedWorkload, mode: PreemptionMode, share: number) => {
    if (v.admittedMs >= nowMs || v.key === by || !preemptible(v, nowMs)) return;
    out.victims.push(v);
    out.modes.push(mode);
    out.wasted.push((v.demand.gpus * (nowMs - v.admittedMs)) / 1000);
    out.shares.push(share);
  };
  if (index) {
    // The mode depends on the queue and the priority only (and, outside w's queue, on the class).
    const take = (queue: string, own: boolean) => {
      const byPriority = index.ofQueue(queue);
      if (!byPriority) return;
      for (const [priority, bucket] of byPriority) {
        const mode = own ? (priority < w.priority ? 'within-queue' : undefined) : borrowerMode(priority);
        if (mode === undefined) continue;
        const share = mode === 'fair-share' ? borrowing.get(queue)! : 0;
        for (const v of bucket.values()) if (own || v.demand.resourceClass === cls) add(v, mode, share);
      }
    };
    if (withinQueue) take(w.queue, true);
    for (const q of borrowing.keys()) take(q, false);
  } else {
    for (const v of admitted.values()) {
      let mode: PreemptionMode | undefined;
      if (v.queue === w.queue) mode = withinQueue && v.priority < w.priority ? 'within-queue' : undefined;
      else if (v.demand.resourceClass === cls && borrowing.has(v.queue)) mode = borrowerMode(v.priority);
      if (mode !== undefined) add(v, mode, mode === 'fair-share' ? borrowing.get(v.queue)! : 0);
    }
  }
  return out;
}

/**
 * A plan's candidates, unordered, as parallel arrays: most are never taken (see CandidateOrder), so
 * a Candidate object is made only for those that are.
 */
interface Candidates {
  readonly victims: AdmittedWorkload[];
  readonly modes: PreemptionMode[];
  readonly wasted: number[];
  readonly shares: number[];
}

const NO_CANDIDATES: Candidates = { victims: [], modes: [], wasted: [], shares: [] };

/**
 * The candidates in preemption order (least waste, lower priority, higher share, latest admitted,
 * latest submitted), one at a time. A plan usually ends a few candidates in (placed, or every
 * borrower brought back to its nominal: see preemptFor), so a heap, built in linear time, stands in
 * for sorting them all. The order is a strict total order (seq is unique), so the heap yields exactly
 * the sorted order; were a share not finite (a comparison could be NaN), the list is sorted instead.
 */
class CandidateOrder {
  readonly #c: Candidates;
  /** Candidate indices: a heap in its first `#left` slots, or the sorted order. */
  readonly #at: number[];
  readonly #heap: boolean;
  #left: number;

  constructor(c: Candidates) {
    this.#c = c;
    const n = c.victims.length;
    this.#at = Array.from({ length: n }, (_, i) => i);
    this.#left = n;
    this.#heap = c.shares.every(Number.isFinite);
    if (!this.#heap) this.#at.sort((a, b) => this.#compare(a, b));
    else for (let i = (n >> 1) - 1; i >= 0; i--) this.#siftDown(i, n);
  }

  next(): Candidate | undefined {
    const at = this.#at;
    const n = this.#left;
    if (n === 0) return undefined;
    this.#left--;
    let i: number;
    if (!this.#heap) i = at[at.length - n]!;
    else {
      i = at[0]!;
      at[0] = at[n - 1]!;
      this.#siftDown(0, n - 1);
    }
    const c = this.#c;
    return { victim: c.victims[i]!, mode: c.modes[i]!, wasted: c.wasted[i]!, share: c.shares[i]! };
  }

  #compare(a: number, b: number): number {
    const { victims, wasted, shares } = this.#c;
    const x = victims[a]!;
    const y = victims[b]!;
    return (
      wasted[a]! - wasted[b]! ||
      x.priority - y.priority ||
      shares[b]! - shares[a]! ||
      y.admittedMs - x.admittedMs ||
      y.seq - x.seq
    );
  }

  #siftDown(i: number, n: number): void {
    const at = this.#at;
    const item = at[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.#compare(at[r]!, at[l]!) < 0 ? r : l;
      if (this.#compare(at[c]!, item) >= 0) break;
      at[i] = at[c]!;
      i = c;
    }
    at[i] = item;
  }
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
  if (list.victims.length === 0) return undefined;
  const { ledger, engine } = state;
  const removed: Removed[] = [];
  let placement: Extract<GangDecision, { outcome: 'placed' }> | undefined;
  /** The gang's pods, prepared once for all tries (nothing in between changes what preparing reads). */
  let prepared: PreparedPod[] | undefined;
  const snapshot = engine.snapshot;
  /**
   * For a lone pod without a domain, a failed try books nothing and changes nothing; the next try can
   * only succeed on a node that evictions freed since (unless power headroom may bind at a freed
   * node's site: its freed draw may open the site's other nodes). These are those nodes, or null when
   * the next try must search the whole fleet (no failed try yet, such a site touched, or a gang).
   */
  let freed: number[] | null = null;
  const lonePod = !w.gang.domain && w.gang.pods.length === 1;
  // A borrower stops being a reclaim victim once earlier victims brought its queue to its nominal,
  // and evictions only lower usage, so it never borrows again in this plan. Once every queue with
  // reclaim candidates left has stopped and no candidate of another mode is left, the rest would all
  // be skipped: the plan stops there.
  const reclaimLeft = new Map<string, number>();
  let othersLeft = 0;
  list.modes.forEach((mode, i) => {
    const q = list.victims[i]!.queue;
    if (mode === 'reclaim') reclaimLeft.set(q, (reclaimLeft.get(q) ?? 0) + 1);
    else othersLeft++;
  });
  const cls = w.demand.resourceClass;
  const exhausted = () => {
    if (othersLeft > 0) return false;
    for (const [q, left] of reclaimLeft) if (left > 0 && ledger.borrowing(q, cls)) return false;
    return true;
  };
  const order = new CandidateOrder(list);
  let evicted = false;
  for (let c = order.next(); c !== undefined; c = order.next()) {
    if (evicted && exhausted()) break;
    evicted = false;
    if (c.mode === 'reclaim') reclaimLeft.set(c.victim.queue, reclaimLeft.get(c.victim.queue)! - 1);
    else othersLeft--;
    if (c.mode === 'reclaim' && !ledger.borrowing(c.victim.queue, c.victim.demand.resourceClass)) continue;
    if (c.mode === 'fair-share' && !fairShareAllows(state, w, c.victim)) continue;
    evicted = true;
    const allocations = evict(state, c.victim);
    removed.push({ candidate: c, allocations });
    if (freed) {
      for (const a of allocations) {
        const i = snapshot.indexOf(a.binding.node);
        if (i < 0 || snapshot.powerMayReject(i)) {
          freed = null;
          break;
        }
        freed.push(i);
      }
    }
    if (ledger.check(w.queue, w.demand)) continue;
    prepared ??= w.gang.pods.map((p) => engine.prepare(p));
    if (freed && !engine.fitsAny(prepared[0]!, freed)) continue;
    const d = placeQuietly(engine, w.gang, prepared);
    if (d) {
      placement = d;
      break;
    }
    freed = lonePod ? [] : null;
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
  if (!fairShareHolds(state, w, needed)) {
    // Putting back a victim of w's own queue raised its share past a fair-share victim's queue.
    for (const p of placement.pods) engine.release(p.pod);
    for (let i = needed.length - 1; i >= 0; i--) reinstate(state, needed[i]!);
    return undefined;
  }
  const preemptions = explain(state, w, needed);
  for (const r of needed) {
    const v = r.candidate.victim;
    state.admitted.delete(v.key);
    const { admittedMs: _a, pods: _p, nodes: _n, allocations: _l, ...queued } = v;
    state.pending.set(v.key, { ...queued, preempted: { atMs: nowMs, by: w.key } });
  }
  return { placement, preemptions };
}

/**
 * Rule 4 of fair-share preemption on the final plan: `w` admitted, every needed victim gone. (Rule 2
 * needs no second look: putting victims back only raised their queues' usage.)
 */
function fairShareHolds(state: AdmissionState, w: QueuedWorkload, needed: readonly Removed[]): boolean {
  let mine: number | undefined;
  for (const r of needed) {
    if (r.candidate.mode !== 'fair-share') continue;
    mine ??= queueShare(state, w.queue, w.demand, 1);
    if (!(mine < queueShare(state, r.candidate.victim.queue))) return false;
  }
  return true;
}

/**
 * The preemptions with the inputs of each decision. Called with the victims gone and `w` not booked:
 * the shares after are read as they stand (with `w` counted), the shares before with the victims
 * booked back for the moment.
 */
function explain(state: AdmissionState, w: QueuedWorkload, needed: readonly Removed[]): Preemption[] {
  const after = new Map<string, number>([[w.queue, queueShare(state, w.queue, w.demand, 1)]]);
  for (const r of needed) {
    const q = r.candidate.victim.queue;
    if (!after.has(q)) after.set(q, queueShare(state, q));
  }
  for (const r of needed)
    state.ledger.book(r.candidate.victim.key, r.candidate.victim.queue, r.candidate.victim.demand);
  const before = new Map<string, number>();
  for (const q of after.keys()) before.set(q, queueShare(state, q));
  for (const r of needed) state.ledger.unbook(r.candidate.victim.key);
  const shareOf = (q: string): ShareChange => ({ before: before.get(q)!, after: after.get(q)! });
  const spec = state.config.queues.get(w.queue)!.preemption;
  return needed.map(({ candidate: c }) => {
    const v = c.victim;
    const preemptorShare = shareOf(w.queue);
    const victimShare = shareOf(v.queue);
    return {
      victim: v.key,
      victimQueue: v.queue,
      victimPriority: v.priority,
      victimShare,
      preemptor: w.key,
      preemptorQueue: w.queue,
      preemptorPriority: w.priority,
      preemptorShare,
      mode: c.mode,
      rule: ruleOf(c.mode, w, v, spec, preemptorShare, victimShare),
      wastedGpuSeconds: c.wasted,
    };
  });
}

const figure = (x: number) => String(Number(x.toPrecision(4)));

function ruleOf(
  mode: PreemptionMode,
  w: QueuedWorkload,
  v: AdmittedWorkload,
  spec: QueueSpec['preemption'],
  mine: ShareChange,
  theirs: ShareChange,
): string {
  switch (mode) {
    case 'within-queue':
      return `withinQueue LowerPriority: priority ${w.priority} > ${v.priority} in queue ${w.queue}`;
    case 'reclaim':
      return (
        `reclaimWithinCohort ${spec.reclaimWithinCohort}: queue ${w.queue} stays within its nominal with ` +
        `${w.key}, queue ${v.queue} borrows` +
        (spec.reclaimWithinCohort === 'LowerPriority' ? `; priority ${w.priority} > ${v.priority}` : '')
      );
    case 'fair-share':
      return (
        `fairSharing LessThanFinalShare: share of queue ${w.queue} with ${w.key} ${figure(mine.after)} < ` +
        `share of queue ${v.queue} without its victims ${figure(theirs.after)}; ` +
        `priority ${w.priority} ≥ ${v.priority}; queue ${v.queue} keeps its nominal`
      );
  }
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
