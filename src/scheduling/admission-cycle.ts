/**
 * One admission cycle (issue 5 items 2, 4, 5, 6, 7, 8): decides which pending workloads start now,
 * books them (quota in the ledger, pods in the placement engine), and says why each of the others
 * waits. Pure: no I/O; `now` is passed in.
 *
 * Phases:
 * 1. decay: fold usage since the last event into the fair-share history.
 * 2. queue: per queue, pending workloads ordered by aged priority (desc), creation, submission.
 *    A queue outside its legacy UTC `timeWindows` keeps all its workloads (reason time-window).
 *    Admission schedules (queue's and workload's) are read per site (admission-schedule.ts): a
 *    workload whose schedules close every site waits (time-window or tariff); otherwise its gang
 *    carries the closed sites and placement's `time-window` filter keeps it off them.
 * 3. admit: repeatedly take the best head over all queues — base priority (desc), then the queue's
 *    weighted dominant share as if the head were admitted (asc), then creation — and try it:
 *    backoff → quota (borrowing included) → gang placement (placeGang: all pods or none); a quota
 *    shortfall or a not-now placement tries preemption (admission-preemption.ts). A success
 *    is booked at once, so later candidates see it. Every workload is tried at most once per cycle
 *    and a cycle admits as many as fit, not one per queue.
 *    StrictFIFO: a head that cannot be admitted blocks the rest of its queue for this cycle;
 *    BestEffortFIFO: later workloads of the queue are still tried.
 * 4. explain: every workload left pending gets its reason and its position in its queue.
 */

import type { CohortSpec, QueueSpec } from '../model/scheduling.js';
import { effectivePriority } from './admission-aging.js';
import type { BackoffRecord } from './admission-backoff.js';
import type { Admission, CycleDecisions } from './admission-decision.js';
import { effectiveWeight } from './admission-fair-share.js';
import { type PendingReason, type PendingWorkload, pendingMessage } from './admission-pending-reason.js';
import { type Preemption, preemptFor } from './admission-preemption.js';
import { CycleSchedules, gatedGang, type ScheduleVerdict } from './admission-schedule.js';
import type { AdmissionState, QueuedWorkload } from './admission-state.js';
import { windowStatus } from './admission-time-windows.js';
import { placeGang } from './gang-placement.js';
import type { GangDecision } from './placement-decision.js';
import type { GangRequest } from './placement-request.js';

interface QueueRun {
  readonly name: string;
  spec: QueueSpec | undefined;
  strict: boolean;
  weight: number;
  /** Pending workloads in queue order. */
  readonly order: Ranked[];
  next: number;
  /** Share as if the current head were admitted; recomputed when the head or the usage changes. */
  share: number;
  /**
   * The first `shareCount` entries: shares by demand key at the pool's ledger version `sharesAt` (a
   * queue's heads repeat a few sizes; keys are interned, so compared by pointer).
   */
  readonly shareKeys: string[];
  readonly shareValues: number[];
  shareCount: number;
  sharesAt: number;
  /** Why the rest of the queue waits (closed window or a blocking StrictFIFO head). */
  rest: ((w: Ranked) => PendingReason) | undefined;
  /** The cycle it was last set up for (see runPools). */
  cycle: number;
}

interface Ranked {
  w: QueuedWorkload;
  priority: number;
  /** Set when it was tried this cycle: why it waits, or admitted. */
  reason: PendingReason | undefined;
  admitted: boolean;
}

/**
 * Each state's queue runs and a free list of Ranked entries, kept from cycle to cycle: a cycle visits
 * every pending workload, and building these afresh each time was most of what it allocated. Between
 * cycles no entry refers to a workload (SPARE stands in).
 */
const runPools = new WeakMap<
  AdmissionState,
  { cycle: number; readonly runs: Map<string, QueueRun>; readonly spare: Ranked[] }
>();
const SPARE = {} as QueuedWorkload;

/** What CycleSchedules.of says of a workload with no schedule in a queue with none (most of them). */
const UNSCHEDULED: { readonly key: string; readonly verdict: ScheduleVerdict } = {
  key: '',
  verdict: { open: 'everywhere' },
};

/** A gang's requests without pod ids: equal keys place identically on the same snapshot. */
const shapeKeys = new WeakMap<GangRequest, string>();
function shapeOf(gang: GangRequest): string {
  let key = shapeKeys.get(gang);
  if (key === undefined) {
    key = JSON.stringify([gang.domain ?? '', gang.pods.map(({ id: _id, ...rest }) => rest)]);
    shapeKeys.set(gang, key);
  }
  return key;
}

type PlacementReason = Extract<PendingReason, { kind: 'placement' }>;

/** effectiveWeight per queue spec, recomputed when the cohort map is another one. */
const weights = new WeakMap<QueueSpec, { cohorts: ReadonlyMap<string, CohortSpec>; weight: number }>();
function weightOf(spec: QueueSpec, cohorts: ReadonlyMap<string, CohortSpec>): number {
  const cached = weights.get(spec);
  if (cached && cached.cohorts === cohorts) return cached.weight;
  const weight = effectiveWeight(spec, cohorts);
  weights.set(spec, { cohorts, weight });
  return weight;
}

/** Queue order: aged priority (desc), creation, submission. */
const byQueueOrder = (a: Ranked, b: Ranked) =>
  b.priority - a.priority || a.w.createdMs - b.w.createdMs || a.w.seq - b.w.seq;

export function admitCycle(state: AdmissionState, now: Date): CycleDecisions {
  const nowMs = now.getTime();
  const { config, ledger, fairShare, backoff, engine } = state;
  fairShare.decayTo(nowMs, ledger, config.queues.keys());
  const schedules = new CycleSchedules(engine.snapshot, config.sites, config.defaultTimeZone, now);

  // Phase 2: per-queue order. Runs come in the order their queues first appear among the pending.
  let pool = runPools.get(state);
  if (!pool) {
    pool = { cycle: 0, runs: new Map(), spare: [] };
    runPools.set(state, pool);
  }
  const cycle = ++pool.cycle;
  const runs: QueueRun[] = [];
  const runOf = (name: string): QueueRun => {
    let run = pool.runs.get(name);
    if (!run) {
      run = {
        name,
        spec: undefined,
        strict: false,
        weight: 1,
        order: [],
        next: 0,
        share: 0,
        shareKeys: [],
        shareValues: [],
        shareCount: 0,
        sharesAt: -1,
        rest: undefined,
        cycle: 0,
      };
      pool.runs.set(name, run);
    }
    if (run.cycle !== cycle) {
      run.cycle = cycle;
      run.spec = config.queues.get(name);
      run.strict = false;
      run.weight = 1;
      run.order.length = 0;
      run.next = 0;
      run.share = 0;
      run.shareCount = 0;
      run.sharesAt = -1;
      run.rest = undefined;
      runs.push(run);
    }
    return run;
  };
  const enqueue = (w: QueuedWorkload) => {
    const order = runOf(w.queue).order;
    const priority = effectivePriority(w.priority, w.createdMs, nowMs, state.aging);
    const spare = pool.spare.pop();
    if (spare === undefined) order.push({ w, priority, reason: undefined, admitted: false });
    else {
      spare.w = w;
      spare.priority = priority;
      spare.reason = undefined;
      spare.admitted = false;
      order.push(spare);
    }
  };
  for (const w of state.pending.values()) enqueue(w);
  for (const run of runs) {
    const name = run.name;
    const spec = run.spec!;
    sortQueue(run.order);
    run.strict = spec.queueingStrategy === 'StrictFIFO';
    run.weight = weightOf(spec, config.cohorts);
    const timeZone = config.timeZones?.get(name) ?? config.defaultTimeZone;
    const window = windowStatus(spec.timeWindows, timeZone, now);
    if (!window.open) {
      const reason: PendingReason = {
        kind: 'time-window',
        queue: name,
        timeZone,
        ...(window.nextOpening ? { nextOpening: window.nextOpening.toISOString() } : {}),
      };
      run.rest = () => reason;
    }
  }
  // A share reads only the usage of the queue's pool and the fair-share history (decayed above, not
  // again this cycle), so it is recomputed only when the pool's bookings changed or the head asks for
  // another amount.
  const reshare = (run: QueueRun) => {
    const head = run.order[run.next];
    if (!head) return;
    const version = ledger.versionOf(run.name);
    if (run.sharesAt !== version) {
      run.shareCount = 0;
      run.sharesAt = version;
    }
    const key = head.w.demandKey;
    for (let i = 0; i < run.shareCount; i++) {
      if (run.shareKeys[i] === key) {
        run.share = run.shareValues[i]!;
        return;
      }
    }
    run.share = fairShare.share(run.name, ledger, run.weight, head.w.demand);
    run.shareKeys[run.shareCount] = key;
    run.shareValues[run.shareCount] = run.share;
    run.shareCount++;
  };
  for (const run of runs) reshare(run);

  // Phase 3: admit.
  const admitted: Admission[] = [];
  const preempted: Preemption[] = [];
  /** Why each workload preempted this cycle waits (tried workloads keep theirs on their Ranked). */
  const reasons = new Map<string, PendingReason>();
  // Within a cycle capacity only shrinks (admissions) unless a preemption frees some, so a gang of a
  // shape that did not fit will not fit again: its placement is not retried (a deep queue of equal
  // work costs one failed placement per cycle, not one per workload).
  const failedShapes = new Map<string, { gang: GangRequest; reason: PlacementReason }>();
  /** Preemptions that found nothing to evict: key → the pool's ledger version then. */
  const hopeless = new Map<string, number>();
  // The best head comes from a heap of the queues that have one: `before` is a strict total order
  // (seq breaks every tie) and only the queue just tried changes its head or share, so the heap's
  // top is the queue a scan of every queue would pick.
  const heap = runs.filter((r) => !r.rest && r.order.length > 0);
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(heap, i, before);
  while (heap.length > 0) {
    const best = heap[0]!;
    const ranked = best.order[best.next++]!;
    const { w } = ranked;
    const reason = tryAdmit(w, best.spec, admitted);
    reshare(best);
    if (reason === undefined) ranked.admitted = true;
    else {
      ranked.reason = reason;
      if (best.strict) {
        const blockedBy = w.key;
        const queue = best.name;
        best.rest = () => ({ kind: 'blocked-by-strict-fifo', queue, blockedBy });
      }
    }
    if (best.rest || best.next >= best.order.length) {
      const last = heap.pop()!;
      if (heap.length === 0) break;
      heap[0] = last;
    }
    siftDown(heap, 0, before);
  }

  // Phase 4: explain. Workloads preempted this cycle join their queue's order.
  const pending: PendingWorkload[] = [];
  for (const p of preempted) {
    const w = state.pending.get(p.victim);
    if (!w) continue;
    enqueue(w);
    runOf(w.queue).order.sort(byQueueOrder);
  }
  for (const run of runs) {
    let ahead = 0;
    for (let i = 0; i < run.order.length; i++) {
      const r = run.order[i]!;
      if (r.admitted) continue;
      const reason = r.reason ?? reasons.get(r.w.key) ?? run.rest!(r);
      pending.push(pendingEntry(r.w, run.name, ahead, reason));
      ahead++;
    }
  }
  // Back to the spares, unlinked from this cycle's workloads; runs left out of a cycle hold none.
  for (const run of runs) {
    for (const r of run.order) {
      r.w = SPARE;
      r.reason = undefined;
      pool.spare.push(r);
    }
    run.order.length = 0;
  }
  return { at: now.toISOString(), admitted, preempted, pending };

  /**
   * Across queues: base priority, then fair share, then age. Aging orders a queue's own workloads
   * (starvation inside a queue) but not the queues: between queues fair share already lifts the
   * one that waited, and aged priorities compared across saturated queues would let the oldest
   * heads win every time and override the weights.
   */
  function before(a: QueueRun, b: QueueRun): boolean {
    const x = a.order[a.next]!.w;
    const y = b.order[b.next]!.w;
    return (
      x.priority > y.priority ||
      (x.priority === y.priority &&
        (a.share < b.share ||
          (a.share === b.share &&
            (x.createdMs < y.createdMs || (x.createdMs === y.createdMs && x.seq < y.seq)))))
    );
  }

  /**
   * preemptFor, skipping a call that must fail: one for the same queue, priority, policy, preemptor
   * history and demand failed earlier this cycle without evicting anything (the ledger's version did
   * not move), and nothing was booked or unbooked in the queue's pool since. Such a failure read only
   * those inputs and the pool's bookings (victims come from the pool; with none evicted no placement
   * was tried). A failure that did evict and reinstate victims is not remembered, as a replay may
   * leave the snapshot's lists in another order.
   */
  function tryPreempt(w: QueuedWorkload): ReturnType<typeof preemptFor> {
    const key = hopelessKey(w);
    const pool = ledger.versionOf(w.queue);
    if (hopeless.get(key) === pool) return undefined;
    const ledgerAt = ledger.version;
    const plan = preemptFor(state, w, nowMs);
    if (!plan && ledger.version === ledgerAt) hopeless.set(key, pool);
    return plan;
  }

  function record(list: readonly Preemption[]): void {
    if (list.length > 0) failedShapes.clear();
    for (const p of list) {
      preempted.push(p);
      reasons.set(p.victim, { kind: 'preempted', by: p.preemptor, mode: p.mode, at: now.toISOString() });
    }
  }

  /** Backoff → quota → placement, each failure trying preemption; books an admission, or says why not. */
  function tryAdmit(
    w: QueuedWorkload,
    spec: QueueSpec | undefined,
    out: Admission[],
  ): PendingReason | undefined {
    const s = state;
    const at = nowMs;
    // Outside its schedule everywhere: waiting for the clock is not a failure (no backoff).
    const schedule =
      spec?.schedule === undefined && w.schedule === undefined
        ? UNSCHEDULED
        : schedules.of(w.queue, spec?.schedule, w.schedule);
    if (schedule.verdict.open === 'nowhere') return schedule.verdict.reason;
    const gated: QueuedWorkload =
      schedule.verdict.open === 'some' ? { ...w, gang: gatedGang(w.gang, schedule.verdict.gate) } : w;
    const waiting = backoff.blocking(w.key, at);
    if (waiting) {
      return backoffReason(waiting);
    }
    const shape = schedule.key === '' ? shapeOf(w.gang) : `${shapeOf(w.gang)}\u0000${schedule.key}`;
    const short = ledger.check(w.queue, w.demand);
    let decision: GangDecision | undefined;
    if (short) {
      const plan = tryPreempt(gated);
      if (!plan) return short;
      decision = plan.placement;
      record(plan.preemptions);
    } else {
      const known = failedShapes.get(shape);
      if (known) {
        const plan = known.reason.verdict === 'not-now' ? tryPreempt(gated) : undefined;
        if (!plan) {
          const reason = renamed(known.reason, known.gang, w.gang);
          backoff.fail(w.key, at, reason);
          return reason;
        }
        decision = plan.placement;
        record(plan.preemptions);
      } else {
        decision = placeGang(engine, gated.gang);
        if (decision.outcome === 'unschedulable' && decision.verdict === 'not-now') {
          const plan = tryPreempt(gated);
          if (plan) {
            decision = plan.placement;
            record(plan.preemptions);
          }
        }
      }
    }
    if (decision.outcome === 'unschedulable') {
      const reason: PlacementReason = {
        kind: 'placement',
        verdict: decision.verdict,
        failedPod: decision.failedPod,
        placedBeforeFailure: decision.placedBeforeFailure,
        domainsTried: decision.domainsTried,
        nodesConsidered: decision.reason.nodesConsidered,
        rejections: decision.reason.rejections.map((r) => ({
          filter: r.filter,
          reason: r.reason,
          nodes: r.nodes,
          message: r.message,
        })),
        detail: decision.message,
      };
      backoff.fail(w.key, at, reason);
      failedShapes.set(shape, { gang: w.gang, reason });
      return reason;
    }
    ledger.book(w.key, w.queue, w.demand);
    backoff.clear(w.key);
    s.pending.delete(w.key);
    const pods = decision.pods.map((p) => p.pod);
    s.admitted.set(w.key, {
      ...w,
      admittedMs: at,
      pods,
      nodes: decision.pods.map((p) => p.node),
      allocations: decision.pods.map((p, i) => ({ request: w.gang.pods[i]!, binding: p.binding })),
    });
    out.push({
      workload: w.key,
      queue: w.queue,
      resourceClass: w.demand.resourceClass,
      priority: w.priority,
      demand: Object.fromEntries(w.demand.amounts),
      gpus: w.demand.gpus,
      placement: decision,
    });
    return undefined;
  }
}

/**
 * Sorts a queue's workloads by byQueueOrder (a total order: seq is unique). They arrive nearly sorted
 * (pending is in submission order), so short queues take an insertion sort, which is linear then.
 */
function sortQueue(list: Ranked[]): void {
  if (list.length > 32) {
    list.sort(byQueueOrder);
    return;
  }
  for (let i = 1; i < list.length; i++) {
    const x = list[i]!;
    let j = i - 1;
    for (; j >= 0 && byQueueOrder(x, list[j]!) < 0; j--) list[j + 1] = list[j]!;
    list[j + 1] = x;
  }
}

/** Restores the heap below `i` (the least element by `less` on top). */
function siftDown<T>(heap: T[], i: number, less: (a: T, b: T) => boolean): void {
  const n = heap.length;
  const item = heap[i]!;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && less(heap[r]!, heap[l]!) ? r : l;
    if (!less(heap[c]!, item)) break;
    heap[i] = heap[c]!;
    i = c;
  }
  heap[i] = item;
}

/**
 * The key under which tryPreempt remembers a hopeless preemption: queue, priority, policy, preemptor
 * history and demand. Kept per workload object (they are replaced, never mutated), so a workload
 * tried every cycle builds and hashes its key once.
 */
const hopelessKeys = new WeakMap<QueuedWorkload, string>();
function hopelessKey(w: QueuedWorkload): string {
  let key = hopelessKeys.get(w);
  if (key === undefined) {
    key = `${w.queue}\u0000${w.priority}\u0000${w.preemptionPolicy}\u0000${w.preempted?.by ?? ''}\u0000${w.demandKey}`;
    hopelessKeys.set(w, key);
  }
  return key;
}

/**
 * A workload's pending entry, the same object as last cycle when its queue, position and reason are
 * (a deep queue reports the same few hundred entries every cycle).
 */
const lastEntries = new WeakMap<QueuedWorkload, PendingWorkload>();
function pendingEntry(
  w: QueuedWorkload,
  queue: string,
  ahead: number,
  reason: PendingReason,
): PendingWorkload {
  const last = lastEntries.get(w);
  if (last !== undefined && last.reason === reason && last.ahead === ahead && last.queue === queue)
    return last;
  const entry = { workload: w.key, queue, ahead, reason, message: pendingMessage(reason, ahead) };
  lastEntries.set(w, entry);
  return entry;
}

/**
 * The backoff reason of a record, built once per record (a workload in backoff is reported every
 * cycle until it expires; records are replaced, never mutated, on each failure).
 */
const backoffReasons = new WeakMap<BackoffRecord, PendingReason>();
function backoffReason(waiting: BackoffRecord): PendingReason {
  let reason = backoffReasons.get(waiting);
  if (reason === undefined) {
    reason = {
      kind: 'backoff',
      until: new Date(waiting.untilMs).toISOString(),
      failures: waiting.failures,
      ...(waiting.last ? { lastFailure: waiting.last } : {}),
    };
    backoffReasons.set(waiting, reason);
  }
  return reason;
}

/** A placement reason recorded for one gang, restated for another of the same shape. */
function renamed(reason: PlacementReason, from: GangRequest, to: GangRequest): PlacementReason {
  const index = from.pods.findIndex((p) => p.id === reason.failedPod);
  return {
    ...reason,
    failedPod: to.pods[index]?.id ?? reason.failedPod,
    detail: reason.detail.replaceAll(from.id, to.id),
  };
}
