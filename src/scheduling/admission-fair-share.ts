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
import type { Demand, Dimension } from './admission-demand.js';
import type { QuotaLedger } from './admission-quota-ledger.js';

export const DEFAULT_HALF_LIFE_SECONDS = 6 * 3600;

/** One queue's decayed history: a value per `class/dimension` key, in a flat array. */
interface History {
  readonly index: Map<string, number>;
  readonly keys: string[];
  values: Float64Array;
}

export class FairShare {
  readonly halfLifeSeconds: number;
  readonly #history = new Map<string, History>();
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
    const gain = 1 - keep;
    for (const q of queues) {
      let h = this.#history.get(q);
      const usage = ledger.usageOf(q);
      if (!h) {
        if (usage.size === 0) continue;
        h = { index: new Map(), keys: [], values: new Float64Array(4) };
        this.#history.set(q, h);
      }
      const values = h.values;
      if (h.keys.length === usage.size) {
        // The usual case: the history's keys are the usage's, in the same order (keys are added in
        // usage order and usage never drops one), so they pair up by position.
        let i = 0;
        for (const u of usage.values()) {
          values[i] = values[i]! * keep + u * gain;
          i++;
        }
        continue;
      }
      for (let i = 0; i < h.keys.length; i++) values[i] = values[i]! * keep;
      for (const [k, u] of usage) {
        const i = h.index.get(k);
        if (i !== undefined) values[i] = values[i]! + u * gain;
        else slot(h, k, u * gain);
      }
    }
  }

  /** The decayed usage history of a queue per `class/dimension`. */
  historyOf(queue: string): ReadonlyMap<string, number> {
    const h = this.#history.get(queue);
    const out = new Map<string, number>();
    if (h) for (let i = 0; i < h.keys.length; i++) out.set(h.keys[i]!, h.values[i]!);
    return out;
  }

  /**
   * Weighted dominant share of a queue (lower = more deserving), counting `part` of `adding`: half of
   * the candidate's demand when ordering (see the module comment for why half), all of it (1) for the
   * share with a workload admitted, minus all of it (−1) for the share without a booked one.
   */
  share(queue: string, ledger: QuotaLedger, weight: number, adding?: Demand, part = 0.5): number {
    const total = ledger.poolNominalOf(queue);
    const usage = ledger.usageOf(queue);
    const h = this.halfLifeSeconds > 0 ? this.#history.get(queue) : undefined;
    const cls = adding?.resourceClass;
    let dominant = 0;
    for (const { key, resourceClass, dimension, p } of splitKeys(total)) {
      const i = h?.index.get(key);
      let u = (usage.get(key) ?? 0) + (i === undefined ? 0 : h!.values[i]!);
      if (cls !== undefined) {
        if (resourceClass === cls) u += (adding!.amounts.get(dimension) ?? 0) * part;
        else if (cls.includes('/') && key.startsWith(`${cls}/`))
          u += (adding!.amounts.get(key.slice(cls.length + 1) as Dimension) ?? 0) * part;
      }
      dominant = Math.max(dominant, Math.max(0, u) / p);
    }
    return dominant / weight;
  }
}

/** Adds a key to a history with its first value. */
function slot(h: History, key: string, value: number): void {
  const i = h.keys.length;
  if (i === h.values.length) {
    const grown = new Float64Array(i * 2);
    grown.set(h.values);
    h.values = grown;
  }
  h.keys.push(key);
  h.index.set(key, i);
  h.values[i] = value;
}

interface SplitKey {
  readonly key: string;
  /** The part before the first `/`, undefined when the key has none. */
  readonly resourceClass: string | undefined;
  /** The part after the first `/`. */
  readonly dimension: Dimension;
  readonly p: number;
}

/** Pool totals split once into class and dimension (the ledger's pool maps never change). */
const splitCache = new WeakMap<ReadonlyMap<string, number>, { size: number; keys: SplitKey[] }>();
function splitKeys(total: ReadonlyMap<string, number>): readonly SplitKey[] {
  const cached = splitCache.get(total);
  if (cached && cached.size === total.size) return cached.keys;
  const keys: SplitKey[] = [];
  for (const [key, p] of total) {
    if (p <= 0) continue;
    const slash = key.indexOf('/');
    keys.push({
      key,
      resourceClass: slash < 0 ? undefined : key.slice(0, slash),
      dimension: key.slice(slash + 1) as Dimension,
      p,
    });
  }
  splitCache.set(total, { size: total.size, keys });
  return keys;
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
