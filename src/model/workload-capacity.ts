import type { z } from 'zod';
import { formatBytes } from './quantity.js';
import { bytesOf, coresOf } from './quantity-schema.js';
import type { QueueSpec, ResourceClassSpec, resourceAmounts, WorkloadSpec } from './scheduling.js';

/**
 * Whether a workload could EVER fit in its queue, however idle the fleet: the
 * "Bad input" rule of issue 5 ("a workload larger than any queue's quota could
 * ever admit: rejected at submission with that reason, not left pending
 * forever"). Pure; the API server gathers the queue, its resource classes and
 * the other queues of its cohort tree, and turns shortfalls into a 422.
 *
 * Dimensions: whole GPUs (Σ pod-set count × accelerators.count), milli-GPUs
 * (count × milli), each MIG profile (count), CPU (millicores) and memory
 * (bytes). They never convert into each other.
 *
 * Which entries of `queue.spec.resources` can serve a dimension — the matching
 * rule. The bound is deliberately generous (it sums every entry that could
 * serve any pod set), so a workload is never refused that some assignment of
 * resource classes could admit:
 * - Accelerator dimensions: an entry that declares the dimension in `nominal`
 *   and whose ResourceClass either names no accelerator models, or shares one
 *   with the request (a request without models matches any entry). A queue
 *   with no such entry can hold none of it ("absent means none").
 * - CPU and memory: every entry that declares them. A queue that declares no
 *   CPU (or memory) quota anywhere does not meter it, so a GPU-only queue need
 *   not restate host resources; a queue with no resources at all meters nothing.
 *
 * The most one entry can ever hold = its nominal + what it can borrow, where
 * borrowing needs a cohort and is bounded both by its borrowingLimit (absent:
 * unlimited) and by what the other queues of the cohort tree (every queue
 * under the same root cohort) lend for the same ResourceClass (their
 * lendingLimit, else their nominal).
 */

type ResourceAmounts = z.infer<typeof resourceAmounts>;

export type CapacityDimension =
  | { readonly type: 'gpus' }
  | { readonly type: 'milliGpus' }
  | { readonly type: 'mig'; readonly profile: string }
  | { readonly type: 'cpu' }
  | { readonly type: 'memory' };

export interface QueueView {
  readonly name: string;
  readonly spec: QueueSpec;
}

export interface CapacityContext {
  readonly queue: QueueView;
  /** ResourceClasses by name; a missing one constrains nothing. */
  readonly resourceClasses: ReadonlyMap<string, ResourceClassSpec>;
  /** The other queues under the same root cohort (ignored when the queue has no cohort). */
  readonly lenders: readonly QueueView[];
}

/** One dimension in which the workload needs more than the queue could ever hold. */
export interface CapacityShortfall {
  readonly dimension: CapacityDimension;
  readonly needs: number;
  readonly canHold: number;
  readonly nominal: number;
  readonly borrowable: number;
  /** "needs 16 GPUs; queue acme-training can hold at most 8 (nominal 8, no borrowing)" */
  readonly message: string;
}

/** What a workload asks in one dimension, with the accelerator models it accepts (undefined: any). */
export interface DimensionDemand {
  readonly dimension: CapacityDimension;
  readonly amount: number;
  readonly models: ReadonlySet<string> | undefined;
}

function dimensionKey(d: CapacityDimension): string {
  return d.type === 'mig' ? `mig:${d.profile}` : d.type;
}

/** The workload's total demand per dimension, summed over pod sets; only dimensions it asks for. */
export function workloadDemand(spec: WorkloadSpec): DimensionDemand[] {
  const totals = new Map<
    string,
    { dimension: CapacityDimension; amount: number; models: Set<string> | undefined }
  >();
  const add = (dimension: CapacityDimension, amount: number, models?: readonly string[]) => {
    const key = dimensionKey(dimension);
    const entry = totals.get(key);
    const accepted = models === undefined || models.length === 0 ? undefined : new Set(models);
    if (!entry) {
      totals.set(key, { dimension, amount, models: accepted });
      return;
    }
    entry.amount += amount;
    if (entry.models !== undefined) {
      if (accepted === undefined) entry.models = undefined;
      else for (const m of accepted) entry.models.add(m);
    }
  };
  for (const set of spec.podSets) {
    const n = set.count;
    const accel = set.resources.accelerators;
    if (accel?.count !== undefined) add({ type: 'gpus' }, n * accel.count, accel.models);
    if (accel?.milli !== undefined) add({ type: 'milliGpus' }, n * accel.milli, accel.models);
    if (accel?.migProfile !== undefined) add({ type: 'mig', profile: accel.migProfile }, n, accel.models);
    add({ type: 'cpu' }, n * Math.round(coresOf(set.resources.cpu) * 1000));
    add({ type: 'memory' }, n * bytesOf(set.resources.memory));
  }
  return [...totals.values()];
}

/** An entry's amount in one dimension (CPU in millicores), or undefined when it does not declare it. */
function amountOf(amounts: ResourceAmounts | undefined, d: CapacityDimension): number | undefined {
  if (amounts === undefined) return undefined;
  switch (d.type) {
    case 'gpus':
      return amounts.gpus;
    case 'milliGpus':
      return amounts.milliGpus;
    case 'mig':
      return amounts.migProfiles?.[d.profile];
    case 'cpu':
      return amounts.cpu === undefined ? undefined : Math.round(coresOf(amounts.cpu) * 1000);
    case 'memory':
      return amounts.memory === undefined ? undefined : bytesOf(amounts.memory);
  }
}

type Entry = QueueSpec['resources'][number];

function serves(entry: Entry, demand: DimensionDemand, classes: ReadonlyMap<string, ResourceClassSpec>) {
  if (amountOf(entry.nominal, demand.dimension) === undefined) return false;
  if (demand.dimension.type === 'cpu' || demand.dimension.type === 'memory') return true;
  const offered = classes.get(entry.resourceClass)?.accelerator?.models;
  if (demand.models === undefined || offered === undefined) return true;
  return offered.some((m) => demand.models!.has(m));
}

function format(d: CapacityDimension, amount: number): string {
  switch (d.type) {
    case 'gpus':
      return `${amount} GPU${amount === 1 ? '' : 's'}`;
    case 'milliGpus':
      return `${amount} milli-GPUs`;
    case 'mig':
      return `${amount} × ${d.profile} MIG instance${amount === 1 ? '' : 's'}`;
    case 'cpu':
      return `${amount / 1000} CPU core${amount === 1000 ? '' : 's'}`;
    case 'memory':
      return `${formatBytes(amount)} of memory`;
  }
}

/** A bare amount for the "at most" half of a message ("8", "768Gi", "192 cores"). */
function bare(d: CapacityDimension, amount: number): string {
  if (d.type === 'memory') return formatBytes(amount);
  if (d.type === 'cpu') return String(amount / 1000);
  return String(amount);
}

/** What the other queues of the cohort tree lend for one ResourceClass in one dimension. */
function lendable(lenders: readonly QueueView[], resourceClass: string, d: CapacityDimension): number {
  let total = 0;
  for (const lender of lenders) {
    for (const entry of lender.spec.resources) {
      if (entry.resourceClass !== resourceClass) continue;
      const nominal = amountOf(entry.nominal, d) ?? 0;
      const limit = amountOf(entry.lendingLimit, d);
      total += limit === undefined ? nominal : Math.min(limit, nominal);
    }
  }
  return total;
}

/** Every dimension in which `workload` needs more than `ctx.queue` could ever hold; empty when it could fit. */
export function capacityShortfalls(workload: WorkloadSpec, ctx: CapacityContext): CapacityShortfall[] {
  const { queue, resourceClasses } = ctx;
  const entries = queue.spec.resources;
  if (entries.length === 0) return [];
  const cohort = queue.spec.cohort;
  const shortfalls: CapacityShortfall[] = [];
  for (const demand of workloadDemand(workload)) {
    const d = demand.dimension;
    const alwaysMetered = d.type !== 'cpu' && d.type !== 'memory';
    const matching = entries.filter((e) => serves(e, demand, resourceClasses));
    if (matching.length === 0 && !alwaysMetered) continue;
    let nominal = 0;
    let borrowable = 0;
    for (const entry of matching) {
      nominal += amountOf(entry.nominal, d) ?? 0;
      if (cohort === undefined) continue;
      const limit = amountOf(entry.borrowingLimit, d) ?? Number.POSITIVE_INFINITY;
      borrowable += Math.min(limit, lendable(ctx.lenders, entry.resourceClass, d));
    }
    const canHold = nominal + borrowable;
    if (demand.amount <= canHold) continue;
    const needs = `needs ${format(d, demand.amount)}${demand.models ? ` (${[...demand.models].join(' or ')})` : ''}`;
    let message: string;
    if (matching.length === 0) {
      message = `${needs}; queue ${queue.name} has no quota for them (its resource classes: ${entries.map((e) => e.resourceClass).join(', ')})`;
    } else {
      const borrowing =
        cohort === undefined
          ? 'no borrowing'
          : borrowable === 0
            ? `nothing to borrow in cohort ${cohort}`
            : `borrowing up to ${bare(d, borrowable)} from cohort ${cohort}`;
      message = `${needs}; queue ${queue.name} can hold at most ${bare(d, canHold)} (nominal ${bare(d, nominal)}, ${borrowing})`;
    }
    shortfalls.push({ dimension: d, needs: demand.amount, canHold, nominal, borrowable, message });
  }
  return shortfalls;
}
