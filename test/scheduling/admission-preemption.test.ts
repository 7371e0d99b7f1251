import { describe, expect, it } from 'vitest';
import { admitCycle } from '../../src/scheduling/admission-cycle.js';
import type { CycleDecisions } from '../../src/scheduling/admission-decision.js';
import { MIN_TRAINING_RUNTIME_SECONDS } from '../../src/scheduling/admission-preemption.js';
import { at, cohort, queue, setup, submitAll, type WorkloadOptions, workload } from './admission-builders.js';

const admittedNames = (d: CycleDecisions) => d.admitted.map((a) => a.workload);
const victims = (d: CycleDecisions) => d.preempted.map((p) => p.victim);

/** One 8-GPU node, queue q (8 GPUs), classes low = 0 and high = 100. */
function withinQueue(running: readonly [string, WorkloadOptions][], o: { never?: boolean } = {}) {
  const s = setup({
    queues: { q: queue({ gpus: 8 }) },
    priorityClasses: {
      low: 0,
      high: { value: 100, preemptionPolicy: o.never ? 'Never' : 'PreemptLowerPriority' },
    },
    nodes: 1,
  });
  submitAll(
    s,
    running.map(([n, opts]) => workload(n, opts)),
  );
  expect(admittedNames(admitCycle(s, at(0))).sort()).toEqual(running.map(([n]) => n).sort());
  return s;
}

describe('preemption within a queue by priority', () => {
  interface Case {
    readonly rule: string;
    readonly running: readonly [string, WorkloadOptions][];
    readonly preemptor: WorkloadOptions;
    /** Seconds after the running work was admitted. */
    readonly after: number;
    readonly victims: readonly string[];
    readonly never?: boolean;
  }
  const cases: Case[] = [
    {
      rule: 'a higher priority preempts a lower one that holds what it needs',
      running: [['low', { gpus: 8, priorityClass: 'low' }]],
      preemptor: { gpus: 8, priorityClass: 'high' },
      after: 60,
      victims: ['low'],
    },
    {
      rule: 'equal priority never preempts (the preemptor must strictly dominate)',
      running: [['peer', { gpus: 8, priorityClass: 'high' }]],
      preemptor: { gpus: 8, priorityClass: 'high' },
      after: 60,
      victims: [],
    },
    {
      rule: 'production inference is never a victim',
      running: [['serving', { gpus: 8, priorityClass: 'low', slo: 'production-inference' }]],
      preemptor: { gpus: 8, priorityClass: 'high' },
      after: 86_400,
      victims: [],
    },
    {
      rule: 'training is not preempted before its guaranteed minimum runtime',
      running: [['train', { gpus: 8, priorityClass: 'low', slo: 'training' }]],
      preemptor: { gpus: 8, priorityClass: 'high' },
      after: MIN_TRAINING_RUNTIME_SECONDS - 1,
      victims: [],
    },
    {
      rule: 'training is preemptible once it has run its guaranteed minimum',
      running: [['train', { gpus: 8, priorityClass: 'low', slo: 'training' }]],
      preemptor: { gpus: 8, priorityClass: 'high' },
      after: MIN_TRAINING_RUNTIME_SECONDS,
      victims: ['train'],
    },
    {
      rule: 'a priority class with preemptionPolicy Never does not preempt',
      running: [['low', { gpus: 8, priorityClass: 'low' }]],
      preemptor: { gpus: 8, priorityClass: 'high' },
      after: 60,
      victims: [],
      never: true,
    },
    {
      rule: 'only as many victims as needed: the one whose loss wastes the least GPU-time',
      running: [
        ['old', { gpus: 4, priorityClass: 'low' }],
        ['young', { gpus: 4, priorityClass: 'low', createdAt: 1 }],
      ],
      preemptor: { gpus: 4, priorityClass: 'high' },
      after: 60,
      victims: ['young'],
    },
  ];
  it.each(cases)('$rule', (c) => {
    const s = withinQueue(c.running, c.never ? { never: true } : {});
    if (c.rule.startsWith('only as many')) {
      // "young" restarts later, so it has run less and loses less work.
      s.admitted.set('young', { ...s.admitted.get('young')!, admittedMs: at(30).getTime() });
    }
    submitAll(s, [workload('preemptor', { ...c.preemptor, createdAt: c.after })]);
    const d = admitCycle(s, at(c.after));
    expect(victims(d)).toEqual(c.victims);
    expect(admittedNames(d)).toEqual(c.victims.length > 0 ? ['preemptor'] : []);
    for (const v of c.victims) {
      expect(d.pending.find((p) => p.workload === v)?.reason).toMatchObject({
        kind: 'preempted',
        by: 'preemptor',
      });
    }
  });

  it('a plan that cannot succeed changes nothing (victims stay bound, quota unchanged)', () => {
    const s = withinQueue([
      ['low', { gpus: 4, priorityClass: 'low' }],
      ['serving', { gpus: 4, priorityClass: 'low', slo: 'production-inference' }],
    ]);
    const digest = s.snapshot.stateDigest();
    submitAll(s, [workload('preemptor', { gpus: 8, priorityClass: 'high', createdAt: 60 })]);
    const d = admitCycle(s, at(60));
    expect(d.preempted).toEqual([]);
    expect(s.snapshot.stateDigest()).toBe(digest);
    expect(s.ledger.usageOf('q').get('default/gpus')).toBe(8);
  });

  it('aging never turns into preemption: a long-waiting victim does not preempt its preemptor back', () => {
    const s = withinQueue([['low', { gpus: 8, priorityClass: 'low' }]]);
    submitAll(s, [workload('high', { gpus: 8, priorityClass: 'high', createdAt: 60 })]);
    expect(victims(admitCycle(s, at(60)))).toEqual(['low']);
    let later = 0;
    for (let t = 120; t < 12 * 3600; t += 60) later += admitCycle(s, at(t)).preempted.length;
    expect(later).toBe(0);
    expect([...s.admitted.keys()]).toEqual(['high']);
  });
});

describe('preemption: reclaim of borrowed quota by its lender', () => {
  const cohortOf = (reclaim: 'Any' | 'Never' = 'Any') =>
    setup({
      queues: { a: queue({ gpus: 8, cohort: 'c' }), b: queue({ gpus: 8, cohort: 'c', reclaim }) },
      cohorts: { c: cohort() },
    });

  it('a queue within its nominal reclaims what a peer borrowed', () => {
    const s = cohortOf();
    submitAll(s, [
      workload('a1', { queue: 'a', gpus: 8 }),
      workload('a2', { queue: 'a', gpus: 8, createdAt: 1 }),
    ]);
    expect(admittedNames(admitCycle(s, at(0)))).toEqual(['a1', 'a2']);
    submitAll(s, [workload('b1', { queue: 'b', gpus: 8, createdAt: 60 })]);
    const d = admitCycle(s, at(60));
    expect(d.preempted).toEqual([
      expect.objectContaining({ victimQueue: 'a', preemptor: 'b1', mode: 'reclaim' }),
    ]);
    expect(admittedNames(d)).toEqual(['b1']);
    expect(s.ledger.borrowing('a', 'default')).toBe(false);
  });

  it('reclaimWithinCohort Never leaves the borrower alone', () => {
    const s = cohortOf('Never');
    submitAll(s, [workload('a1', { queue: 'a', gpus: 8, pods: 2 })]);
    expect(admittedNames(admitCycle(s, at(0)))).toEqual(['a1']);
    submitAll(s, [workload('b1', { queue: 'b', gpus: 8, createdAt: 60 })]);
    const d = admitCycle(s, at(60));
    expect(d.preempted).toEqual([]);
    expect(d.pending.find((p) => p.workload === 'b1')?.reason.kind).toBe('quota');
  });

  it('a queue that would itself borrow cannot reclaim', () => {
    const s = cohortOf();
    submitAll(s, [
      workload('a1', { queue: 'a', gpus: 8 }),
      workload('a2', { queue: 'a', gpus: 4, createdAt: 1 }),
    ]);
    admitCycle(s, at(0));
    submitAll(s, [
      workload('b1', { queue: 'b', gpus: 8, pods: 1, createdAt: 60 }),
      workload('b2', { queue: 'b', gpus: 2, createdAt: 61 }),
    ]);
    const d = admitCycle(s, at(62));
    // b1 fits b's nominal once a2 goes; b2 would take b beyond its nominal, so it waits.
    expect(victims(d)).toEqual(['a2']);
    expect(admittedNames(d)).toEqual(['b1']);
    expect(d.pending.find((p) => p.workload === 'b2')?.reason.kind).toBe('quota');
  });

  it('the classic reclaim ping-pong settles: one preemption, then a stable allocation', () => {
    const s = cohortOf();
    submitAll(
      s,
      Array.from({ length: 4 }, (_, i) => workload(`a${i}`, { queue: 'a', gpus: 4, createdAt: i })),
    );
    expect(admitCycle(s, at(0)).admitted).toHaveLength(4);
    submitAll(
      s,
      Array.from({ length: 2 }, (_, i) => workload(`b${i}`, { queue: 'b', gpus: 4, createdAt: 100 + i })),
    );
    const counts: number[] = [];
    for (let t = 200; t < 24 * 3600; t += 300) counts.push(admitCycle(s, at(t)).preempted.length);
    expect(counts[0]).toBe(2);
    expect(counts.slice(1).every((n) => n === 0)).toBe(true);
    expect([...s.admitted.keys()].sort()).toEqual(['a0', 'a1', 'b0', 'b1']);
  });
});
