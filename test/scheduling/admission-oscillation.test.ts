import { describe, expect, it } from 'vitest';
import { admitCycle } from '../../src/scheduling/admission-cycle.js';
import { finish } from '../../src/scheduling/admission-state.js';
import { at, cohort, queue, setup, submitAll, workload } from './admission-builders.js';

/**
 * No preemption loops (issue 5 item 3): the classic oscillation cases replayed over many admission
 * cycles on a virtual clock, with fair-share preemption on in every queue. Each run counts preemptions
 * per hour and GPU-seconds per queue; the rule under test is that preemptions are bounded and then
 * stop, and that GPU-time converges to the weights.
 *
 * The cohort's quota is lent by a queue "shared" that runs nothing; the queues under test have nominal
 * 0 and borrow all they use, so reclaim never applies and fair share alone moves work between them.
 * Every workload asks 4 GPUs in one pod.
 */

const HOUR = 3600;
const CYCLE = 60;

interface Scenario {
  readonly rule: string;
  /** Queue → fair-share weight. */
  readonly weights: Readonly<Record<string, number>>;
  /** Nodes of 8 GPUs. */
  readonly nodes: number;
  readonly hours: number;
  readonly halfLifeSeconds: number;
  /** When each queue starts submitting (seconds; default 0). */
  readonly startsAt?: Readonly<Record<string, number>>;
  /** Runtime of the n-th workload of a queue, seconds; Infinity = runs until the end. */
  readonly runtime: (queue: string, n: number) => number;
  /** From this hour on, no preemption at all. */
  readonly quietFrom: number;
  /**
   * At most this many preemptions over the whole run: each queue that starts late may move each of the
   * fleet's 4-GPU slots once (a loop would instead grow with the length of the run).
   */
  readonly atMost: number;
  /** GPU-time shares are measured from this hour to the end and compared with the weights. */
  readonly measureFrom: number;
  /** Relative tolerance on each queue's GPU-time share. */
  readonly tolerance: number;
}

interface Outcome {
  readonly perHour: number[];
  readonly share: Record<string, number>;
  /** Preemptions whose victim had itself preempted its preemptor's workload before. */
  readonly backAndForth: number;
}

function replay(sc: Scenario): Outcome {
  const queues = Object.keys(sc.weights);
  const s = setup({
    queues: {
      shared: queue({ gpus: sc.nodes * 8, cohort: 'c' }),
      ...Object.fromEntries(
        queues.map((q) => [
          q,
          queue({ gpus: 0, cohort: 'c', weight: sc.weights[q], fairSharing: 'LessThanFinalShare' }),
        ]),
      ),
    },
    cohorts: { c: cohort() },
    nodes: sc.nodes,
    options: { halfLifeSeconds: sc.halfLifeSeconds, aging: null },
  });
  const submitted = new Map(queues.map((q) => [q, 0]));
  const runtimeOf = new Map<string, number>();
  const endsAt = new Map<string, number>();
  const gpuSeconds = new Map(queues.map((q) => [q, 0]));
  /** victim → its preemptor, to catch a pair that swaps places. */
  const preemptedBy = new Map<string, string>();
  const perHour = Array.from({ length: sc.hours }, () => 0);
  let backAndForth = 0;
  for (let t = 0; t < sc.hours * HOUR; t += CYCLE) {
    for (const [key, end] of endsAt) {
      if (end > t) continue;
      finish(s, key, at(t));
      endsAt.delete(key);
    }
    // Each queue is kept saturated: two workloads waiting at all times once it has started.
    for (const q of queues) {
      if (t < (sc.startsAt?.[q] ?? 0)) continue;
      let waiting = 0;
      for (const w of s.pending.values()) if (w.queue === q) waiting++;
      for (; waiting < 2; waiting++) {
        const n = submitted.get(q)!;
        submitted.set(q, n + 1);
        const name = `${q}-${n}`;
        runtimeOf.set(name, sc.runtime(q, n));
        submitAll(s, [workload(name, { queue: q, gpus: 4, createdAt: t })]);
      }
    }
    const d = admitCycle(s, at(t));
    for (const p of d.preempted) {
      endsAt.delete(p.victim);
      perHour[Math.floor(t / HOUR)]!++;
      if (preemptedBy.get(p.preemptor) === p.victim) backAndForth++;
      preemptedBy.set(p.victim, p.preemptor);
    }
    for (const a of d.admitted) endsAt.set(a.workload, t + runtimeOf.get(a.workload)!);
    if (t >= sc.measureFrom * HOUR) {
      for (const w of s.admitted.values())
        gpuSeconds.set(w.queue, gpuSeconds.get(w.queue)! + w.demand.gpus * CYCLE);
    }
  }
  const total = [...gpuSeconds.values()].reduce((x, y) => x + y, 0);
  return {
    perHour,
    share: Object.fromEntries(queues.map((q) => [q, gpuSeconds.get(q)! / total])),
    backAndForth,
  };
}

/** A seeded runtime of 20–60 minutes per workload (xorshift over the queue and the serial). */
const varied = (q: string, n: number) => {
  let x = (n + 1) * 2654435761 + q.charCodeAt(0) * 40503;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return 20 * 60 + ((x >>> 0) % (40 * 60));
};

describe('no preemption loops: the classic oscillation cases settle', () => {
  const scenarios: Scenario[] = [
    {
      rule: 'two saturated queues of equal weight stop trading victims and split GPU-time 1:1',
      weights: { a: 1, b: 1 },
      nodes: 2,
      hours: 24,
      halfLifeSeconds: HOUR,
      startsAt: { b: 2 * HOUR },
      runtime: varied,
      quietFrom: 6,
      atMost: 4, // 4 slots × 1 late queue
      measureFrom: 8,
      tolerance: 0.05,
    },
    {
      rule: 'three saturated queues weighted 1:2:3 settle and converge to GPU-time shares of 1:2:3',
      weights: { w1: 1, w2: 2, w3: 3 },
      nodes: 6,
      hours: 24,
      halfLifeSeconds: HOUR,
      startsAt: { w2: HOUR, w3: 2 * HOUR },
      runtime: varied,
      quietFrom: 8,
      atMost: 24, // 12 slots × 2 late queues
      measureFrom: 8,
      tolerance: 0.05,
    },
    {
      rule: 'two equal queues saturated from the same moment never preempt at all',
      weights: { a: 1, b: 1 },
      nodes: 2,
      hours: 24,
      halfLifeSeconds: HOUR,
      runtime: varied,
      quietFrom: 0,
      atMost: 0,
      measureFrom: 4,
      tolerance: 0.05,
    },
    {
      rule: 'a victim that comes back never preempts its preemptor, with work that never ends',
      weights: { a: 1, b: 1 },
      nodes: 2,
      hours: 24,
      halfLifeSeconds: HOUR,
      startsAt: { b: HOUR },
      runtime: () => Number.POSITIVE_INFINITY,
      quietFrom: 6,
      atMost: 4, // 4 slots × 1 late queue
      measureFrom: 8,
      tolerance: 0,
    },
    {
      rule: 'decayed usage crossing over: the queue that ran alone yields, takes back a bounded amount, then all is still',
      weights: { a: 1, b: 1 },
      nodes: 2,
      hours: 36,
      halfLifeSeconds: 2 * HOUR,
      startsAt: { b: 12 * HOUR },
      runtime: () => Number.POSITIVE_INFINITY,
      quietFrom: 24,
      atMost: 4, // 4 slots × 1 late queue
      measureFrom: 24,
      tolerance: 0,
    },
  ];
  it.each(scenarios)('$rule', (sc) => {
    const o = replay(sc);
    expect(o.perHour.reduce((x, y) => x + y, 0)).toBeLessThanOrEqual(sc.atMost);
    expect(o.perHour.slice(sc.quietFrom)).toEqual(o.perHour.slice(sc.quietFrom).map(() => 0));
    expect(o.backAndForth).toBe(0);
    const weightSum = Object.values(sc.weights).reduce((x, y) => x + y, 0);
    for (const [q, w] of Object.entries(sc.weights)) {
      const target = w / weightSum;
      expect(Math.abs(o.share[q]! - target) / target, `${q}: ${o.share[q]} vs ${target}`).toBeLessThanOrEqual(
        sc.tolerance,
      );
    }
  });
});
