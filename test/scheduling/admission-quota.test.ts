import { describe, expect, it } from 'vitest';
import { admitCycle } from '../../src/scheduling/admission-cycle.js';
import { demandOf } from '../../src/scheduling/admission-demand.js';
import { AdmissionConfigError, QuotaLedger } from '../../src/scheduling/admission-quota-ledger.js';
import { finish, submit } from '../../src/scheduling/admission-state.js';
import {
  at,
  cohort,
  type QueueOptions,
  queue,
  resourceClass,
  setup,
  submitAll,
  workload,
} from './admission-builders.js';

const admittedNames = (d: ReturnType<typeof admitCycle>) => d.admitted.map((a) => a.workload);

describe('admission quota: nominal, borrowing, lending, cohort tree', () => {
  interface Case {
    readonly rule: string;
    readonly queues: Record<string, QueueOptions>;
    readonly cohorts?: Record<string, string | undefined>;
    /** Workloads as [name, queue, gpus], all created at T0 in this order. */
    readonly workloads: readonly (readonly [string, string, number])[];
    readonly admitted: readonly string[];
  }
  const cases: Case[] = [
    {
      rule: 'a queue outside any cohort admits within its nominal and no further',
      queues: { a: { gpus: 4 } },
      workloads: [
        ['w1', 'a', 2],
        ['w2', 'a', 2],
        ['w3', 'a', 1],
      ],
      admitted: ['w1', 'w2'],
    },
    {
      rule: 'a queue borrows its idle cohort peer’s quota up to its borrowing limit',
      queues: { a: { gpus: 4, cohort: 'c', borrowingLimit: { gpus: 2 } }, b: { gpus: 8, cohort: 'c' } },
      cohorts: { c: undefined },
      workloads: [
        ['w1', 'a', 4],
        ['w2', 'a', 2],
        ['w3', 'a', 1],
      ],
      admitted: ['w1', 'w2'],
    },
    {
      rule: 'without a borrowing limit a queue may use all unused quota of its cohort',
      queues: { a: { gpus: 4, cohort: 'c' }, b: { gpus: 8, cohort: 'c' } },
      cohorts: { c: undefined },
      workloads: [
        ['w1', 'a', 8],
        ['w2', 'a', 4],
        ['w3', 'a', 1],
      ],
      admitted: ['w1', 'w2'],
    },
    {
      rule: 'a lender lends at most its lending limit; the rest of its nominal stays its own',
      queues: { a: { gpus: 2, cohort: 'c' }, b: { gpus: 8, cohort: 'c', lendingLimit: { gpus: 3 } } },
      cohorts: { c: undefined },
      workloads: [
        ['w1', 'a', 5],
        ['w2', 'a', 1],
        ['w3', 'b', 5],
      ],
      admitted: ['w1', 'w3'],
    },
    {
      rule: 'queues under different sub-cohorts of one root share one pool',
      queues: { a: { gpus: 2, cohort: 'left' }, b: { gpus: 6, cohort: 'right' } },
      cohorts: { root: undefined, left: 'root', right: 'root' },
      workloads: [['w1', 'a', 8]],
      admitted: ['w1'],
    },
    {
      rule: 'queues in unrelated cohort trees do not share quota',
      queues: { a: { gpus: 2, cohort: 'x' }, b: { gpus: 6, cohort: 'y' } },
      cohorts: { x: undefined, y: undefined },
      workloads: [
        ['w1', 'a', 2],
        ['w2', 'a', 1],
      ],
      admitted: ['w1'],
    },
  ];
  it.each(cases)('$rule', (c) => {
    const s = setup({
      queues: Object.fromEntries(Object.entries(c.queues).map(([n, o]) => [n, queue(o)])),
      cohorts: Object.fromEntries(Object.entries(c.cohorts ?? {}).map(([n, p]) => [n, cohort(p)])),
    });
    submitAll(
      s,
      c.workloads.map(([n, q, g]) => workload(n, { queue: q, gpus: g })),
    );
    expect(admittedNames(admitCycle(s, at(0)))).toEqual(c.admitted);
  });

  it('finishing a workload returns its quota and its GPUs', () => {
    const s = setup({ queues: { q: queue({ gpus: 4 }) } });
    submitAll(s, [workload('w1', { gpus: 4 }), workload('w2', { gpus: 4, createdAt: 1 })]);
    expect(admittedNames(admitCycle(s, at(0)))).toEqual(['w1']);
    expect(finish(s, 'w1', at(10))).toBe(true);
    expect(s.snapshot.boundCount).toBe(0);
    expect(admittedNames(admitCycle(s, at(10)))).toEqual(['w2']);
  });

  it('usage in a dimension the queue does not name (CPU here) is not metered', () => {
    const s = setup({ queues: { q: queue({ gpus: 8 }) } });
    submitAll(s, [workload('w', { gpus: 1, cpu: 48 })]);
    expect(admittedNames(admitCycle(s, at(0)))).toEqual(['w']);
  });

  it('CPU, memory, milli-GPU and GPU-hours are metered when named', () => {
    const s = setup({
      queues: {
        q: queue({
          resources: [
            {
              resourceClass: 'default',
              nominal: { gpus: 8, milliGpus: 1000, cpu: 10, memory: '20Gi', gpuHours: 4 },
            },
          ],
        }),
      },
    });
    submitAll(s, [
      workload('base', { gpus: 2, cpu: 6, memoryGi: 12, maxRuntimeSeconds: 3600 }),
      workload('base-milli', { milli: 600 }),
    ]);
    expect(admittedNames(admitCycle(s, at(0)))).toEqual(['base', 'base-milli']);
    submitAll(s, [
      workload('cpu', { gpus: 0, cpu: 4, createdAt: 1 }),
      workload('mem', { gpus: 0, memoryGi: 8, createdAt: 2 }),
      workload('milli', { milli: 500, createdAt: 3 }),
      workload('hours', { gpus: 1, maxRuntimeSeconds: 3 * 3600, createdAt: 4 }),
    ]);
    const d = admitCycle(s, at(5));
    expect(admittedNames(d)).toEqual([]);
    expect(
      Object.fromEntries(d.pending.map((p) => [p.workload, p.reason.kind === 'quota' && p.reason.dimension])),
    ).toEqual({ cpu: 'cpu', mem: 'memory', milli: 'milliGpus', hours: 'gpuHours' });
  });

  it('a workload maps to the queue’s resource class whose accelerator models it names, else the first', () => {
    const q = queue({
      resources: [
        { resourceClass: 'a100', nominal: { gpus: 4 } },
        { resourceClass: 'h100', nominal: { gpus: 8 } },
      ],
    });
    const classes = new Map([
      ['a100', resourceClass(['A100-SXM-80GB'])],
      ['h100', resourceClass(['H100-SXM-80GB'])],
    ]);
    expect(demandOf(workload('x', { models: ['h100-sxm-80gb'] }), q, classes).resourceClass).toBe('h100');
    expect(demandOf(workload('y'), q, classes).resourceClass).toBe('a100');
  });

  it('MIG slices are counted per profile and pick the class of that profile', () => {
    const q = queue({
      resources: [
        { resourceClass: 'whole', nominal: { gpus: 8 } },
        { resourceClass: 'mig-small', nominal: { migProfiles: { '1g.10gb': 14 } } },
      ],
    });
    const classes = new Map([
      ['whole', resourceClass(['H100-SXM-80GB'])],
      [
        'mig-small',
        {
          ...resourceClass(['H100-SXM-80GB']),
          accelerator: { models: ['A100-SXM-80GB'], migProfile: '1g.10gb' },
        },
      ],
    ]);
    const d = demandOf(workload('m', { migProfile: '1g.10gb', pods: 3 }), q, classes);
    expect(d.resourceClass).toBe('mig-small');
    expect(d.amounts.get('mig:1g.10gb')).toBe(3);
  });

  it('a workload larger than its queue could ever hold is rejected at submission as never admissible', () => {
    const s = setup({
      queues: {
        a: queue({ gpus: 4, cohort: 'c', borrowingLimit: { gpus: 2 } }),
        b: queue({ gpus: 8, cohort: 'c' }),
      },
      cohorts: { c: cohort() },
    });
    const r = submit(s, workload('huge', { queue: 'a', gpus: 7 }));
    expect(r.accepted).toBe(false);
    if (r.accepted) return;
    expect(r.field).toBe('spec.podSets');
    expect(r.reason).toMatchObject({ kind: 'never-admissible', dimension: 'gpus', requested: 7, maxEver: 6 });
    expect(r.message).toContain('queue a can hold at most 6');
  });

  it.each([
    ['an unknown queue', workload('w', { queue: 'nope' }), 'spec.queue'],
    ['an unknown priority class', workload('w', { priorityClass: 'vip' }), 'spec.priorityClass'],
  ])('submission rejects %s naming the field', (_, w, field) => {
    const s = setup({ queues: { q: queue() } });
    const r = submit(s, w);
    expect(r.accepted === false && r.field).toBe(field);
  });

  it.each([
    ['a queue whose cohort does not exist', { q: queue({ cohort: 'ghost' }) }, {}, 'Queue q.spec.cohort'],
    [
      'a cycle in the cohort tree',
      { q: queue({ cohort: 'a' }) },
      { a: cohort('b'), b: cohort('a') },
      'Cohort b.spec.parent',
    ],
    [
      'a negative borrowing limit (the ledger checks even what skipped the schema)',
      {
        q: {
          ...queue(),
          resources: [{ resourceClass: 'default', nominal: { gpus: 8 }, borrowingLimit: { gpus: -1 } }],
        },
      },
      {},
      'Queue q.spec.resources.borrowingLimit.gpus',
    ],
  ])('configuration errors name the field: %s', (_, queues, cohorts, field) => {
    const build = () => new QuotaLedger(new Map(Object.entries(queues)), new Map(Object.entries(cohorts)));
    expect(build).toThrow(AdmissionConfigError);
    expect(build).toThrow(field);
  });
});
