import { describe, expect, it } from 'vitest';
import type { QueueSpec } from '../../src/model/scheduling.js';
import { admitCycle } from '../../src/scheduling/admission-cycle.js';
import type { CycleDecisions } from '../../src/scheduling/admission-decision.js';
import { MIN_TRAINING_RUNTIME_SECONDS } from '../../src/scheduling/admission-preemption.js';
import {
  at,
  cohort,
  type QueueOptions,
  queue,
  setup,
  submitAll,
  type WorkloadOptions,
  workload,
} from './admission-builders.js';

/**
 * Fair-share preemption across a cohort (src/scheduling/admission-fair-share-preemption.ts). The
 * fixture: a cohort whose quota is lent by a queue "shared" that runs nothing, and queues of nominal 0
 * that borrow all they use, so reclaim never applies and fair share alone decides. History is off
 * (half-life 0) so a share is current usage ÷ pool nominal ÷ weight, and aging is off.
 */

const victims = (d: CycleDecisions) => d.preempted.map((p) => p.victim);
const admittedNames = (d: CycleDecisions) => d.admitted.map((a) => a.workload);

interface Fixture {
  /** Nodes of 8 GPUs; the shared lender's nominal is all of them. */
  readonly nodes?: number;
  readonly a?: Partial<QueueOptions>;
  readonly others?: Record<string, QueueOptions>;
}

function cohortOf(f: Fixture = {}) {
  const nodes = f.nodes ?? 2;
  const borrower = (o: QueueOptions = {}): QueueSpec => queue({ gpus: 0, cohort: 'c', ...o });
  const others = f.others ?? { b: {} };
  return setup({
    queues: {
      shared: queue({
        gpus: nodes * 8 - Object.values(others).reduce((n, o) => n + (o.gpus ?? 0), 0),
        cohort: 'c',
      }),
      a: borrower({ fairSharing: 'LessThanFinalShare', ...f.a }),
      ...Object.fromEntries(Object.entries(others).map(([n, o]) => [n, borrower(o)])),
    },
    cohorts: { c: cohort() },
    priorityClasses: { low: 0, high: 100 },
    nodes,
    options: { halfLifeSeconds: 0, aging: null },
  });
}

/** `count` workloads of queue `q`, `gpus` each in one pod, created at 0 (names q1, q2, …). */
const jobs = (q: string, count: number, o: WorkloadOptions = {}) =>
  Array.from({ length: count }, (_, i) => workload(`${q}${i + 1}`, { queue: q, gpus: 4, ...o }));

describe('fair-share preemption: who may take from whom', () => {
  interface Case {
    readonly rule: string;
    readonly fixture?: Fixture;
    /** Running since t = 0. */
    readonly running: readonly ReturnType<typeof workload>[];
    readonly preemptor: WorkloadOptions;
    /** Seconds after t = 0 that the preemptor is tried. */
    readonly after?: number;
    readonly victims: readonly string[];
  }
  const cases: Case[] = [
    {
      rule: "a queue whose share with the workload stays strictly below the other's without the victim preempts",
      running: jobs('b', 4),
      preemptor: { gpus: 4 },
      victims: ['b4'],
    },
    {
      rule: 'equal final shares are not enough: the rule is strict',
      running: [...jobs('a', 1), ...jobs('b', 3)],
      preemptor: { gpus: 4 },
      victims: [],
    },
    {
      rule: 'the weights decide: a queue of weight 3 takes from one of weight 1 holding three times as much',
      fixture: { a: { weight: 3 } },
      running: [...jobs('a', 1), ...jobs('b', 3)],
      preemptor: { gpus: 4 },
      victims: ['b3'],
    },
    {
      rule: 'as many victims as the workload needs, while the rule holds for each',
      fixture: { a: { weight: 2 } },
      running: jobs('b', 4),
      preemptor: { gpus: 4, pods: 2 },
      victims: ['b4', 'b3'],
    },
    {
      rule: 'a lower priority never evicts a higher one through fair share',
      running: jobs('b', 4, { priorityClass: 'high' }),
      preemptor: { gpus: 4, priorityClass: 'low' },
      victims: [],
    },
    {
      rule: 'a higher priority may evict a lower one through fair share',
      running: jobs('b', 4, { priorityClass: 'low' }),
      preemptor: { gpus: 4, priorityClass: 'high' },
      victims: ['b4'],
    },
    {
      rule: 'fairSharing absent (Never) leaves the cohort alone',
      fixture: { a: { fairSharing: undefined } },
      running: jobs('b', 4),
      preemptor: { gpus: 4 },
      victims: [],
    },
    {
      rule: 'borrowed quota only: a queue is never taken below its nominal',
      fixture: { others: { b: { gpus: 8 } } },
      running: [workload('b1', { queue: 'b', gpus: 8, pods: 2 })],
      preemptor: { gpus: 4 },
      victims: [],
    },
    {
      rule: 'production inference is never a fair-share victim',
      running: jobs('b', 4, { slo: 'production-inference' }),
      preemptor: { gpus: 4 },
      after: 86_400,
      victims: [],
    },
    {
      rule: 'training is not taken before its guaranteed minimum runtime',
      running: jobs('b', 4, { slo: 'training' }),
      preemptor: { gpus: 4 },
      after: MIN_TRAINING_RUNTIME_SECONDS - 1,
      victims: [],
    },
    {
      rule: 'training is taken once it has run its guaranteed minimum',
      running: jobs('b', 4, { slo: 'training' }),
      preemptor: { gpus: 4 },
      after: MIN_TRAINING_RUNTIME_SECONDS,
      victims: ['b4'],
    },
    {
      rule: 'of equal waste, the victim comes from the queue furthest above its share',
      fixture: { nodes: 3, others: { b: {}, c: { weight: 0.5 } } },
      running: [...jobs('b', 3), ...jobs('c', 3)],
      preemptor: { gpus: 4 },
      victims: ['c3'],
    },
  ];
  it.each(cases)('$rule', (c) => {
    const s = cohortOf(c.fixture);
    submitAll(s, c.running);
    expect(admittedNames(admitCycle(s, at(0))).sort()).toEqual(c.running.map((w) => w.metadata.name).sort());
    const after = c.after ?? 60;
    submitAll(s, [workload('w', { queue: 'a', ...c.preemptor, createdAt: after })]);
    const d = admitCycle(s, at(after));
    expect(victims(d)).toEqual(c.victims);
    expect(admittedNames(d)).toEqual(c.victims.length > 0 ? ['w'] : []);
    for (const p of d.preempted) expect(p.mode).toBe('fair-share');
  });

  it('the least GPU-time wasted goes first: the victim admitted last', () => {
    const s = cohortOf();
    submitAll(s, jobs('b', 3));
    admitCycle(s, at(0));
    submitAll(s, [workload('late', { queue: 'b', gpus: 4, createdAt: 600 })]);
    expect(admittedNames(admitCycle(s, at(600)))).toEqual(['late']);
    submitAll(s, [workload('w', { queue: 'a', gpus: 4, createdAt: 900 })]);
    expect(victims(admitCycle(s, at(900)))).toEqual(['late']);
  });

  it('a workload admitted at this cycle’s time is never a victim', () => {
    const s = cohortOf();
    submitAll(s, jobs('b', 4));
    admitCycle(s, at(60));
    submitAll(s, [workload('w', { queue: 'a', gpus: 4, createdAt: 60 })]);
    expect(admitCycle(s, at(60)).preempted).toEqual([]);
    expect(victims(admitCycle(s, at(120)))).toEqual(['b4']);
  });

  it('a plan that cannot succeed changes nothing (victims stay bound, quota unchanged)', () => {
    // At weight 10 the rule lets a take both of b's best-effort workloads, which is not enough.
    const s = cohortOf({ a: { weight: 10 } });
    submitAll(s, [...jobs('b', 2), ...jobs('serving', 2, { queue: 'b', slo: 'production-inference' })]);
    admitCycle(s, at(0));
    const digest = s.snapshot.stateDigest();
    submitAll(s, [workload('w', { queue: 'a', gpus: 8, pods: 2, createdAt: 60 })]);
    const d = admitCycle(s, at(60));
    expect(d.preempted).toEqual([]);
    expect(s.snapshot.stateDigest()).toBe(digest);
    expect(s.ledger.usageOf('b').get('default/gpus')).toBe(16);
    expect(s.ledger.usageOf('a').get('default/gpus') ?? 0).toBe(0);
  });

  it('a victim that reclaim may take is taken as reclaim: the lender gets its nominal back first', () => {
    const s = setup({
      queues: {
        a: queue({ gpus: 8, cohort: 'c', fairSharing: 'LessThanFinalShare' }),
        b: queue({ gpus: 8, cohort: 'c' }),
      },
      cohorts: { c: cohort() },
      options: { halfLifeSeconds: 0, aging: null },
    });
    submitAll(s, jobs('b', 4));
    admitCycle(s, at(0));
    submitAll(s, [workload('w', { queue: 'a', gpus: 4, createdAt: 60 })]);
    expect(admitCycle(s, at(60)).preempted).toEqual([
      expect.objectContaining({ victim: 'b4', mode: 'reclaim' }),
    ]);
  });

  it('the victim is told why: preempted by fair share, by whom', () => {
    const s = cohortOf();
    submitAll(s, jobs('b', 4));
    admitCycle(s, at(0));
    submitAll(s, [workload('w', { queue: 'a', gpus: 4, createdAt: 60 })]);
    const d = admitCycle(s, at(60));
    const b4 = d.pending.find((p) => p.workload === 'b4')!;
    expect(b4.reason).toMatchObject({ kind: 'preempted', by: 'w', mode: 'fair-share' });
    expect(b4.message).toContain('fair share');
  });
});

describe('fair-share preemption: the inputs of each decision', () => {
  it('names both workloads’ queues, priorities and shares before and after, the mode and the rule', () => {
    const s = cohortOf({ a: { weight: 2 } });
    submitAll(s, jobs('b', 4, { priorityClass: 'low' }));
    admitCycle(s, at(0));
    submitAll(s, [workload('w', { queue: 'a', gpus: 4, priorityClass: 'high', createdAt: 60 })]);
    const [p] = admitCycle(s, at(60)).preempted;
    expect(p).toEqual({
      victim: 'b4',
      victimQueue: 'b',
      victimPriority: 0,
      // b held 16 of the pool's 16 GPUs; it keeps 12.
      victimShare: { before: 1, after: 0.75 },
      preemptor: 'w',
      preemptorQueue: 'a',
      preemptorPriority: 100,
      // a goes from nothing to 4 of 16 GPUs at weight 2.
      preemptorShare: { before: 0, after: 0.125 },
      mode: 'fair-share',
      rule:
        'fairSharing LessThanFinalShare: share of queue a with w 0.125 < share of queue b without its victims 0.75; ' +
        'priority 100 ≥ 0; queue b keeps its nominal',
      wastedGpuSeconds: 240,
    });
  });

  it.each([
    {
      mode: 'within-queue',
      holder: 'a',
      rule: 'withinQueue LowerPriority: priority 100 > 0 in queue a',
      // a holds all 16 GPUs (8 borrowed) before and after: w takes its own workload's place.
      preemptorShare: { before: 1, after: 1 },
      victimShare: { before: 1, after: 1 },
    },
    {
      mode: 'reclaim',
      holder: 'b',
      rule: 'reclaimWithinCohort Any: queue a stays within its nominal with w, queue b borrows',
      preemptorShare: { before: 0, after: 0.25 },
      victimShare: { before: 1, after: 0.75 },
    },
  ])('a $mode preemption carries its rule and both queues’ shares too', (c) => {
    const s = setup({
      queues: { a: queue({ gpus: 8, cohort: 'c' }), b: queue({ gpus: 8, cohort: 'c' }) },
      cohorts: { c: cohort() },
      priorityClasses: { low: 0, high: 100 },
      options: { halfLifeSeconds: 0, aging: null },
    });
    submitAll(s, jobs(c.holder, 4, { priorityClass: 'low' }));
    admitCycle(s, at(0));
    submitAll(s, [workload('w', { queue: 'a', gpus: 4, priorityClass: 'high', createdAt: 60 })]);
    const [p] = admitCycle(s, at(60)).preempted;
    expect(p).toMatchObject({
      mode: c.mode,
      rule: c.rule,
      preemptorQueue: 'a',
      preemptorPriority: 100,
      preemptorShare: c.preemptorShare,
      victimQueue: c.holder,
      victimPriority: 0,
      victimShare: c.victimShare,
    });
  });
});
