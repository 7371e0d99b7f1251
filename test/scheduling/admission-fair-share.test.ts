import { describe, expect, it } from 'vitest';
import { admitCycle } from '../../src/scheduling/admission-cycle.js';
import { effectiveWeight, FairShare } from '../../src/scheduling/admission-fair-share.js';
import { QuotaLedger } from '../../src/scheduling/admission-quota-ledger.js';
import { finish } from '../../src/scheduling/admission-state.js';
import { at, cohort, queue, setup, submitAll, T0, workload } from './admission-builders.js';
import { node } from './live-builders.js';

const HOUR = 3600;
const admittedNames = (d: ReturnType<typeof admitCycle>) => d.admitted.map((a) => a.workload);

describe('fair share: weighted dominant resource share with decaying usage', () => {
  it.each([
    {
      rule: 'usage history decays: a team that used a lot yesterday yields today',
      halfLifeSeconds: HOUR,
      first: 'b-job',
    },
    {
      rule: 'with history off (half-life 0) the earlier workload goes first',
      halfLifeSeconds: 0,
      first: 'a-job',
    },
  ])('$rule', (c) => {
    const s = setup({
      queues: { a: queue({ gpus: 8, cohort: 'c' }), b: queue({ gpus: 8, cohort: 'c' }) },
      cohorts: { c: cohort() },
      options: { halfLifeSeconds: c.halfLifeSeconds, aging: null },
    });
    submitAll(s, [workload('yesterday', { queue: 'a', gpus: 8, pods: 2 })]);
    expect(admittedNames(admitCycle(s, at(0)))).toEqual(['yesterday']);
    finish(s, 'yesterday', at(6 * HOUR));
    submitAll(s, [
      workload('a-job', { queue: 'a', gpus: 8, pods: 2, createdAt: 6 * HOUR }),
      workload('b-job', { queue: 'b', gpus: 8, pods: 2, createdAt: 6 * HOUR + 1 }),
    ]);
    expect(admittedNames(admitCycle(s, at(6 * HOUR + 2)))).toEqual([c.first]);
  });

  it('at equal usage the heavier queue has the lower share and goes first', () => {
    const s = setup({
      queues: {
        light: queue({ gpus: 8, cohort: 'c', weight: 1 }),
        heavy: queue({ gpus: 8, cohort: 'c', weight: 3 }),
      },
      cohorts: { c: cohort() },
      options: { aging: null },
    });
    submitAll(s, [workload('l0', { queue: 'light', gpus: 4 }), workload('h0', { queue: 'heavy', gpus: 4 })]);
    admitCycle(s, at(0));
    submitAll(s, [
      workload('l1', { queue: 'light', gpus: 8, createdAt: 1 }),
      workload('h1', { queue: 'heavy', gpus: 8, createdAt: 2 }),
    ]);
    expect(admittedNames(admitCycle(s, at(3)))).toEqual(['h1']);
  });

  it('a queue’s weight is its own times its cohorts’ up to the root', () => {
    const cohorts = new Map([
      ['root', cohort()],
      ['research', cohort('root', 2)],
    ]);
    expect(effectiveWeight(queue({ cohort: 'research', weight: 3 }), cohorts)).toBe(6);
    expect(effectiveWeight(queue({ weight: 3 }), cohorts)).toBe(3);
  });

  it.each([
    { after: 0, expected: 8 },
    { after: HOUR, expected: 4 },
    { after: 2 * HOUR, expected: 2 },
    { after: 3 * HOUR, expected: 1 },
  ])('history halves every half-life once usage stops: $after s after → $expected', (c) => {
    const ledger = new QuotaLedger(new Map([['a', queue({ gpus: 8 })]]), new Map());
    const share = new FairShare(HOUR);
    const demand = { resourceClass: 'default', amounts: new Map([['gpus', 8]]), gpus: 8 };
    share.decayTo(T0, ledger, ['a']);
    ledger.book('w', 'a', demand);
    share.decayTo(T0 + 40 * HOUR * 1000, ledger, ['a']);
    ledger.unbook('w');
    share.decayTo(T0 + (40 * HOUR + c.after) * 1000, ledger, ['a']);
    expect(share.historyOf('a').get('default/gpus')).toBeCloseTo(c.expected, 6);
  });

  // Equal nominals, reclaim off: the whole pool is shared by weight alone. (With reclaim on, each
  // queue's nominal is a guarantee and saturated shares converge to the nominals instead.)
  // Workloads are created when submitted, so they age while they wait (aging is on by default):
  // aging orders a queue's own workloads and must not override the weights between queues.
  it('three saturated queues weighted 1:2:3 converge to GPU-time shares within 5% of their weights', () => {
    const weights = { q1: 1, q2: 2, q3: 3 } as const;
    const s = setup({
      queues: Object.fromEntries(
        Object.entries(weights).map(([n, w]) => [
          n,
          queue({ gpus: 4, cohort: 'c', weight: w, reclaim: 'Never' }),
        ]),
      ),
      cohorts: { c: cohort() },
      nodes: [node('n0', { gpus: 6 }), node('n1', { gpus: 6 })],
      options: { halfLifeSeconds: HOUR },
    });
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const runtime = new Map<string, number>();
    const ends = new Map<string, number>();
    const gpuTime: Record<string, number> = { q1: 0, q2: 0, q3: 0 };
    let serial = 0;
    const topUp = (now: number) => {
      for (const q of Object.keys(weights)) {
        let waiting = 0;
        for (const w of s.pending.values()) if (w.queue === q) waiting++;
        for (; waiting < 10; waiting++) {
          const name = `${q}-${serial++}`;
          runtime.set(name, 60 + Math.floor(rand() * 540));
          submitAll(s, [workload(name, { queue: q, gpus: 1 + Math.floor(rand() * 2), createdAt: now })]);
        }
      }
    };
    const step = 30;
    for (let t = 0; t < 48 * HOUR; t += step) {
      for (const [name, end] of ends) {
        if (end <= t) {
          finish(s, name, at(t));
          ends.delete(name);
        }
      }
      topUp(t);
      for (const a of admitCycle(s, at(t)).admitted) {
        const r = runtime.get(a.workload)!;
        ends.set(a.workload, t + r);
        gpuTime[a.queue]! += a.gpus * r;
      }
    }
    const total = gpuTime.q1! + gpuTime.q2! + gpuTime.q3!;
    for (const [q, w] of Object.entries(weights)) {
      const share = gpuTime[q]! / total;
      expect(Math.abs(share - w / 6) / (w / 6), `${q}: share ${share.toFixed(4)}`).toBeLessThan(0.05);
    }
  });
});
