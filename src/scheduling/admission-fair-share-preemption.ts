/**
 * Fair-share preemption across a cohort (issue 5 item 3): Kueue's fair-sharing preemption strategy
 * LessThanOrEqualToFinalShare, made strict, over our weighted dominant shares.
 *
 * s_q is queue q's weighted dominant share as FairShare.share computes it (current usage plus decayed
 * history, over its pool's nominal, ÷ its effective weight), whole demands counted. A workload W of
 * queue A whose spec sets preemption.fairSharing = LessThanFinalShare, and that does not fit (quota or
 * capacity), may evict an admitted workload V of another queue B of A's cohort pool when:
 * 1. V books quota in W's resource class, and B borrows in that class (uses more than its nominal in
 *    some metered dimension);
 * 2. B still uses at least its nominal, in every dimension of the class it borrows in, once V and the
 *    plan's other victims from B have gone: fair share redistributes borrowed quota only, nominal
 *    stays guaranteed (reclaim is how a queue gets its nominal back);
 * 3. V's priority ≤ W's (base PriorityClass values, aging never counts): a lower priority never evicts
 *    a higher one through fair share;
 * 4. s_A(W admitted, the plan's victims gone) < s_B(V and the plan's other victims from B gone),
 *    strictly (Kueue's strategy allows equality). An eviction throws running work away, so it must
 *    leave the preemptor's queue strictly behind its victim's; a tie, which float sums of decayed
 *    history can tip either way, keeps the running work. The price: with history off and work that
 *    never ends, two equal queues may stay one workload each side of even (12 and 4 GPUs of 16 in
 *    4-GPU workloads); with history on, the history of the queue that holds more grows and settles it.
 * The victim rules common to every mode (SLO class, minimum runtime, not admitted this cycle, not W's
 * own preemptor) are admission-preemption.ts's. Rules 2 and 4 are checked as each victim is tried and
 * again on the final plan (putting back an unneeded victim of A's own queue raises s_A).
 *
 * Why it does not loop:
 * - Straight after, no workload Y of B can take anything back from A. By fair share it would need
 *   s_B(+Y) < s_A(−X) for some X of A, but s_B(+Y) > s_B(after) > s_A(after) ≥ s_A(−X). By reclaim it
 *   would need B within its nominal with Y, which rule 2 rules out in the dimension B borrows in.
 * - With history held still and one dominant resource, each preemption moves usage from a queue that
 *   stays above to one that stays below, so Φ = Σ_q weight_q · s_q² strictly falls whenever the
 *   preemptor takes no more than its victims free: a chain A → B → C → A cannot close.
 * - History moves shares continuously toward current usage, so decayed usage crossing over brings a
 *   bounded number of corrections, each again under rule 4. test/scheduling/admission-oscillation.test.ts
 *   replays the classic cases over many cycles on a virtual clock.
 *
 * Off by default (absent = Never): it throws away running work to rebalance borrowed capacity, so a
 * queue opts in, as in Kueue; admission order already steers free capacity toward the weights.
 */
import type { CohortSpec, QueueSpec } from '../model/scheduling.js';
import { type Amounts, amountsOf, type Demand } from './admission-demand.js';
import { effectiveWeight } from './admission-fair-share.js';
import { usageKey } from './admission-quota-ledger.js';
import type { AdmissionState, AdmittedWorkload, QueuedWorkload } from './admission-state.js';

/** Whether the queue's workloads may preempt by fair share. */
export const fairSharingOn = (spec: QueueSpec): boolean =>
  spec.preemption.fairSharing === 'LessThanFinalShare';

/** Guards float sums (CPU cores, GPU-hours) against rounding noise, as the ledger does. */
const EPSILON = 1e-9;

const weights = new WeakMap<QueueSpec, { cohorts: ReadonlyMap<string, CohortSpec>; weight: number }>();

/** The queue's weighted dominant share with `part` of `demand` (1: admitted, −1: gone; see FairShare.share). */
export function queueShare(state: AdmissionState, queue: string, demand?: Demand, part = 1): number {
  const spec = state.config.queues.get(queue)!;
  let cached = weights.get(spec);
  if (!cached || cached.cohorts !== state.config.cohorts) {
    cached = { cohorts: state.config.cohorts, weight: effectiveWeight(spec, state.config.cohorts) };
    weights.set(spec, cached);
  }
  return state.fairShare.share(queue, state.ledger, cached.weight, demand, part);
}

const nominals = new WeakMap<QueueSpec['resources'][number], Amounts>();

/**
 * Rules 1 and 2 on the current ledger: the victim's queue borrows in its class and keeps at least its
 * nominal in every dimension it borrows in once the victim has gone.
 */
function takesOnlyBorrowed(state: AdmissionState, v: AdmittedWorkload): boolean {
  const cls = v.demand.resourceClass;
  const entry = state.config.queues.get(v.queue)!.resources.find((r) => r.resourceClass === cls);
  if (cls === undefined || !entry) return false;
  let nominal = nominals.get(entry);
  if (!nominal) {
    nominal = amountsOf(entry.nominal);
    nominals.set(entry, nominal);
  }
  const usage = state.ledger.usageOf(v.queue);
  let borrows = false;
  for (const [d, n] of nominal) {
    const u = usage.get(usageKey(cls, d)) ?? 0;
    if (u <= n + EPSILON) continue;
    borrows = true;
    if (u - (v.demand.amounts.get(d) ?? 0) < n - EPSILON) return false;
  }
  return borrows;
}

/** Rules 1, 2 and 4 for victim `v` of another queue, on the current ledger (earlier victims gone). */
export function fairShareAllows(state: AdmissionState, w: QueuedWorkload, v: AdmittedWorkload): boolean {
  return (
    takesOnlyBorrowed(state, v) &&
    queueShare(state, w.queue, w.demand, 1) < queueShare(state, v.queue, v.demand, -1)
  );
}
