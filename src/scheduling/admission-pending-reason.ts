/**
 * Why a workload is pending (issue 5 item 8): a structured reason per kind, plus a human message that
 * says what would make it admissible and how many workloads are ahead of it in its queue. Plain,
 * JSON-serialisable data: dates are ISO strings.
 */
import { describeAmount, dimensionLabel, formatAmount } from './admission-demand.js';
import type { NeverAdmissible, QuotaShortfall } from './admission-quota-ledger.js';
import type { UnschedulableVerdict } from './placement-decision.js';
import type { FilterName, RejectionReason } from './placement-reasons.js';

export interface PlacementRejection {
  readonly filter: FilterName;
  readonly reason: RejectionReason;
  readonly nodes: number;
  readonly message: string;
}

export type PendingReason =
  | QuotaShortfall
  | {
      readonly kind: 'placement';
      /** never-fits: no node could host the gang even empty; not-now: capacity must free up first. */
      readonly verdict: UnschedulableVerdict;
      readonly failedPod: string;
      readonly placedBeforeFailure: number;
      readonly domainsTried: readonly string[];
      readonly nodesConsidered: number;
      readonly rejections: readonly PlacementRejection[];
      readonly detail: string;
    }
  | {
      readonly kind: 'time-window';
      readonly queue: string;
      /** The zone the windows are read in ("site-local": each site's own). */
      readonly timeZone: string;
      /** Whose schedule closes every site; absent for a queue's legacy UTC `timeWindows`. */
      readonly scope?: ScheduleScope;
      /** When the next window opens; absent when none ever does. */
      readonly nextOpening?: string;
      /** The site that opens first (schedules only). */
      readonly site?: string;
    }
  | {
      /** Every site inside the windows prices electricity above the schedule's cap right now. */
      readonly kind: 'tariff';
      readonly queue: string;
      readonly scope: ScheduleScope;
      readonly maxPerKWh: number;
      /** The cheapest price now among those sites, in its tariff's currency. */
      readonly cheapest?: { readonly site: string; readonly pricePerKWh: number; readonly currency: string };
      /** When a site first opens again (its price at most the cap, inside the windows). */
      readonly nextOpening?: string;
      readonly site?: string;
    }
  | {
      readonly kind: 'backoff';
      readonly until: string;
      readonly failures: number;
      /** Why the last attempt failed (a placement reason). */
      readonly lastFailure?: PendingReason;
    }
  | { readonly kind: 'blocked-by-strict-fifo'; readonly queue: string; readonly blockedBy: string }
  | ({ readonly kind: 'never-admissible' } & NeverAdmissible)
  | {
      readonly kind: 'preempted';
      /** The workload it was evicted for. */
      readonly by: string;
      readonly mode: 'within-queue' | 'reclaim' | 'fair-share';
      readonly at: string;
    };

export type PendingReasonKind = PendingReason['kind'];

/** Whose admission schedule: the queue's, the workload's own, or both (they intersect). */
export type ScheduleScope = 'queue' | 'workload' | 'queue and workload';

const scheduleOf = (scope: ScheduleScope, queue: string) =>
  scope === 'queue'
    ? `queue ${queue}'s schedule`
    : scope === 'workload'
      ? 'the workload’s schedule'
      : `the schedules of queue ${queue} and of the workload`;

export interface PendingWorkload {
  readonly workload: string;
  readonly queue: string;
  /** Pending workloads ahead of it in its queue's order (0 = next). */
  readonly ahead: number;
  readonly reason: PendingReason;
  /** What would make it admissible, and how many are ahead. */
  readonly message: string;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The part of the message that names the cause and the remedy. */
export function describeReason(r: PendingReason): string {
  switch (r.kind) {
    case 'quota': {
      const more = r.requested - r.available;
      const borrow = r.borrowable > 0 ? ` (${formatAmount(r.dimension, r.borrowable)} of it borrowable)` : '';
      return (
        `needs ${formatAmount(r.dimension, more)} more ${dimensionLabel(r.dimension)} of class ${r.resourceClass} in queue ${r.queue}: ` +
        `requests ${formatAmount(r.dimension, r.requested)}, ${formatAmount(r.dimension, r.available)} available${borrow}`
      );
    }
    case 'cohort-borrowing-limit':
      return (
        `queue ${r.queue} may borrow at most ${formatAmount(r.dimension, r.borrowingLimit)} ${dimensionLabel(r.dimension)} ` +
        `of class ${r.resourceClass} from cohort ${r.cohort}: requests ${formatAmount(r.dimension, r.requested)}, ` +
        `${formatAmount(r.dimension, r.available)} within the limit although the cohort has ` +
        `${formatAmount(r.dimension, r.cohortAvailable)} unused; needs ` +
        `${formatAmount(r.dimension, r.requested - r.available)} more within the limit`
      );
    case 'placement': {
      // later filters first: their nodes passed every earlier filter, so they are the closest to
      // fitting and name the decisive shortfall (e.g. GPUs) rather than the obvious mismatches
      const top = [...r.rejections]
        .reverse()
        .slice(0, 3)
        .map((x) => `${x.filter}: ${x.reason} on ${plural(x.nodes, 'node', 'nodes')}`)
        .join('; ');
      return r.verdict === 'never-fits'
        ? `no node of the fleet could ever host pod ${r.failedPod} (${top}); change the request or the fleet`
        : `no node can host pod ${r.failedPod} now (${top}); waits for capacity to free up`;
    }
    case 'time-window':
      if (r.scope === undefined)
        return r.nextOpening
          ? `queue ${r.queue} admits only inside its time windows; next opens ${r.nextOpening} (${r.timeZone})`
          : `queue ${r.queue} has no time window that ever opens`;
      return r.nextOpening
        ? `no site is inside the time windows of ${scheduleOf(r.scope, r.queue)} now; ` +
            `next opens ${r.nextOpening}${r.site ? ` at site ${r.site}` : ''} (${r.timeZone})`
        : `no site is ever inside the time windows of ${scheduleOf(r.scope, r.queue)}`;
    case 'tariff': {
      const cheapest = r.cheapest
        ? ` (cheapest now: ${r.cheapest.pricePerKWh} ${r.cheapest.currency}/kWh at site ${r.cheapest.site})`
        : '';
      return (
        `every site open to ${scheduleOf(r.scope, r.queue)} prices electricity above its cap of ${r.maxPerKWh}/kWh now${cheapest}; ` +
        (r.nextOpening
          ? `next opens ${r.nextOpening}${r.site ? ` at site ${r.site}` : ''}`
          : 'no site’s price ever falls to the cap inside the windows')
      );
    }
    case 'backoff':
      return (
        `did not fit ${plural(r.failures, 'time', 'times')}` +
        (r.lastFailure ? ` (last: ${describeReason(r.lastFailure)})` : '') +
        `; retried after ${r.until}`
      );
    case 'blocked-by-strict-fifo':
      return `queue ${r.queue} is StrictFIFO and ${r.blockedBy} ahead of it cannot be admitted yet`;
    case 'preempted':
      return (
        `preempted at ${r.at} by ${r.by} (` +
        (r.mode === 'reclaim'
          ? 'its queue reclaimed quota this queue had borrowed'
          : r.mode === 'fair-share'
            ? "fair share: without it this queue still holds a larger weighted share than the preemptor's"
            : 'higher priority in its queue') +
        '); requeued, waits for quota or capacity to free up'
      );
    case 'never-admissible':
      return (
        `never admissible: requests ${describeAmount(r.dimension, r.requested)} of class ${r.resourceClass} ` +
        `but queue ${r.queue} can hold at most ${formatAmount(r.dimension, r.maxEver)} even borrowing`
      );
  }
}

/**
 * Descriptions of reasons already described: reasons are immutable, and the same object is reported
 * cycle after cycle (a backoff record's reason, a failed shape's placement reason).
 */
const described = new WeakMap<PendingReason, string>();

export function pendingMessage(r: PendingReason, ahead: number): string {
  let text = described.get(r);
  if (text === undefined) {
    text = describeReason(r);
    described.set(r, text);
  }
  return `${text}; ${plural(ahead, 'workload', 'workloads')} ahead`;
}
