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
import type { GangDecision } from './placement-decision.js';
import type { Allocation } from './placement-engine.js';

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

function candidates(state: AdmissionState, w: QueuedWorkload, nowMs: number): Candidate[] {
  const spec = state.config.queues.get(w.queue)!.preemption;
  const pool = state.ledger.poolOf(w.queue);
  const mayReclaim =
    spec.reclaimWithinCohort !== 'Never' &&
    pool !== undefined &&
    state.ledger.withinNominalAfter(w.queue, w.demand);
  const out: Candidate[] = [];
  for (const v of state.admitted.values()) {
    if (v.admittedMs >= nowMs || v.key === w.preempted?.by || !preemptible(v, nowMs)) continue;
    let mode: PreemptionMode | undefined;
    if (v.queue === w.queue) {
      if (spec.withinQueue === 'LowerPriority' && v.priority < w.priority) mode = 'within-queue';
    } else if (
      mayReclaim &&
      state.ledger.poolOf(v.queue) === pool &&
      v.demand.resourceClass === w.demand.resourceClass &&
      (spec.reclaimWithinCohort === 'Any' || v.priority < w.priority)
    ) {
      mode = 'reclaim';
    }
    if (mode) out.push({ victim: v, mode, wasted: (v.demand.gpus * (nowMs - v.admittedMs)) / 1000 });
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
  for (const c of list) {
    // A borrower stops being a reclaim victim once earlier victims brought its queue to its nominal.
    if (c.mode === 'reclaim' && !ledger.borrowing(c.victim.queue, c.victim.demand.resourceClass)) continue;
    removed.push({ candidate: c, allocations: evict(state, c.victim) });
    if (ledger.check(w.queue, w.demand)) continue;
    const d = placeGang(engine, w.gang);
    if (d.outcome === 'placed') {
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
