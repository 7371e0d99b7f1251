/**
 * Fair sharing between the queues of a cohort (issue 5 item 2): weighted dominant resource share
 * (DRF, Ghodsi et al. 2011) over current usage plus usage history that decays with a half-life, so a
 * team that used a lot yesterday yields today.
 *
 *   share(q, w) = max over (class, dimension) k of (u_q[k] + H_q[k] + x_w[k] / 2) / P[k]  ÷  weight(q)
 *
 * x_w[k] is the demand of the candidate w being ordered, counted at half: the midpoint between the
 * share before and after admitting it. Ordering by the share before admission lets a light queue
 * take lumps that overshoot its entitlement (1:2:3 with 1–2-GPU jobs on 12 GPUs: 18.5% instead of
 * 16.7%); by the share after admission it starves the light queue (15.1%); the midpoint lands within
 * 1–2% (test/scheduling/admission-fair-share.test.ts). u_q[k] is the queue's current usage, P[k] the sum of nominal quota over the queue's pool (its own
 * nominal outside a cohort), weight(q) its `fairShareWeight` (× the weights of its cohorts up to the
 * root, so a heavier sub-cohort's queues get more). H_q[k] is an exponentially weighted average of
 * past usage: over an interval Δ during which usage was u, H ← H·2^(−Δ/h) + u·(1 − 2^(−Δ/h)) with h
 * the half-life; usage is piecewise constant between admissions and finishes, so the ledger must be
 * decayed to "now" before every usage change (the cycle and `finish` do). With h = 0 history is off.
 */
import type { CohortSpec, QueueSpec } from '../model/scheduling.js';
import type { Demand } from './admission-demand.js';
import type { QuotaLedger } from './admission-quota-ledger.js';

export const DEFAULT_HALF_LIFE_SECONDS = 6 * 3600;

export class FairShare {
  readonly halfLifeSeconds: number;
  readonly #history = new Map<string, Map<string, number>>();
  #atMs: number | undefined;

  constructor(halfLifeSeconds = DEFAULT_HALF_LIFE_SECONDS) {
    this.halfLifeSeconds = halfLifeSeconds;
  }

  /** Folds the usage since the last call into the history (usage assumed constant in between). */
  decayTo(nowMs: number, ledger: QuotaLedger, queues: Iterable<string>): void {
    const from = this.#atMs ?? nowMs;
    this.#atMs = Math.max(from, nowMs);
    const dt = (nowMs - from) / 1000;
    if (dt <= 0) return;
    const keep = this.halfLifeSeconds > 0 ? 2 ** (-dt / this.halfLifeSeconds) : 0;
    for (const q of queues) {
      let h = this.#history.get(q);
      if (!h) {
        h = new Map();
        this.#history.set(q, h);
      }
      for (const [k, v] of h) h.set(k, v * keep);
      for (const [k, u] of ledger.usageOf(q)) h.set(k, (h.get(k) ?? 0) + u * (1 - keep));
    }
  }

  /** The decayed usage history of a queue per `class/dimension`. */
  historyOf(queue: string): ReadonlyMap<string, number> {
    return this.#history.get(queue) ?? new Map();
  }

  /**
   * Weighted dominant share of a queue (lower = more deserving), counting half of `adding` (the
   * candidate's demand; see the module comment for why half).
   */
  share(queue: string, ledger: QuotaLedger, weight: number, adding?: Demand): number {
    const total = ledger.poolNominalOf(queue);
    const usage = ledger.usageOf(queue);
    const history = this.halfLifeSeconds > 0 ? this.historyOf(queue) : new Map<string, number>();
    const cls = adding?.resourceClass;
    let dominant = 0;
    for (const [k, p] of total) {
      if (p <= 0) continue;
      let u = (usage.get(k) ?? 0) + (history.get(k) ?? 0);
      if (cls !== undefined && k.startsWith(`${cls}/`))
        u += (adding!.amounts.get(k.slice(cls.length + 1)) ?? 0) / 2;
      dominant = Math.max(dominant, u / p);
    }
    return dominant / weight;
  }
}

/** fairShareWeight of the queue × those of its cohorts up to the root. */
export function effectiveWeight(queue: QueueSpec, cohorts: ReadonlyMap<string, CohortSpec>): number {
  let w = queue.fairShareWeight;
  const seen = new Set<string>();
  for (let c = queue.cohort; c !== undefined && !seen.has(c); c = cohorts.get(c)?.parent) {
    seen.add(c);
    w *= cohorts.get(c)?.fairShareWeight ?? 1;
  }
  return w;
}
