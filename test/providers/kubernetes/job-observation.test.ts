import { describe, expect, it } from 'vitest';
import {
  containerTermination,
  type JobStatusView,
  observeJob,
  withTermination,
} from '../../../src/providers/kubernetes/job-observation.js';

const failedCondition = (reason: string, message: string) => ({
  conditions: [{ type: 'Failed', status: 'True', reason, message }],
  failed: 1,
});

describe('observeJob', () => {
  it.each<{ name: string; status: JobStatusView | undefined; phase: string }>([
    { name: 'a Job with no status yet', status: undefined, phase: 'Pending' },
    { name: 'a Job suspended by Kueue', status: { active: 0 }, phase: 'Pending' },
    { name: 'an active pod not yet ready', status: { active: 1, ready: 0 }, phase: 'Pending' },
    { name: 'a ready pod', status: { active: 1, ready: 1 }, phase: 'Running' },
    { name: 'an active pod on a server without ready', status: { active: 1 }, phase: 'Running' },
    { name: 'a succeeded pod', status: { succeeded: 1 }, phase: 'Succeeded' },
    {
      name: 'a Complete condition',
      status: { conditions: [{ type: 'Complete', status: 'True' }] },
      phase: 'Succeeded',
    },
    { name: 'a failed pod before the condition', status: { failed: 1 }, phase: 'Failed' },
    {
      name: 'a condition that is not true',
      status: { active: 1, conditions: [{ type: 'Failed', status: 'False' }] },
      phase: 'Running',
    },
  ])('reads $name as $phase', ({ status, phase }) => {
    expect(observeJob(status).phase).toBe(phase);
  });

  it.each([
    ['DeadlineExceeded', 'DeadlineExceeded'],
    ['BackoffLimitExceeded', 'Error'],
    ['PodFailurePolicy', 'PodFailurePolicy'],
  ])('reports the Failed condition %s as reason %s, with its message', (reason, want) => {
    expect(observeJob(failedCondition(reason, 'why it failed'))).toEqual({
      phase: 'Failed',
      reason: want,
      message: 'why it failed',
    });
  });
});

describe('containerTermination', () => {
  const pod = (name: string, terminated?: { exitCode: number }, last?: { exitCode: number }) => ({
    status: {
      containerStatuses: [
        {
          name,
          ...(terminated && { state: { terminated } }),
          ...(last && { lastState: { terminated: last } }),
        },
      ],
    },
  });

  it.each([
    {
      name: 'the named container’s terminated state',
      pods: [pod('main', { exitCode: 2 })],
      want: { exitCode: 2 },
    },
    {
      name: 'its last state when it was restarted',
      pods: [pod('main', undefined, { exitCode: 9 })],
      want: { exitCode: 9 },
    },
    { name: 'nothing for another container', pods: [pod('sidecar', { exitCode: 2 })], want: undefined },
    { name: 'nothing without pods', pods: [], want: undefined },
  ])('reads $name', ({ pods, want }) => {
    expect(containerTermination(pods, 'main')).toEqual(want);
  });
});

describe('withTermination', () => {
  const failed = {
    phase: 'Failed' as const,
    reason: 'Error',
    message: 'Job has reached the specified backoff limit',
  };

  it('gives a succeeded pod exit code 0 when its pod is gone', () => {
    expect(withTermination({ phase: 'Succeeded', reason: 'Completed' }, undefined)).toMatchObject({
      exitCode: 0,
    });
  });

  it('keeps the Job’s reason when the pod is gone', () => {
    expect(withTermination(failed, undefined)).toEqual(failed);
  });

  it('keeps a deadline as the reason, with the exit code of the killed container', () => {
    const deadline = { phase: 'Failed' as const, reason: 'DeadlineExceeded' };
    expect(withTermination(deadline, { exitCode: 143, reason: 'Error' })).toEqual({
      ...deadline,
      exitCode: 143,
    });
  });

  it.each([
    [
      { exitCode: 128, reason: 'StartError', message: 'exec: "x": executable file not found in $PATH' },
      'CommandNotFound',
    ],
    [{ exitCode: 137, reason: 'OOMKilled' }, 'OOMKilled'],
    [{ exitCode: 1, reason: 'Error' }, 'Error'],
  ])('reads a failed container %j as reason %s', (terminated, reason) => {
    expect(withTermination(failed, terminated)).toMatchObject({ reason, exitCode: terminated.exitCode });
  });
});
