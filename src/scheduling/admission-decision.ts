/**
 * What an admission cycle decides, as plain data for the shell (store, events, audit): the workloads
 * admitted with their placement, the workloads preempted for them, and every workload left pending with its reason and position.
 */
import type { PendingWorkload } from './admission-pending-reason.js';
import type { Preemption } from './admission-preemption.js';
import type { GangDecision } from './placement-decision.js';

export interface Admission {
  readonly workload: string;
  readonly queue: string;
  readonly resourceClass: string | undefined;
  /** Base priority (the PriorityClass value). */
  readonly priority: number;
  /** Quota booked, per dimension. */
  readonly demand: Readonly<Record<string, number>>;
  /** GPUs held while running (whole + milli/1000). */
  readonly gpus: number;
  readonly placement: Extract<GangDecision, { outcome: 'placed' }>;
}

export interface CycleDecisions {
  /** The cycle's `now`, ISO. */
  readonly at: string;
  /** In admission order. */
  readonly admitted: readonly Admission[];
  /** Workloads evicted for others this cycle (each also listed in `pending`). */
  readonly preempted: readonly Preemption[];
  /** Queue by queue, in queue order. */
  readonly pending: readonly PendingWorkload[];
}
