/**
 * Queues as the queues page draws them: each one's quota use against its nominal quota and
 * borrowing limit, its weighted share of its cohort pool, and the cohort tree they hang in.
 * Pure, over the listed objects; the same definitions as the admission controller
 * (src/scheduling/admission-fair-share.ts, admission-quota-ledger.ts), on current usage only:
 *
 * - A queue's **pool** is its root cohort (a queue outside any cohort is its own pool);
 *   P[k] = Σ nominal over the pool's queues, per (resource class, dimension) k.
 * - Its **effective weight** is its `fairShareWeight` times the weights of its cohorts up to the
 *   root, so a heavier sub-cohort's queues count for more.
 * - Its **weighted share** is max over k of u[k] / P[k], divided by its effective weight (dominant
 *   resource share); the admission controller also adds decayed usage history, which the page
 *   cannot see, so it orders the same way only when history is off or alike.
 * - Its **fair share** of the pool is its effective weight / Σ effective weights of the pool's
 *   queues: the part of P[k] equal weighted shares would give it.
 */
import { parseQuantity } from '../../../src/model/quantity.js';
import type { Cohort, Queue, ResourceAmounts, Workload } from './objects.js';
import { HOLDING_PHASES } from './objects.js';

export interface DimensionUse {
  readonly resourceClass: string;
  readonly dimension: string;
  readonly used: number;
  readonly nominal: number;
  /** Use beyond nominal: borrowed from the pool. */
  readonly borrowed: number;
  /** Most it may borrow beyond nominal; undefined = no limit. */
  readonly borrowingLimit: number | undefined;
  /** Σ nominal over the queue's pool. */
  readonly pool: number;
}

export interface QueueShare {
  readonly name: string;
  readonly cohort: string | undefined;
  /** Root cohort, or undefined outside any cohort. */
  readonly pool: string | undefined;
  readonly weight: number;
  readonly effectiveWeight: number;
  /** u/P ÷ effective weight in the dominant dimension (0 when idle). */
  readonly weightedShare: number;
  /** The dimension that sets it; undefined when the queue uses nothing. */
  readonly dominant: DimensionUse | undefined;
  /** Effective weight / Σ effective weights in the pool (1 outside any cohort). */
  readonly fairShare: number;
  readonly dimensions: readonly DimensionUse[];
}

export interface CohortNode {
  readonly name: string;
  readonly weight: number;
  readonly children: readonly CohortNode[];
  readonly queues: readonly QueueShare[];
}

/** A quantity as the API returns it ("500m", "64Gi", 8) in base units (cores, bytes). */
export function quantity(value: number | string): number {
  if (typeof value === 'number') return value;
  const parsed = parseQuantity(value);
  return parsed.ok ? parsed.value : Number.NaN;
}

/** A Queue's amounts per dimension, keyed as the admission controller books them. */
export function amountsOf(amounts: ResourceAmounts | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, value] of Object.entries(amounts ?? {})) {
    if (key === 'migProfiles' && typeof value === 'object') {
      for (const [profile, n] of Object.entries(value)) out.set(`mig:${profile}`, n);
    } else if (typeof value !== 'object') {
      const n = quantity(value);
      if (Number.isFinite(n)) out.set(key, n);
    }
  }
  return out;
}

/** Cohort name → its chain up to the root (itself first); a cycle or missing parent ends the chain. */
function chainOf(cohort: string, cohorts: ReadonlyMap<string, Cohort>): string[] {
  const chain: string[] = [];
  for (let c: string | undefined = cohort; c !== undefined && !chain.includes(c); ) {
    chain.push(c);
    c = cohorts.get(c)?.spec.parent;
  }
  return chain;
}

const keyOf = (resourceClass: string, dimension: string) => `${resourceClass}\u0000${dimension}`;

export function queueShares(
  queues: Iterable<Queue>,
  cohorts: Iterable<Cohort>,
  workloads: Iterable<Workload>,
): QueueShare[] {
  const cohortByName = new Map<string, Cohort>();
  for (const c of cohorts) cohortByName.set(c.metadata.name, c);
  const usage = new Map<string, Map<string, number>>();
  for (const w of workloads) {
    const admission = w.status?.admission;
    if (!admission || !w.status || !HOLDING_PHASES.has(w.status.phase)) continue;
    const used = usage.get(admission.queue) ?? new Map<string, number>();
    usage.set(admission.queue, used);
    for (const [dimension, n] of Object.entries(admission.demand)) {
      const key = keyOf(admission.resourceClass ?? '', dimension);
      used.set(key, (used.get(key) ?? 0) + n);
    }
  }

  const list = [...queues];
  const poolOf = new Map<string, string | undefined>();
  const effective = new Map<string, number>();
  const poolNominal = new Map<string, Map<string, number>>();
  const poolWeight = new Map<string, number>();
  for (const q of list) {
    const chain = q.spec.cohort === undefined ? [] : chainOf(q.spec.cohort, cohortByName);
    const pool = chain.at(-1);
    poolOf.set(q.metadata.name, pool);
    const weight = chain.reduce(
      (product, c) => product * (cohortByName.get(c)?.spec.fairShareWeight ?? 1),
      q.spec.fairShareWeight ?? 1,
    );
    effective.set(q.metadata.name, weight);
    const poolKey = pool ?? `queue:${q.metadata.name}`;
    poolWeight.set(poolKey, (poolWeight.get(poolKey) ?? 0) + weight);
    const nominal = poolNominal.get(poolKey) ?? new Map<string, number>();
    poolNominal.set(poolKey, nominal);
    for (const r of q.spec.resources ?? []) {
      for (const [dimension, n] of amountsOf(r.nominal)) {
        const key = keyOf(r.resourceClass, dimension);
        nominal.set(key, (nominal.get(key) ?? 0) + n);
      }
    }
  }

  return list
    .map((q): QueueShare => {
      const name = q.metadata.name;
      const pool = poolOf.get(name);
      const poolKey = pool ?? `queue:${name}`;
      const weight = effective.get(name)!;
      const used = usage.get(name);
      const dimensions: DimensionUse[] = [];
      for (const r of q.spec.resources ?? []) {
        const limits = r.borrowingLimit === undefined ? undefined : amountsOf(r.borrowingLimit);
        for (const [dimension, nominal] of amountsOf(r.nominal)) {
          const key = keyOf(r.resourceClass, dimension);
          const u = used?.get(key) ?? 0;
          dimensions.push({
            resourceClass: r.resourceClass,
            dimension,
            used: u,
            nominal,
            borrowed: Math.max(0, u - nominal),
            // Outside a cohort there is nothing to borrow from.
            borrowingLimit: pool === undefined ? 0 : limits?.get(dimension),
            pool: poolNominal.get(poolKey)?.get(key) ?? nominal,
          });
        }
      }
      let dominant: DimensionUse | undefined;
      let top = 0;
      for (const d of dimensions) {
        const share = d.pool === 0 ? 0 : d.used / d.pool;
        if (share > top) {
          top = share;
          dominant = d;
        }
      }
      return {
        name,
        cohort: q.spec.cohort,
        pool,
        weight: q.spec.fairShareWeight ?? 1,
        effectiveWeight: weight,
        weightedShare: top / weight,
        dominant,
        fairShare: weight / poolWeight.get(poolKey)!,
        dimensions,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The cohort tree: every cohort named by a Cohort object or a queue, under its parent, with its
 * queues; roots sorted by name. Queues outside any cohort are left to the caller.
 */
export function cohortTree(shares: readonly QueueShare[], cohorts: Iterable<Cohort>): CohortNode[] {
  const parent = new Map<string, string | undefined>();
  const weight = new Map<string, number>();
  for (const c of cohorts) {
    parent.set(c.metadata.name, c.spec.parent);
    weight.set(c.metadata.name, c.spec.fairShareWeight ?? 1);
  }
  for (const s of shares)
    if (s.cohort !== undefined && !parent.has(s.cohort)) parent.set(s.cohort, undefined);
  const build = (name: string, seen: ReadonlySet<string>): CohortNode => ({
    name,
    weight: weight.get(name) ?? 1,
    children: [...parent]
      .filter(([child, p]) => p === name && !seen.has(child))
      .map(([child]) => build(child, new Set([...seen, child])))
      .sort((a, b) => a.name.localeCompare(b.name)),
    queues: shares.filter((s) => s.cohort === name),
  });
  return [...parent]
    .filter(([, p]) => p === undefined || !parent.has(p))
    .map(([name]) => build(name, new Set([name])))
    .sort((a, b) => a.name.localeCompare(b.name));
}
