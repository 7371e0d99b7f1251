/**
 * The working state of admission (issue 5): configuration (queues, cohorts, priority and resource
 * classes, time zones), the placement engine whose snapshot holds the fleet's bookings, the quota
 * ledger, fair-share history, backoff records, and the pending and admitted workloads. The shell
 * builds it from the store and feeds it workloads and finishes; `admitCycle` turns it into decisions.
 * No I/O and no wall clock: every entry point takes `now`.
 */
import type { ApiObject } from '../model/object.js';
import type {
  CohortSpec,
  PriorityClassSpec,
  QueueSpec,
  ResourceClassSpec,
  WorkloadSpec,
} from '../model/scheduling.js';
import { type AgingOptions, DEFAULT_AGING } from './admission-aging.js';
import { Backoff, type BackoffOptions, DEFAULT_BACKOFF } from './admission-backoff.js';
import { type Demand, demandOf } from './admission-demand.js';
import { DEFAULT_HALF_LIFE_SECONDS, FairShare } from './admission-fair-share.js';
import type { PendingReason } from './admission-pending-reason.js';
import { describeReason } from './admission-pending-reason.js';
import { AdmittedIndex } from './admission-preemption.js';
import { QuotaLedger } from './admission-quota-ledger.js';
import type { SiteClock } from './admission-schedule.js';
import type { Allocation, PlacementEngine } from './placement-engine.js';
import { type GangRequest, gangOfWorkload, type PodRequest } from './placement-request.js';

export interface AdmissionConfig {
  readonly queues: ReadonlyMap<string, QueueSpec>;
  readonly cohorts?: ReadonlyMap<string, CohortSpec>;
  readonly priorityClasses?: ReadonlyMap<string, PriorityClassSpec>;
  readonly resourceClasses?: ReadonlyMap<string, ResourceClassSpec>;
  /** IANA zone of each queue's legacy `timeWindows`; others use `defaultTimeZone`. */
  readonly timeZones?: ReadonlyMap<string, string>;
  /** Default "UTC". */
  readonly defaultTimeZone?: string;
  /**
   * Each site's zone and tariff, by site name: admission schedules are read per site. A site not
   * listed is read in `defaultTimeZone` and never passes a tariff cap.
   */
  readonly sites?: ReadonlyMap<string, SiteClock>;
}

export interface AdmissionOptions {
  /** Half-life of fair-share usage history; 0 = current usage only. Default 6 hours. */
  readonly halfLifeSeconds?: number;
  /** null turns aging off. */
  readonly aging?: AgingOptions | null;
  readonly backoff?: BackoffOptions;
}

/** A submitted workload with what admission derives from it once. */
export interface QueuedWorkload {
  /** "project/name" (or "name"), the gang id. */
  readonly key: string;
  readonly workload: ApiObject<WorkloadSpec>;
  readonly queue: string;
  readonly demand: Demand;
  /** Equal for workloads whose demands are equal (class and amounts): what is derived from a demand is shared by key. */
  readonly demandKey: string;
  readonly gang: GangRequest;
  readonly priority: number;
  readonly preemptionPolicy: 'PreemptLowerPriority' | 'Never';
  readonly sloClass: WorkloadSpec['sloClass'];
  /** The workload's own admission schedule (read every cycle). */
  readonly schedule: WorkloadSpec['schedule'];
  readonly createdMs: number;
  /** Submission order, the last tie-break. */
  readonly seq: number;
  /** Set when the workload was preempted and requeued: when, and by whom. */
  readonly preempted?: { readonly atMs: number; readonly by: string };
}

export interface AdmittedWorkload extends QueuedWorkload {
  readonly admittedMs: number;
  /** Pod ids booked in the engine. */
  readonly pods: readonly string[];
  /** Node of each pod, in gang order. */
  readonly nodes: readonly string[];
  /**
   * Where each pod is bound (optional: preemption reads bindings from the snapshot, which is the
   * truth; a shell may keep them to persist the placement).
   */
  readonly allocations?: readonly Allocation[];
}

export interface AdmissionState {
  readonly config: Required<Omit<AdmissionConfig, 'timeZones'>> & Pick<AdmissionConfig, 'timeZones'>;
  readonly engine: PlacementEngine;
  readonly ledger: QuotaLedger;
  readonly fairShare: FairShare;
  readonly backoff: Backoff;
  readonly aging: AgingOptions | null;
  readonly pending: Map<string, QueuedWorkload>;
  readonly admitted: Map<string, AdmittedWorkload>;
  /** Demand keys interned: workloads with equal demands share one key string (compared by pointer). */
  readonly demandKeys: Map<string, string>;
  nextSeq: number;
}

/** Builds the state; bad references in the config throw AdmissionConfigError naming the field. */
export function createAdmissionState(
  config: AdmissionConfig,
  engine: PlacementEngine,
  options: AdmissionOptions = {},
): AdmissionState {
  const full = {
    queues: config.queues,
    cohorts: config.cohorts ?? new Map(),
    priorityClasses: config.priorityClasses ?? new Map(),
    resourceClasses: config.resourceClasses ?? new Map(),
    timeZones: config.timeZones,
    defaultTimeZone: config.defaultTimeZone ?? 'UTC',
    sites: config.sites ?? new Map(),
  };
  return {
    config: full,
    engine,
    ledger: new QuotaLedger(full.queues, full.cohorts),
    fairShare: new FairShare(options.halfLifeSeconds ?? DEFAULT_HALF_LIFE_SECONDS),
    backoff: new Backoff(options.backoff ?? DEFAULT_BACKOFF),
    aging: options.aging === undefined ? DEFAULT_AGING : options.aging,
    pending: new Map(),
    admitted: new AdmittedIndex(),
    demandKeys: new Map(),
    nextSeq: 0,
  };
}

export type SubmitResult =
  | { readonly accepted: true; readonly key: string }
  | {
      readonly accepted: false;
      readonly key: string;
      /** The offending field, e.g. "spec.queue". */
      readonly field: string;
      readonly message: string;
      /** Set when the workload is larger than its queue could ever admit. */
      readonly reason?: PendingReason;
    };

export const workloadKey = (w: ApiObject<WorkloadSpec>) =>
  w.metadata.project ? `${w.metadata.project}/${w.metadata.name}` : w.metadata.name;

/**
 * Queues a workload. Rejected (not left pending forever): an unknown queue or priority class, a
 * duplicate, and a workload larger than its queue could ever admit.
 */
export function submit(state: AdmissionState, workload: ApiObject<WorkloadSpec>): SubmitResult {
  const key = workloadKey(workload);
  const reject = (field: string, message: string, reason?: PendingReason): SubmitResult => ({
    accepted: false,
    key,
    field,
    message,
    ...(reason ? { reason } : {}),
  });
  if (state.pending.has(key) || state.admitted.has(key))
    return reject('metadata.name', `${key} is already queued`);
  const queue = state.config.queues.get(workload.spec.queue);
  if (!queue) return reject('spec.queue', `queue "${workload.spec.queue}" does not exist`);
  let priority = 0;
  let preemptionPolicy: QueuedWorkload['preemptionPolicy'] = 'PreemptLowerPriority';
  if (workload.spec.priorityClass !== undefined) {
    const pc = state.config.priorityClasses.get(workload.spec.priorityClass);
    if (!pc)
      return reject('spec.priorityClass', `priority class "${workload.spec.priorityClass}" does not exist`);
    priority = pc.value;
    preemptionPolicy = pc.preemptionPolicy;
  }
  const demand = demandOf(workload, queue, state.config.resourceClasses);
  const never = state.ledger.neverAdmissible(workload.spec.queue, demand);
  if (never) {
    const reason: PendingReason = { kind: 'never-admissible', ...never };
    return reject('spec.podSets', describeReason(reason), reason);
  }
  const cls =
    demand.resourceClass === undefined ? undefined : state.config.resourceClasses.get(demand.resourceClass);
  state.pending.set(key, {
    key,
    workload,
    queue: workload.spec.queue,
    demand,
    demandKey: demandKeyOf(state, demand),
    gang: restrictToClass(gangOfWorkload(workload), cls),
    priority,
    preemptionPolicy,
    sloClass: workload.spec.sloClass,
    schedule: workload.spec.schedule,
    createdMs: Date.parse(workload.metadata.creationTimestamp),
    seq: state.nextSeq++,
  });
  return { accepted: true, key };
}

function demandKeyOf(state: AdmissionState, demand: Demand): string {
  let key = demand.resourceClass ?? '';
  for (const [d, x] of demand.amounts) key += `\u0000${d}=${x}`;
  const known = state.demandKeys.get(key);
  if (known !== undefined) return known;
  state.demandKeys.set(key, key);
  return key;
}

/**
 * Quota of class X is only worth granting for capacity of class X: pods that ask for accelerators and
 * name no models get the class's models; every pod gets the class's node selector and tolerations.
 */
function restrictToClass(gang: GangRequest, cls: ResourceClassSpec | undefined): GangRequest {
  if (!cls) return gang;
  const pods = gang.pods.map((p): PodRequest => {
    const models =
      p.accelerators.kind !== 'none' && (p.models === undefined || p.models.length === 0)
        ? cls.accelerator?.models
        : p.models;
    const selector = { ...cls.nodeSelector, ...(p.nodeSelector ?? {}) };
    return {
      ...p,
      ...(models !== undefined ? { models } : {}),
      ...(Object.keys(selector).length > 0 ? { nodeSelector: selector } : {}),
      tolerations: [...(p.tolerations ?? []), ...cls.tolerations],
    };
  });
  return { ...gang, pods };
}

/** A workload that finished (or was evicted): its pods and quota are released. */
export function finish(state: AdmissionState, key: string, now: Date): boolean {
  const w = state.admitted.get(key);
  if (!w) return false;
  state.fairShare.decayTo(now.getTime(), state.ledger, state.config.queues.keys());
  state.ledger.unbook(key);
  for (const pod of w.pods) state.engine.release(pod);
  state.admitted.delete(key);
  return true;
}

/** Removes a pending workload (cancelled by its owner). */
export function withdraw(state: AdmissionState, key: string): boolean {
  state.backoff.clear(key);
  return state.pending.delete(key);
}
