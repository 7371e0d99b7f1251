import { describe, expect, it } from 'vitest';
import { admitCycle } from '../../src/scheduling/admission-cycle.js';
import { AdmittedIndex } from '../../src/scheduling/admission-preemption.js';
import { type AdmissionState, type AdmittedWorkload, finish } from '../../src/scheduling/admission-state.js';
import { at, cohort, queue, setup, submitAll, workload } from './admission-builders.js';

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fake = (key: string, queue: string, priority: number) => ({ key, queue, priority }) as AdmittedWorkload;

/** What the index says, as queue → priority → sorted keys. */
function indexed(m: AdmittedIndex, queues: readonly string[]) {
  const out: Record<string, Record<number, string[]>> = {};
  for (const q of queues) {
    const byPriority = m.ofQueue(q);
    if (!byPriority) continue;
    out[q] = {};
    for (const [p, bucket] of byPriority) {
      expect(bucket.size).toBeGreaterThan(0);
      out[q][p] = [...bucket.keys()].sort();
    }
  }
  return out;
}

/** The same, recomputed from the map's entries. */
function grouped(m: ReadonlyMap<string, AdmittedWorkload>) {
  const out: Record<string, Record<number, string[]>> = {};
  for (const [k, v] of m) {
    const byPriority = out[v.queue] ?? {};
    out[v.queue] = byPriority;
    const keys = byPriority[v.priority] ?? [];
    byPriority[v.priority] = keys;
    keys.push(k);
  }
  for (const byPriority of Object.values(out)) for (const keys of Object.values(byPriority)) keys.sort();
  return out;
}

describe('AdmittedIndex', () => {
  it('stays in step with set (new and replacing), delete and clear', () => {
    const queues = ['a', 'b', 'c'];
    const next = rng(7);
    const m = new AdmittedIndex();
    for (let i = 0; i < 2000; i++) {
      const key = `w${Math.floor(next() * 40)}`;
      const op = next();
      if (op < 0.6) m.set(key, fake(key, queues[Math.floor(next() * 3)]!, Math.floor(next() * 4)));
      else if (op < 0.995) m.delete(key);
      else m.clear();
      expect(indexed(m, queues)).toEqual(grouped(m));
    }
  });

  it('is what createAdmissionState uses for admitted workloads', () => {
    const s = setup({ queues: { q: queue() } });
    expect(s.admitted).toBeInstanceOf(AdmittedIndex);
  });
});

describe('preemption through the index decides exactly as a scan of every admitted workload', () => {
  /** Random cohort of queues, priorities and SLO classes; cycles with finishes in between. */
  function run(seed: number, indexedState: boolean) {
    const next = rng(seed);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
    const base = setup({
      queues: {
        a: queue({ gpus: 8, cohort: 'c', reclaim: 'Any' }),
        b: queue({ gpus: 8, cohort: 'c', reclaim: 'LowerPriority' }),
        c: queue({ gpus: 4, cohort: 'c', reclaim: 'Any', withinQueue: 'Never' }),
        d: queue({ gpus: 2, cohort: 'c', reclaim: 'Never', fairSharing: 'LessThanFinalShare', weight: 3 }),
        solo: queue({ gpus: 8 }),
      },
      cohorts: { c: cohort() },
      priorityClasses: { low: 0, mid: 50, high: 100 },
      nodes: 4,
    });
    const s: AdmissionState = indexedState ? base : { ...base, admitted: new Map() };
    const decisions: unknown[] = [];
    let n = 0;
    for (let cycle = 0; cycle < 25; cycle++) {
      const t = cycle * 700;
      const batch = Array.from({ length: 1 + Math.floor(next() * 5) }, () =>
        workload(`w${n++}`, {
          queue: pick(['a', 'a', 'b', 'b', 'c', 'd', 'd', 'solo']),
          gpus: pick([1, 2, 4, 8]),
          priorityClass: pick(['low', 'mid', 'high']),
          slo: pick(['best-effort', 'best-effort', 'training', 'production-inference'] as const),
          createdAt: t,
        }),
      );
      submitAll(s, batch);
      for (const key of [...s.admitted.keys()]) if (next() < 0.1) finish(s, key, at(t));
      decisions.push(admitCycle(s, at(t)));
    }
    return decisions as ReturnType<typeof admitCycle>[];
  }

  it('on random cohorts, within-queue, reclaim and fair-share preemptions included', () => {
    const modes = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) {
      const viaIndex = run(seed, true);
      expect(viaIndex).toEqual(run(seed, false));
      for (const d of viaIndex) for (const p of d.preempted) modes.add(p.mode);
    }
    expect([...modes].sort()).toEqual(['fair-share', 'reclaim', 'within-queue']);
  });
});
