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

/** How the pod's container ended, as its status's `terminated` state says. */
export interface ContainerTermination {
  readonly exitCode: number;
  readonly reason?: string;
  readonly message?: string;
}

/** The fields of a `v1` Pod that say how its containers ended. */
export interface PodView {
  readonly status?: {
    readonly containerStatuses?: readonly {
      readonly name: string;
      readonly state?: { readonly terminated?: ContainerTermination };
      readonly lastState?: { readonly terminated?: ContainerTermination };
    }[];
  };
}

/** How the container `name` of the Job's pod ended, when a pod says so. */
export function containerTermination(
  pods: readonly PodView[],
  name: string,
): ContainerTermination | undefined {
  for (const pod of pods) {
    const status = pod.status?.containerStatuses?.find((c) => c.name === name);
    const terminated = status?.state?.terminated ?? status?.lastState?.terminated;
    if (terminated !== undefined) return terminated;
  }
  return undefined;
}

/**
 * A Job's end with what its container said: the exit code, and for a failed pod the runtime's
 * reason where it is more telling than the Job's (the container runtime reports a command missing
 * from the image as StartError "executable file not found"; the kernel's OOM killer as OOMKilled).
 */
export function withTermination(
  observed: Extract<JobObservation, { phase: 'Succeeded' | 'Failed' }>,
  terminated: ContainerTermination | undefined,
): Extract<JobObservation, { phase: 'Succeeded' | 'Failed' }> & { readonly exitCode?: number } {
  if (observed.phase === 'Succeeded') return { ...observed, exitCode: terminated?.exitCode ?? 0 };
  if (terminated === undefined) return observed;
  const message = terminated.message ?? observed.message;
  const notFound = /executable file not found|no such file or directory/i.test(terminated.message ?? '');
  const reason =
    observed.reason !== 'Error'
      ? observed.reason
      : notFound
        ? 'CommandNotFound'
        : terminated.reason === 'OOMKilled'
          ? 'OOMKilled'
          : 'Error';
  return {
    phase: 'Failed',
    reason,
    exitCode: terminated.exitCode,
    ...(message !== undefined && { message }),
  };
}
