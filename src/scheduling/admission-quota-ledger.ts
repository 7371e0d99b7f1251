/**
 * Quota accounting for admission (issue 5 item 1): each Queue's nominal quota per ResourceClass and
 * dimension, the cohort tree through which queues lend and borrow, and the usage booked by admitted
 * workloads. Pure data and arithmetic; no clock.
 *
 * The model (Kueue's, with lending limits):
 * - A queue's entry for a class gives, per dimension, nominal N, borrowing limit B (absent = no limit
 *   inside a cohort) and lending limit L (absent = all of N may be lent). G = N − min(L, N) is the part
 *   of N only the queue itself may use; the rest, min(L, N), is lent to the queue's cohort pool.
 * - Cohorts carry no quota of their own (CohortSpec has only a parent and a weight), so every queue
 *   whose cohort has the same root cohort shares one pool: pool capacity = Σ min(L, N) over them, pool
 *   use = Σ max(0, u − G) over them (u = the queue's usage).
 * - A workload asking x fits iff, for every metered dimension, x ≤ available, where
 *   available = min(N + B − u, poolCapacity − poolUse + max(0, G − u)); for a queue outside any
 *   cohort, available = N − u. So a queue borrows at most B beyond N, never takes another queue's G
 *   (lending limit respected), and what it uses of its own G never counts against the pool.
 * - A dimension the queue's entry does not name in `nominal` is not metered by that queue (a queue
 *   that sets only `gpus` does not have to budget CPU and memory). A queue with no `resources` meters
 *   nothing.
 * - The most a queue could ever admit in a dimension is min(N + B, G + poolCapacity) (N alone outside
 *   a cohort); a workload asking more is never admissible.
 */
import type { CohortSpec, QueueSpec } from '../model/scheduling.js';
import { type Amounts, amountsOf, type Demand, type Dimension } from './admission-demand.js';

/** A bad Queue or Cohort reference; `field` names the offending field. */
export class AdmissionConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'AdmissionConfigError';
  }
}

export type QuotaShortfall =
  | {
      readonly kind: 'quota';
      readonly queue: string;
      readonly resourceClass: string;
      readonly dimension: Dimension;
      readonly requested: number;
      readonly used: number;
      readonly nominal: number;
      /** What the queue can take now, borrowing included. */
      readonly available: number;
      /** The part of `available` that would come from the cohort beyond the queue's own nominal. */
      readonly borrowable: number;
    }
  | {
      readonly kind: 'cohort-borrowing-limit';
      readonly queue: string;
      readonly cohort: string;
      readonly resourceClass: string;
      readonly dimension: Dimension;
      readonly requested: number;
      readonly used: number;
      readonly nominal: number;
      readonly borrowingLimit: number;
      /** What the queue can take now (the borrowing limit is what stops more). */
      readonly available: number;
      /** What the cohort has unused for this queue, beyond the limit. */
      readonly cohortAvailable: number;
    };

export interface NeverAdmissible {
  readonly queue: string;
  readonly resourceClass: string;
  readonly dimension: Dimension;
  readonly requested: number;
  /** The most this queue could ever hold in the dimension (nominal + borrowing, bounded by the cohort). */
  readonly maxEver: number;
}

interface Entry {
  readonly nominal: Map<Dimension, number>;
  readonly borrowingLimit: Map<Dimension, number> | undefined;
  readonly lendingLimit: Map<Dimension, number> | undefined;
}

interface QueueQuota {
  readonly name: string;
  /** Root cohort (the pool), undefined outside any cohort. */
  readonly pool: string | undefined;
  readonly entries: Map<string, Entry>;
  /** Usage per `class/dimension` key. */
  readonly usage: Map<string, number>;
  /** Shared by the queues of one pool (a queue outside any cohort is its own pool). */
  readonly clock: { version: number };
}

interface Booking {
  readonly queue: string;
  readonly demand: Demand;
}

/** GPU dimensions are reported first, so a message names what is scarce. */
const DIMENSION_RANK = (d: Dimension) =>
  d === 'gpus' ? 0 : d === 'milliGpus' ? 1 : d.startsWith('mig:') ? 2 : d === 'gpuHours' ? 3 : 4;

const usageKeys = new Map<string, Map<Dimension, string>>();
/** `class/dimension`, interned (hot: every check, booking and share). */
export const usageKey = (resourceClass: string, d: Dimension): string => {
  let byDim = usageKeys.get(resourceClass);
  if (!byDim) {
    byDim = new Map();
    usageKeys.set(resourceClass, byDim);
  }
  let key = byDim.get(d);
  if (key === undefined) {
    key = `${resourceClass}/${d}`;
    byDim.set(d, key);
  }
  return key;
};

/** Root of a cohort, following parent links; unknown cohorts and cycles are config errors. */
export function rootCohort(name: string, cohorts: ReadonlyMap<string, CohortSpec>, field: string): string {
  const seen = new Set<string>();
  let at = name;
  for (;;) {
    const spec = cohorts.get(at);
    if (!spec) throw new AdmissionConfigError(field, `cohort "${at}" does not exist`);
    seen.add(at);
    if (spec.parent === undefined) return at;
    if (seen.has(spec.parent))
      throw new AdmissionConfigError(
        `Cohort ${at}.spec.parent`,
        `cohort "${spec.parent}" is in a parent cycle`,
      );
    field = `Cohort ${at}.spec.parent`;
    at = spec.parent;
  }
}

export class QuotaLedger {
  readonly #queues = new Map<string, QueueQuota>();
  /** Per pool, per `class/dimension`: capacity lent into it and use beyond guaranteed quota. */
  readonly #poolCapacity = new Map<string, Map<string, number>>();
  readonly #poolUse = new Map<string, Map<string, number>>();
  /** Per pool, per `class/dimension`: Σ nominal, the denominator of dominant shares. */
  readonly #poolNominal = new Map<string, Map<string, number>>();
  readonly #bookings = new Map<string, Booking>();
  readonly #poolClocks = new Map<string, { version: number }>();
  readonly #shortfalls = new WeakMap<Demand, QuotaShortfall>();
  #version = 0;

  constructor(queues: ReadonlyMap<string, QueueSpec>, cohorts: ReadonlyMap<string, CohortSpec>) {
    for (const [name, spec] of queues) {
      for (const r of spec.resources) {
        for (const [d, v] of amountsOf(r.borrowingLimit)) {
          if (v < 0)
            throw new AdmissionConfigError(`Queue ${name}.spec.resources.borrowingLimit.${d}`, 'must be ≥ 0');
        }
      }
      const pool =
        spec.cohort === undefined ? undefined : rootCohort(spec.cohort, cohorts, `Queue ${name}.spec.cohort`);
      const entries = new Map<string, Entry>();
      for (const r of spec.resources) {
        entries.set(r.resourceClass, {
          nominal: amountsOf(r.nominal),
          borrowingLimit: r.borrowingLimit ? amountsOf(r.borrowingLimit) : undefined,
          lendingLimit: r.lendingLimit ? amountsOf(r.lendingLimit) : undefined,
        });
      }
      const poolName = pool ?? `queue:${name}`;
      let clock = this.#poolClocks.get(poolName);
      if (!clock) {
        clock = { version: 0 };
        this.#poolClocks.set(poolName, clock);
      }
      this.#queues.set(name, { name, pool, entries, usage: new Map(), clock });
      for (const [cls, e] of entries) {
        for (const [d, n] of e.nominal) {
          const key = usageKey(cls, d);
          addTo(this.#poolNominal, poolName, key, n);
          if (pool !== undefined) addTo(this.#poolCapacity, pool, key, lendable(e, d));
        }
      }
    }
  }

  has(queue: string): boolean {
    return this.#queues.has(queue);
  }

  poolOf(queue: string): string | undefined {
    return this.#queues.get(queue)?.pool;
  }

  /** Current usage of a queue per `class/dimension` key. */
  usageOf(queue: string): ReadonlyMap<string, number> {
    return this.#queues.get(queue)?.usage ?? new Map();
  }

  /** Σ nominal per `class/dimension` of the queue's pool (its own nominal outside a cohort). */
  poolNominalOf(queue: string): ReadonlyMap<string, number> {
    const q = this.#queues.get(queue);
    return this.#poolNominal.get(q?.pool ?? `queue:${queue}`) ?? new Map();
  }

  /**
   * Bumped by every book and unbook: a figure derived from usage (a share, a failed preemption) holds
   * while the version does.
   */
  get version(): number {
    return this.#version;
  }

  /**
   * Bumped by every book and unbook in the queue's pool: what is derived from the usage of the pool's
   * queues alone (a queue's share, a preemption that found no victim to evict) holds while it does.
   * The ledger-wide version for a queue it does not know.
   */
  versionOf(queue: string): number {
    return this.#queues.get(queue)?.clock.version ?? this.#version;
  }

  isBooked(workload: string): boolean {
    return this.#bookings.has(workload);
  }

  bookings(): ReadonlyMap<string, Booking> {
    return this.#bookings;
  }

  /** Whether the workload fits now; the first short dimension (GPU dimensions first) if not. */
  check(queue: string, demand: Demand): QuotaShortfall | undefined {
    const q = this.#require(queue);
    const cls = demand.resourceClass;
    if (cls === undefined) return undefined;
    const entry = q.entries.get(cls)!;
    for (const [d, x] of sortedDims(demand.amounts)) {
      const n = entry.nominal.get(d);
      if (n === undefined) continue;
      // The fast path (it fits) without allocating; the full figures only for a shortfall.
      if (x <= this.#available(q, cls, entry, d) + EPSILON) continue;
      const lim = this.#limits(q, cls, entry, d);
      const base = { queue, resourceClass: cls, dimension: d, requested: x, used: lim.used, nominal: n };
      if (lim.byLimit < lim.byPool && x <= lim.byPool) {
        return this.#reported(demand, {
          kind: 'cohort-borrowing-limit',
          ...base,
          cohort: q.pool!,
          borrowingLimit: entry.borrowingLimit!.get(d)!,
          available: lim.available,
          cohortAvailable: lim.byPool,
        });
      }
      return this.#reported(demand, {
        kind: 'quota',
        ...base,
        available: lim.available,
        borrowable: Math.max(0, lim.available - Math.max(0, n - lim.used)),
      });
    }
    return undefined;
  }

  /** The dimension in which the workload exceeds what its queue could ever hold, if any. */
  neverAdmissible(queue: string, demand: Demand): NeverAdmissible | undefined {
    const q = this.#require(queue);
    const cls = demand.resourceClass;
    if (cls === undefined) return undefined;
    const entry = q.entries.get(cls)!;
    for (const [d, x] of sortedDims(demand.amounts)) {
      const n = entry.nominal.get(d);
      if (n === undefined) continue;
      let maxEver = n;
      if (q.pool !== undefined) {
        const b = entry.borrowingLimit?.get(d);
        const cap = this.#poolCapacity.get(q.pool)?.get(usageKey(cls, d)) ?? 0;
        maxEver = Math.min(b === undefined ? Number.POSITIVE_INFINITY : n + b, guaranteed(entry, d) + cap);
      }
      if (x > maxEver + EPSILON) return { queue, resourceClass: cls, dimension: d, requested: x, maxEver };
    }
    return undefined;
  }

  /** Whether the queue uses more than its nominal in some metered dimension of the class (borrows). */
  borrowing(queue: string, resourceClass: string | undefined): boolean {
    const q = this.#require(queue);
    const entry = resourceClass === undefined ? undefined : q.entries.get(resourceClass);
    if (!entry) return false;
    for (const [d, n] of entry.nominal) {
      if ((q.usage.get(usageKey(resourceClass!, d)) ?? 0) > n + EPSILON) return true;
    }
    return false;
  }

  /** Whether the queue stays within its own nominal in every metered dimension after adding `demand`. */
  withinNominalAfter(queue: string, demand: Demand): boolean {
    const q = this.#require(queue);
    const cls = demand.resourceClass;
    const entry = cls === undefined ? undefined : q.entries.get(cls);
    if (!entry) return true;
    for (const [d, x] of demand.amounts) {
      const n = entry.nominal.get(d);
      if (n !== undefined && (q.usage.get(usageKey(cls!, d)) ?? 0) + x > n + EPSILON) return false;
    }
    return true;
  }

  /** Books an admitted workload's demand on its queue (and its pool's borrowed use). */
  book(workload: string, queue: string, demand: Demand): void {
    if (this.#bookings.has(workload)) throw new Error(`workload ${workload} is already booked`);
    this.#apply(queue, demand, 1);
    this.#bookings.set(workload, { queue, demand });
  }

  /** Returns a finished (or preempted) workload's quota; unknown workloads are ignored. */
  unbook(workload: string): void {
    const b = this.#bookings.get(workload);
    if (!b) return;
    this.#apply(b.queue, b.demand, -1);
    this.#bookings.delete(workload);
  }

  #apply(queue: string, demand: Demand, sign: 1 | -1): void {
    this.#version++;
    const q = this.#require(queue);
    q.clock.version++;
    const cls = demand.resourceClass;
    if (cls === undefined) return;
    const entry = q.entries.get(cls)!;
    for (const [d, x] of demand.amounts) {
      const key = usageKey(cls, d);
      const before = q.usage.get(key) ?? 0;
      const after = Math.max(0, before + sign * x);
      q.usage.set(key, after);
      if (q.pool !== undefined && entry.nominal.has(d)) {
        const g = guaranteed(entry, d);
        addTo(this.#poolUse, q.pool, key, Math.max(0, after - g) - Math.max(0, before - g));
      }
    }
  }

  /** `#limits(...).available`, computed the same way. */
  #available(q: QueueQuota, cls: string, entry: Entry, d: Dimension): number {
    const key = usageKey(cls, d);
    const used = q.usage.get(key) ?? 0;
    const n = entry.nominal.get(d) ?? 0;
    if (q.pool === undefined) return n - used;
    const b = entry.borrowingLimit?.get(d);
    const byLimit = b === undefined ? Number.POSITIVE_INFINITY : n + b - used;
    const cap = this.#poolCapacity.get(q.pool)?.get(key) ?? 0;
    const use = this.#poolUse.get(q.pool)?.get(key) ?? 0;
    const byPool = cap - use + Math.max(0, guaranteed(entry, d) - used);
    return Math.max(0, Math.min(byLimit, byPool));
  }

  #limits(q: QueueQuota, cls: string, entry: Entry, d: Dimension) {
    const key = usageKey(cls, d);
    const used = q.usage.get(key) ?? 0;
    const n = entry.nominal.get(d) ?? 0;
    if (q.pool === undefined) {
      const available = n - used;
      return { used, available, byLimit: available, byPool: available };
    }
    const b = entry.borrowingLimit?.get(d);
    const byLimit = b === undefined ? Number.POSITIVE_INFINITY : n + b - used;
    const cap = this.#poolCapacity.get(q.pool)?.get(key) ?? 0;
    const use = this.#poolUse.get(q.pool)?.get(key) ?? 0;
    const byPool = cap - use + Math.max(0, guaranteed(entry, d) - used);
    return { used, available: Math.max(0, Math.min(byLimit, byPool)), byLimit, byPool };
  }

  /**
   * The shortfall last reported for this demand when it says the same, else this one: a workload
   * short of quota is checked every cycle, and an unchanged reason keeps its identity (its
   * description and pending entry are reused downstream).
   */
  #reported(demand: Demand, shortfall: QuotaShortfall): QuotaShortfall {
    const last = this.#shortfalls.get(demand);
    if (last !== undefined && sameFields(last, shortfall)) return last;
    this.#shortfalls.set(demand, shortfall);
    return shortfall;
  }

  #require(queue: string): QueueQuota {
    const q = this.#queues.get(queue);
    if (!q) throw new Error(`queue ${queue} is not known to the ledger`);
    return q;
  }
}

/** Guards float sums (CPU cores, GPU-hours) against rounding noise. */
const EPSILON = 1e-9;

function lendable(e: Entry, d: Dimension): number {
  const n = e.nominal.get(d) ?? 0;
  const l = e.lendingLimit?.get(d);
  return l === undefined ? n : Math.min(l, n);
}

function guaranteed(e: Entry, d: Dimension): number {
  return (e.nominal.get(d) ?? 0) - lendable(e, d);
}

/** Sorted once per amounts map (a workload's demand does not change; the size guards a reuse). */
const sortedCache = new WeakMap<Amounts, { size: number; dims: [Dimension, number][] }>();
function sortedDims(amounts: Amounts): readonly [Dimension, number][] {
  const cached = sortedCache.get(amounts);
  if (cached && cached.size === amounts.size) return cached.dims;
  const dims = [...amounts].sort((a, b) => DIMENSION_RANK(a[0]) - DIMENSION_RANK(b[0]));
  sortedCache.set(amounts, { size: amounts.size, dims });
  return dims;
}

/** Shallow equality of two flat records. */
function sameFields(a: object, b: object): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let count = 0;
  for (const k in y) {
    if (x[k] !== y[k]) return false;
    count++;
  }
  for (const _ in x) count--;
  return count === 0;
}

function addTo(m: Map<string, Map<string, number>>, outer: string, key: string, v: number): void {
  let inner = m.get(outer);
  if (!inner) {
    inner = new Map();
    m.set(outer, inner);
  }
  inner.set(key, (inner.get(key) ?? 0) + v);
}
