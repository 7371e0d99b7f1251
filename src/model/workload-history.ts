import type { PhaseTransition, WorkloadStatus } from './scheduling.js';

/** How many phase changes a workload's status keeps. */
export const HISTORY_LIMIT = 50;

/** Phases a workload never leaves. */
export const TERMINAL_PHASES: ReadonlySet<WorkloadStatus['phase']> = new Set([
  'Succeeded',
  'Failed',
  'Preempted',
  'Evicted',
  'Cancelled',
]);

/** Phases in which a workload holds its booking (quota and devices). */
export const HOLDING_PHASES: ReadonlySet<WorkloadStatus['phase']> = new Set(['Admitted', 'Running']);

/**
 * `next` as the status to write over `previous`: every writer (admission, providers, node lifecycle)
 * goes through here, so the history and the requeue count survive whoever rewrites the status, and
 * a change of phase is recorded once, with its time and reason.
 */
export function withTransition(
  previous: WorkloadStatus | undefined,
  next: WorkloadStatus,
  at: string,
  reason?: string,
): WorkloadStatus {
  const history = previous?.history ?? [];
  const changed = previous?.phase !== next.phase;
  const entry: PhaseTransition = {
    phase: next.phase,
    at,
    ...(reason !== undefined && { reason }),
    ...(next.message !== undefined && { message: next.message }),
  };
  const kept = changed ? [...history, entry].slice(-HISTORY_LIMIT) : history;
  const requeues = next.requeues ?? previous?.requeues;
  return {
    ...next,
    ...(requeues !== undefined && { requeues }),
    ...(kept.length > 0 && { history: kept }),
  };
}
