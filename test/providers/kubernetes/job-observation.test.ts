import { describe, expect, it } from 'vitest';
import { type JobStatusView, observeJob } from '../../../src/providers/kubernetes/job-observation.js';

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
