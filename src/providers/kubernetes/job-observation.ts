/**
 * What a Job's status means for the pod Strata launched as that Job (pure). A Job of Strata's has
 * one pod and `backoffLimit: 0`, so its first failed pod fails it.
 */

/** The fields of `batch/v1` JobStatus that matter here (the client's V1JobStatus has them all). */
export interface JobStatusView {
  readonly active?: number;
  readonly ready?: number;
  readonly succeeded?: number;
  readonly failed?: number;
  readonly conditions?: readonly {
    readonly type: string;
    readonly status: string;
    readonly reason?: string;
    readonly message?: string;
  }[];
}

export type JobObservation =
  | { readonly phase: 'Pending' }
  | { readonly phase: 'Running' }
  | { readonly phase: 'Succeeded'; readonly reason: 'Completed' }
  | { readonly phase: 'Failed'; readonly reason: string; readonly message?: string };

/** The Job controller's reasons, in the words PodReport uses; others pass through as they are. */
const FAILURE_REASONS: Readonly<Record<string, string>> = {
  // With backoffLimit 0 this says only that the pod failed: the pod's own error.
  BackoffLimitExceeded: 'Error',
  DeadlineExceeded: 'DeadlineExceeded',
};

export function observeJob(status: JobStatusView | undefined): JobObservation {
  const conditions = (status?.conditions ?? []).filter((c) => c.status === 'True');
  const failed = conditions.find((c) => c.type === 'Failed');
  if (failed !== undefined) {
    const reason = failed.reason ?? 'Error';
    return {
      phase: 'Failed',
      reason: FAILURE_REASONS[reason] ?? reason,
      ...(failed.message !== undefined && { message: failed.message }),
    };
  }
  if (conditions.some((c) => c.type === 'Complete') || (status?.succeeded ?? 0) > 0) {
    return { phase: 'Succeeded', reason: 'Completed' };
  }
  // Counted before the controller sets the condition: the one pod has failed, so the Job has.
  if ((status?.failed ?? 0) > 0) return { phase: 'Failed', reason: 'Error', message: 'the pod failed' };
  // `ready` (Kubernetes 1.24+) says the container started; older servers report only `active`.
  const started = status?.ready !== undefined ? status.ready > 0 : (status?.active ?? 0) > 0;
  return { phase: started ? 'Running' : 'Pending' };
}
