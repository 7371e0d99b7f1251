import { describe, expect, it } from 'vitest';
import { explainWorkload } from '../../src/cli/commands/explain.js';
import type { ApiObject } from '../../src/model/object.js';
import type { WorkloadSpec, WorkloadStatus } from '../../src/model/scheduling.js';
import { workload } from '../support/builders.js';

const ADMITTED = '2026-06-01T12:00:00.000Z';

function withStatus(status: WorkloadStatus): ApiObject<WorkloadSpec> {
  const w = workload('train', 'p');
  return {
    ...w,
    metadata: { ...w.metadata, uid: 'u', resourceVersion: '1', generation: 1, creationTimestamp: ADMITTED },
    status,
  } as unknown as ApiObject<WorkloadSpec>;
}

const admission = {
  queue: 'team',
  priority: 0,
  demand: { gpus: 1 },
  admittedAt: ADMITTED,
  pods: [{ pod: 'p/train/main-0', node: 'n1', gpus: [0] }],
};

describe('strata explain workload, once a workload runs', () => {
  it('shows how each pod of the current admission ran, why the workload ended and the path it took', () => {
    const text = explainWorkload(
      withStatus({
        phase: 'Failed',
        reason: 'Error',
        finishedAt: '2026-06-01T12:05:00.000Z',
        message: 'pod main-0 on n1 failed: Error: exited 2',
        admission,
        pods: [
          {
            pod: 'main-0',
            node: 'n1',
            phase: 'Failed',
            attempt: ADMITTED,
            restarts: 1,
            exitCode: 2,
            reason: 'Error',
          },
        ],
        history: [
          { phase: 'Pending', at: '2026-06-01T11:59:00.000Z', reason: 'Quota' },
          { phase: 'Admitted', at: ADMITTED, reason: 'QuotaReservedAndPlaced' },
          { phase: 'Failed', at: '2026-06-01T12:05:00.000Z', reason: 'Error' },
        ],
      }),
    );
    expect(text).toContain('  main-0: Failed, exit 2, Error, 1 restart');
    expect(text).toMatch(/^Ended: +Error at 2026-06-01T12:05:00.000Z$/m);
    expect(text).toMatch(/^ {2}2026-06-01T12:00:00.000Z {2}Admitted \(QuotaReservedAndPlaced\)$/m);
  });

  it('leaves out pod reports of an earlier admission', () => {
    const text = explainWorkload(
      withStatus({
        phase: 'Running',
        admission,
        pods: [
          { pod: 'main-0', node: 'n0', phase: 'Failed', attempt: '2026-06-01T10:00:00.000Z', restarts: 0 },
        ],
      }),
    );
    expect(text).not.toContain('Run:');
  });
});
