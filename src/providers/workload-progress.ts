/**
 * How pod reports become a workload's status (pure). Providers report pods; this decides the pod
 * entries, restarts and the workload's phase, so every provider ends a workload the same way.
 *
 * Rules:
 * - `status.pods` holds the pods of the current admission only (`attempt` = admittedAt); entries of
 *   an older admission are dropped when a report of the new one arrives.
 * - A failed pod restarts in place (same booking) when the restart policy is OnFailure and it has
 *   restarts left, unless it failed for a reason a restart cannot cure (deadline, missing command,
 *   stopped by Strata). Backoff: `backoffSeconds` × 2^(restarts so far), at most 5 minutes.
 * - The workload is Running once every pod of its gang has started; Succeeded when every pod
 *   succeeded; Failed as soon as one pod failed for good (the runner then stops the others);
 *   Cancelled, when `spec.cancelled`, once none of its pods is still running.
 */
import type { ApiObject } from '../model/object.js';
import type { PodStatus, WorkloadSpec, WorkloadStatus } from '../model/scheduling.js';
import { TERMINAL_PHASES, withTransition } from '../model/workload-history.js';
import type { PodLaunch, PodReport } from './pod-launch.js';

export const MAX_BACKOFF_SECONDS = 300;

/** Reasons a restart cannot cure. */
const FINAL_REASONS = new Set(['DeadlineExceeded', 'CommandNotFound', 'Stopped']);

export type Workload = ApiObject<WorkloadSpec, WorkloadStatus>;

export interface Progress {
  /** The status to write, or undefined when the report changes nothing (stale, or already known). */
  readonly status: WorkloadStatus | undefined;
  /** Relaunch this pod at this time (epoch ms): it failed and has restarts left. */
  readonly restartAtMs?: number;
}

export function gangSize(spec: WorkloadSpec): number {
  return spec.podSets.reduce((n, s) => n + s.count, 0);
}

/** The status with `report` of `launch` applied, and whether the pod restarts. */
export function applyReport(workload: Workload, launch: PodLaunch, report: PodReport): Progress {
  const status = workload.status;
  if (!status?.admission || status.admission.admittedAt !== launch.attempt) return { status: undefined };
  if (TERMINAL_PHASES.has(status.phase)) return { status: undefined };
  const pods = (status.pods ?? []).filter((p) => p.attempt === launch.attempt);
  const index = pods.findIndex((p) => p.pod === launch.pod);
  const before: PodStatus | undefined = index >= 0 ? pods[index] : undefined;
  if (before && (before.phase === 'Succeeded' || before.phase === 'Failed')) return { status: undefined };
  const restarts = before?.restarts ?? 0;
  let entry: PodStatus;
  let restartAtMs: number | undefined;
  if (report.phase === 'Running') {
    if (before?.phase === 'Running') return { status: undefined };
    entry = {
      pod: launch.pod,
      node: launch.node,
      phase: 'Running',
      attempt: launch.attempt,
      restarts,
      startedAt: before?.startedAt ?? report.at,
      ...(report.message !== undefined && { message: report.message }),
    };
  } else {
    const policy = workload.spec.restartPolicy;
    const restart =
      report.phase === 'Failed' &&
      !workload.spec.cancelled &&
      policy?.policy === 'OnFailure' &&
      restarts < policy.backoffLimit &&
      !FINAL_REASONS.has(report.reason);
    const outcome = describeExit(report);
    if (restart) {
      const delay = Math.min(policy.backoffSeconds * 2 ** restarts, MAX_BACKOFF_SECONDS);
      restartAtMs = Date.parse(report.at) + delay * 1000;
      entry = {
        pod: launch.pod,
        node: launch.node,
        phase: 'Pending',
        attempt: launch.attempt,
        restarts: restarts + 1,
        ...(before?.startedAt !== undefined && { startedAt: before.startedAt }),
        ...(report.exitCode !== undefined && { exitCode: report.exitCode }),
        ...(report.signal !== undefined && { signal: report.signal }),
        message: `${outcome}; restart ${restarts + 1} of ${policy.backoffLimit} in ${delay} s`,
      };
    } else {
      entry = {
        pod: launch.pod,
        node: launch.node,
        phase: report.phase,
        attempt: launch.attempt,
        restarts,
        ...(before?.startedAt !== undefined && { startedAt: before.startedAt }),
        finishedAt: report.at,
        reason: report.reason,
        ...(report.exitCode !== undefined && { exitCode: report.exitCode }),
        ...(report.signal !== undefined && { signal: report.signal }),
        message: outcome,
        ...(report.usage && { usage: { ...report.usage } }),
      };
    }
  }
  const nextPods = index >= 0 ? pods.map((p, i) => (i === index ? entry : p)) : [...pods, entry];
  nextPods.sort((a, b) => a.pod.localeCompare(b.pod, 'en', { numeric: true }));
  return {
    status: summarize(workload, { ...status, pods: nextPods }, report.at),
    ...(restartAtMs !== undefined && { restartAtMs }),
  };
}

/**
 * The workload's phase from its pod entries, through `withTransition`. Also ends a cancelled
 * workload whose pods have all stopped (the runner calls it with no new report for that).
 */
export function summarize(workload: Workload, status: WorkloadStatus, at: string): WorkloadStatus {
  const previous = workload.status;
  const pods = status.pods ?? [];
  const size = gangSize(workload.spec);
  const running = pods.filter((p) => p.phase === 'Running' || (p.phase === 'Pending' && p.restarts > 0));
  const failed = pods.find((p) => p.phase === 'Failed');
  if (workload.spec.cancelled) {
    if (running.length > 0) return status;
    return withTransition(
      previous,
      { ...status, phase: 'Cancelled', reason: 'Cancelled', message: 'cancelled', finishedAt: at },
      at,
      'Cancelled',
    );
  }
  if (failed) {
    const message = `pod ${failed.pod} on ${failed.node} failed: ${failed.message ?? 'error'}`;
    return withTransition(
      previous,
      { ...status, phase: 'Failed', reason: reasonOf(failed), message, finishedAt: at },
      at,
      reasonOf(failed),
    );
  }
  const succeeded = pods.filter((p) => p.phase === 'Succeeded').length;
  if (succeeded === size) {
    return withTransition(
      previous,
      {
        ...status,
        phase: 'Succeeded',
        reason: 'Completed',
        message: `all ${size} pods succeeded`,
        finishedAt: at,
      },
      at,
      'Completed',
    );
  }
  const started = pods.filter((p) => p.startedAt !== undefined);
  if (started.length === size && status.phase === 'Admitted') {
    const startedAt = started.map((p) => p.startedAt!).sort()[0]!;
    return withTransition(
      previous,
      {
        ...status,
        phase: 'Running',
        message: `${size === 1 ? 'its pod' : `all ${size} pods`} started`,
        startedAt,
      },
      at,
      'Started',
    );
  }
  return status;
}

function reasonOf(pod: PodStatus): string {
  return pod.reason ?? 'Error';
}

function describeExit(report: Extract<PodReport, { phase: 'Succeeded' | 'Failed' }>): string {
  const how =
    report.signal !== undefined
      ? `killed by ${report.signal}`
      : report.exitCode !== undefined
        ? `exited ${report.exitCode}`
        : 'ended';
  return `${report.reason}: ${how}${report.message ? ` (${report.message})` : ''}`;
}
