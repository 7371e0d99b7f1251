import { describe, expect, it } from 'vitest';
import { admitCycle } from '../../src/scheduling/admission-cycle.js';
import type { PendingReasonKind, PendingWorkload } from '../../src/scheduling/admission-pending-reason.js';
import { submit } from '../../src/scheduling/admission-state.js';
import { at, cohort, queue, resourceClass, setup, submitAll, workload } from './admission-builders.js';
import { node, whole } from './live-builders.js';

/** Runs a scenario and returns the pending record of `subject`. */
type Scenario = () => PendingWorkload;

const find = (pending: readonly PendingWorkload[], name: string) => {
  const p = pending.find((x) => x.workload === name);
  if (!p) throw new Error(`${name} is not pending`);
  return p;
};

describe('why pending: every kind of reason, with what would make the workload admissible', () => {
  interface Case {
    readonly kind: PendingReasonKind;
    readonly rule: string;
    readonly scenario: Scenario;
    readonly fields: Record<string, unknown>;
    readonly message: string;
  }
  const cases: Case[] = [
    {
      kind: 'quota',
      rule: 'names the queue, class and dimension, how much more is needed, and how many are ahead',
      scenario: () => {
        const s = setup({
          queues: {
            'acme-training': queue({ resources: [{ resourceClass: 'h100', nominal: { gpus: 8 } }] }),
          },
          resourceClasses: { h100: resourceClass(['H100-SXM-80GB']) },
        });
        submitAll(s, [workload('running', { queue: 'acme-training', gpus: 6 })]);
        admitCycle(s, at(0));
        submitAll(
          s,
          [1, 2, 3, 4].map((i) => workload(`w${i}`, { queue: 'acme-training', gpus: 4, createdAt: i })),
        );
        return find(admitCycle(s, at(10)).pending, 'w4');
      },
      fields: {
        queue: 'acme-training',
        resourceClass: 'h100',
        dimension: 'gpus',
        requested: 4,
        available: 2,
      },
      message:
        'needs 2 more GPUs of class h100 in queue acme-training: requests 4, 2 available; 3 workloads ahead',
    },
    {
      kind: 'quota',
      rule: 'counts what borrowing from the cohort could add',
      scenario: () => {
        const s = setup({
          queues: { a: queue({ gpus: 4, cohort: 'c' }), b: queue({ gpus: 4, cohort: 'c' }) },
          cohorts: { c: cohort() },
        });
        submitAll(s, [
          workload('b-run', { queue: 'b', gpus: 2 }),
          workload('a-run', { queue: 'a', gpus: 4 }),
        ]);
        admitCycle(s, at(0));
        submitAll(s, [workload('w', { queue: 'a', gpus: 3, createdAt: 1 })]);
        return find(admitCycle(s, at(5)).pending, 'w');
      },
      fields: { available: 2, borrowable: 2 },
      message:
        'needs 1 more GPUs of class default in queue a: requests 3, 2 available (2 of it borrowable); 0 workloads ahead',
    },
    {
      kind: 'cohort-borrowing-limit',
      rule: 'says the limit, not the cohort, is what stops it',
      scenario: () => {
        const s = setup({
          queues: {
            a: queue({ gpus: 4, cohort: 'c', borrowingLimit: { gpus: 2 } }),
            b: queue({ gpus: 8, cohort: 'c' }),
          },
          cohorts: { c: cohort() },
        });
        submitAll(s, [
          workload('run', { queue: 'a', gpus: 4 }),
          workload('w', { queue: 'a', gpus: 3, createdAt: 1 }),
        ]);
        return find(admitCycle(s, at(5)).pending, 'w');
      },
      fields: { cohort: 'c', borrowingLimit: 2, available: 2, cohortAvailable: 8 },
      message:
        'queue a may borrow at most 2 GPUs of class default from cohort c: requests 3, 2 within the limit although the cohort has 8 unused; needs 1 more within the limit; 0 workloads ahead',
    },
    {
      kind: 'placement',
      rule: 'not-now: quota is there but no node has room, with the filter and node counts',
      scenario: () => {
        const s = setup({ queues: { q: queue({ gpus: 16 }) } });
        for (const [i, n] of ['n0', 'n1'].entries()) {
          const only = Uint8Array.from([i === 0 ? 1 : 0, i === 1 ? 1 : 0]);
          const d = s.engine.place(s.engine.prepare(whole(4, { id: `outside-${n}` })), only);
          expect(d.outcome === 'placed' && d.node).toBe(n);
        }
        submitAll(s, [workload('w', { gpus: 8 })]);
        return find(admitCycle(s, at(0)).pending, 'w');
      },
      fields: {
        verdict: 'not-now',
        rejections: [
          expect.objectContaining({ filter: 'resource-fit', reason: 'insufficient-gpu', nodes: 2 }),
        ],
      },
      message:
        'no node can host pod w/main-0 now (resource-fit: insufficient-gpu on 2 nodes); waits for capacity to free up; 0 workloads ahead',
    },
    {
      kind: 'placement',
      rule: 'never-fits: no node of the fleet could ever host it',
      scenario: () => {
        const s = setup({
          queues: { q: queue({ gpus: 16 }) },
          nodes: [node('a100', { model: 'A100-SXM-80GB' })],
        });
        submitAll(s, [workload('w', { gpus: 1, models: ['H100-SXM-80GB'] })]);
        return find(admitCycle(s, at(0)).pending, 'w');
      },
      fields: { verdict: 'never-fits' },
      message:
        'no node of the fleet could ever host pod w/main-0 (accelerator-model: model-not-accepted on 1 node); change the request or the fleet; 0 workloads ahead',
    },
    {
      kind: 'placement',
      rule: 'names first the filter closest to fitting: the decisive shortfall, not the obvious mismatches',
      scenario: () => {
        const s = setup({
          queues: { q: queue({ gpus: 16 }) },
          nodes: [node('a100', { model: 'A100-SXM-80GB' }), node('h100', { model: 'H100-SXM-80GB' })],
        });
        submitAll(s, [workload('w', { gpus: 16, models: ['H100-SXM-80GB'] })]);
        return find(admitCycle(s, at(0)).pending, 'w');
      },
      fields: { verdict: 'never-fits' },
      message:
        'no node of the fleet could ever host pod w/main-0 (resource-fit: insufficient-gpu on 1 node; accelerator-model: model-not-accepted on 1 node); change the request or the fleet; 0 workloads ahead',
    },
    {
      kind: 'time-window',
      rule: 'says when the queue’s next window opens',
      scenario: () => {
        const s = setup({ queues: { q: queue({ timeWindows: [{ from: '22:00', to: '06:00' }] }) } });
        submitAll(s, [workload('w')]);
        return find(admitCycle(s, new Date('2026-01-05T12:00:00Z')).pending, 'w');
      },
      fields: { nextOpening: '2026-01-05T22:00:00.000Z' },
      message:
        'queue q admits only inside its time windows; next opens 2026-01-05T22:00:00.000Z (UTC); 0 workloads ahead',
    },
    {
      kind: 'backoff',
      rule: 'says until when, after how many failures, and why the last attempt failed',
      scenario: () => {
        const s = setup({ queues: { q: queue({ gpus: 64 }) }, nodes: [node('n0')] });
        s.engine.place(s.engine.prepare(whole(4, { id: 'outside' })));
        submitAll(s, [workload('w', { gpus: 8 })]);
        admitCycle(s, at(0));
        return find(admitCycle(s, at(1)).pending, 'w');
      },
      fields: {
        failures: 1,
        until: at(10).toISOString(),
        lastFailure: expect.objectContaining({ kind: 'placement' }),
      },
      message:
        'did not fit 1 time (last: no node can host pod w/main-0 now (resource-fit: insufficient-gpu on 1 node); waits for capacity to free up); retried after 2026-01-05T00:00:10.000Z; 0 workloads ahead',
    },
    {
      kind: 'blocked-by-strict-fifo',
      rule: 'names the workload ahead that blocks a StrictFIFO queue',
      scenario: () => {
        const s = setup({ queues: { q: queue({ gpus: 8, strict: true }) } });
        submitAll(s, [workload('running', { gpus: 4 })]);
        admitCycle(s, at(0));
        submitAll(s, [
          workload('big', { gpus: 5, createdAt: 1 }),
          workload('small', { gpus: 1, createdAt: 2 }),
        ]);
        return find(admitCycle(s, at(2)).pending, 'small');
      },
      fields: { queue: 'q', blockedBy: 'big' },
      message: 'queue q is StrictFIFO and big ahead of it cannot be admitted yet; 1 workload ahead',
    },
  ];
  it.each(cases)('$kind: $rule', (c) => {
    const p = c.scenario();
    expect(p.reason.kind).toBe(c.kind);
    expect(p.reason).toMatchObject(c.fields);
    expect(p.message).toBe(c.message);
  });

  it('never admissible: refused at submission with the reason and what the queue could ever hold', () => {
    const s = setup({ queues: { q: queue({ gpus: 4 }) } });
    const r = submit(s, workload('w', { gpus: 2, pods: 3 }));
    expect(r.accepted === false && r.reason).toEqual({
      kind: 'never-admissible',
      queue: 'q',
      resourceClass: 'default',
      dimension: 'gpus',
      requested: 6,
      maxEver: 4,
    });
    expect(r.accepted === false && r.message).toBe(
      'never admissible: requests 6 GPUs of class default but queue q can hold at most 4 even borrowing',
    );
  });

  it('reason kinds and messages are plain JSON (what the API and the audit trail carry)', () => {
    const s = setup({ queues: { q: queue({ gpus: 2 }) } });
    submitAll(s, [workload('a', { gpus: 2 }), workload('b', { gpus: 2, createdAt: 1 })]);
    const d = admitCycle(s, at(1));
    expect(JSON.parse(JSON.stringify(d.pending))).toEqual(d.pending);
  });
});
