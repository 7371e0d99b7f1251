import { describe, expect, it } from 'vitest';
import { effectivePriority } from '../../src/scheduling/admission-aging.js';
import { Backoff } from '../../src/scheduling/admission-backoff.js';
import { admitCycle } from '../../src/scheduling/admission-cycle.js';
import { finish } from '../../src/scheduling/admission-state.js';
import { at, queue, setup, submitAll, T0, workload } from './admission-builders.js';
import { node, whole } from './live-builders.js';

const admittedNames = (d: ReturnType<typeof admitCycle>) => d.admitted.map((a) => a.workload);
const reasonOf = (d: ReturnType<typeof admitCycle>, name: string) =>
  d.pending.find((p) => p.workload === name);

describe('admission cycle: ordering, queueing strategies, many admissions per cycle, gangs', () => {
  it.each([
    { strategy: 'StrictFIFO', strict: true, admitted: [] as string[], w2: 'blocked-by-strict-fifo' },
    { strategy: 'BestEffortFIFO', strict: false, admitted: ['w2'], w2: undefined },
  ])('$strategy: a head short of quota $strategy', (c) => {
    const s = setup({ queues: { q: queue({ gpus: 8, strict: c.strict }) } });
    submitAll(s, [workload('w0', { gpus: 4 })]);
    admitCycle(s, at(0));
    submitAll(s, [workload('w1', { gpus: 8, createdAt: 1 }), workload('w2', { gpus: 2, createdAt: 2 })]);
    const d = admitCycle(s, at(2));
    expect(admittedNames(d)).toEqual(c.admitted);
    expect(reasonOf(d, 'w1')?.reason.kind).toBe('quota');
    expect(reasonOf(d, 'w2')?.reason.kind).toBe(c.w2);
    if (c.strict) expect(reasonOf(d, 'w2')?.reason).toMatchObject({ blockedBy: 'w1' });
  });

  it('one cycle admits every workload that fits, not one per queue', () => {
    const s = setup({ queues: { q: queue({ gpus: 16 }) } });
    submitAll(
      s,
      Array.from({ length: 20 }, (_, i) => workload(`w${i}`, { gpus: 1, createdAt: i })),
    );
    const d = admitCycle(s, at(30));
    expect(d.admitted).toHaveLength(16);
    expect(d.pending.map((p) => p.ahead)).toEqual([0, 1, 2, 3]);
  });

  it('a deep queue drains as fast as capacity frees: each cycle refills every freed slot', () => {
    const s = setup({ queues: { q: queue({ gpus: 16 }) } });
    submitAll(
      s,
      Array.from({ length: 40 }, (_, i) => workload(`w${i}`, { gpus: 4, createdAt: i })),
    );
    let t = 100;
    let running = admittedNames(admitCycle(s, at(t)));
    const order = [...running];
    while (s.pending.size > 0) {
      expect(running).toHaveLength(4);
      t += 60;
      for (const w of running) finish(s, w, at(t));
      running = admittedNames(admitCycle(s, at(t)));
      order.push(...running);
    }
    expect(order).toEqual(Array.from({ length: 40 }, (_, i) => `w${i}`));
  });

  it('a gang that cannot be placed whole books nothing, and smaller work behind it still starts', () => {
    const s = setup({ queues: { q: queue({ gpus: 64 }) } });
    submitAll(s, [workload('gang', { gpus: 8, pods: 3 }), workload('small', { gpus: 8, createdAt: 1 })]);
    const d = admitCycle(s, at(5));
    expect(admittedNames(d)).toEqual(['small']);
    expect(reasonOf(d, 'gang')?.reason).toMatchObject({ kind: 'placement', placedBeforeFailure: 2 });
    expect(s.snapshot.boundCount).toBe(1);
    expect(s.ledger.usageOf('q').get('default/gpus')).toBe(8);
  });

  it('workloads of a shape that did not fit this cycle are not retried, each told its own reason', () => {
    const s = setup({ queues: { q: queue({ gpus: 64 }) }, nodes: 1 });
    submitAll(s, [
      workload('w0', { gpus: 6 }),
      ...[1, 2, 3].map((i) => workload(`w${i}`, { gpus: 4, createdAt: i })),
    ]);
    const d = admitCycle(s, at(5));
    expect(admittedNames(d)).toEqual(['w0']);
    expect(d.pending.map((p) => p.reason.kind === 'placement' && p.reason.failedPod)).toEqual([
      'w1/main-0',
      'w2/main-0',
      'w3/main-0',
    ]);
    expect(d.pending[2]?.message).toContain('pod w3/main-0');
  });

  it('a gang that fits is placed whole: every pod bound, its whole demand booked', () => {
    const s = setup({ queues: { q: queue({ gpus: 64 }) } });
    submitAll(s, [workload('gang', { gpus: 8, pods: 2 })]);
    const d = admitCycle(s, at(0));
    expect(d.admitted[0]?.placement.pods.map((p) => p.node).sort()).toEqual(['n0', 'n1']);
    expect(s.ledger.usageOf('q').get('default/gpus')).toBe(16);
  });

  it('higher priority goes first within a queue, then creation order', () => {
    const s = setup({ queues: { q: queue({ gpus: 8 }) }, priorityClasses: { high: 100 }, nodes: 1 });
    submitAll(s, [
      workload('old', { gpus: 4 }),
      workload('urgent', { gpus: 4, createdAt: 5, priorityClass: 'high' }),
      workload('newer', { gpus: 4, createdAt: 2 }),
    ]);
    expect(admittedNames(admitCycle(s, at(10)))).toEqual(['urgent', 'old']);
  });
});

describe('admission cycle: starvation protection (aging)', () => {
  it('effective priority grows one point per minute waited, capped', () => {
    const aging = { secondsPerPoint: 60, maxBoost: 5 };
    expect([0, 59, 60, 600, 6000].map((s) => effectivePriority(10, T0, T0 + s * 1000, aging))).toEqual([
      10, 10, 11, 15, 15,
    ]);
    expect(effectivePriority(10, T0, T0 + 6e6, null)).toBe(10);
  });

  it.each([
    {
      rule: 'with aging, work that waited 11 minutes passes fresh work 10 points above it',
      aging: undefined,
      first: 'low',
    },
    { rule: 'without aging, the higher class always wins', aging: null, first: 'high' },
  ])('$rule', (c) => {
    const s = setup({
      queues: { q: queue({ gpus: 8 }) },
      priorityClasses: { high: 10 },
      nodes: 1,
      ...(c.aging === null ? { options: { aging: null } } : {}),
    });
    submitAll(s, [
      workload('low', { gpus: 8 }),
      workload('high', { gpus: 8, createdAt: 660, priorityClass: 'high' }),
    ]);
    expect(admittedNames(admitCycle(s, at(660)))).toEqual([c.first]);
  });
});

describe('admission cycle: backoff for workloads that keep failing to fit', () => {
  it('delays double from the initial delay up to the cap', () => {
    const b = new Backoff({ initialSeconds: 10, maxSeconds: 60 });
    const delays = Array.from({ length: 5 }, () => b.fail('w', 0).untilMs / 1000);
    expect(delays).toEqual([10, 20, 40, 60, 60]);
    b.clear('w');
    expect(b.blocking('w', 0)).toBeUndefined();
  });

  it('a workload that did not fit is skipped until its backoff ends, then admitted once room frees', () => {
    const s = setup({ queues: { q: queue({ gpus: 16 }) }, nodes: [node('n0')] });
    const other = s.engine.place(s.engine.prepare(whole(4, { id: 'outside' })));
    expect(other.outcome).toBe('placed');
    submitAll(s, [workload('w', { gpus: 8 })]);

    expect(reasonOf(admitCycle(s, at(0)), 'w')?.reason).toMatchObject({
      kind: 'placement',
      verdict: 'not-now',
    });
    expect(reasonOf(admitCycle(s, at(5)), 'w')?.reason).toMatchObject({
      kind: 'backoff',
      until: at(10).toISOString(),
      failures: 1,
    });
    expect(reasonOf(admitCycle(s, at(10)), 'w')?.reason.kind).toBe('placement');
    expect(reasonOf(admitCycle(s, at(25)), 'w')?.reason).toMatchObject({ kind: 'backoff', failures: 2 });
    s.engine.release('outside');
    expect(reasonOf(admitCycle(s, at(29)), 'w')?.reason.kind).toBe('backoff');
    expect(admittedNames(admitCycle(s, at(30)))).toEqual(['w']);
  });
});
