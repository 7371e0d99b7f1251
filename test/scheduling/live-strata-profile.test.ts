import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/runtime/rng.js';
import { type TypicalPodSource, typicalPodsOf } from '../../src/scheduling/fgd-fragmentation.js';
import type { FleetSnapshot } from '../../src/scheduling/fleet-snapshot.js';
import { createGpuPolicy } from '../../src/scheduling/gpu-policies.js';
import { PlacementEngine } from '../../src/scheduling/placement-engine.js';
import type { PodRequest } from '../../src/scheduling/placement-request.js';
import { placementProfile } from '../../src/scheduling/placement-scorers.js';
import { TypicalPodTracker } from '../../src/scheduling/typical-pod-tracker.js';
import { cpuOnly, liveStrataFleet, mig, milli, node, whole } from './live-builders.js';

const shape = (cpuMilli: number, numGpu: number, gpuMilli = numGpu > 0 ? 1000 : 0): TypicalPodSource => ({
  cpuMilli,
  numGpu,
  gpuMilli,
  models: [],
});

/** A typical mix: mostly 1-GPU pods with 4 cores, some 2-GPU pods, some CPU-only pods. */
const SEED: TypicalPodSource[] = [
  ...Array.from({ length: 6 }, () => shape(4000, 1)),
  ...Array.from({ length: 3 }, () => shape(8000, 2)),
  ...Array.from({ length: 1 }, () => shape(2000, 0)),
];

/** What the simulator's policy picks on the same GpuFleet and distribution: 'node [gpus]' or null. */
function simulatorChoice(
  snapshot: FleetSnapshot,
  typicalPods: TypicalPodTracker,
  engine: PlacementEngine,
  p: PodRequest,
  name: 'strata' | 'FGD' = 'strata',
) {
  const policy = createGpuPolicy(name, {
    fleet: snapshot.fleet,
    rng: new Rng(1),
    typicalPods: typicalPods.distribution,
  });
  const placed = policy.place(engine.prepare(p).compiled);
  return placed ? `${snapshot.names[placed.node]!} [${placed.gpus.join(',')}]` : null;
}

describe('live strata profile: same choices as the simulator strata policy', () => {
  it('a CPU-only pod goes to the node with no free GPU', () => {
    const { snapshot, engine, typicalPods } = liveStrataFleet(
      { nodes: [node('free', { gpus: 4 }), node('full', { gpus: 4 })] },
      { seed: SEED, refreshEvery: 1_000_000 },
    );
    engine.restore([{ request: whole(4), binding: { node: 'full', gpus: [0, 1, 2, 3] } }]);
    const subject = cpuOnly(2000);
    const plan = engine.decide(engine.prepare(subject));
    expect(plan.outcome === 'fits' && plan.node).toBe('full');
    expect(simulatorChoice(snapshot, typicalPods, engine, subject)).toBe('full []');
  });

  it('a GPU pod goes to a used node rather than a pristine one (even a later one)', () => {
    const { snapshot, engine, typicalPods } = liveStrataFleet(
      { nodes: [node('pristine', { gpus: 4 }), node('used', { gpus: 4 })] },
      { seed: SEED, refreshEvery: 1_000_000 },
    );
    engine.restore([{ request: whole(1), binding: { node: 'used', gpus: [0] } }]);
    const subject = whole(1, { cpuMilli: 4000 });
    const plan = engine.decide(engine.prepare(subject));
    expect(plan.outcome === 'fits' && plan.node).toBe('used');
    expect(simulatorChoice(snapshot, typicalPods, engine, subject)).toBe('used [1]');
  });

  it('avoids a node whose CPU the pod would exhaust while its GPUs stay free', () => {
    const { snapshot, engine, typicalPods } = liveStrataFleet(
      { nodes: [node('thin', { gpus: 4, cores: 8 }), node('roomy', { gpus: 4, cores: 64 })] },
      { seed: SEED, refreshEvery: 1_000_000 },
    );
    const subject = cpuOnly(8000);
    const plan = engine.decide(engine.prepare(subject));
    expect(plan.outcome === 'fits' && plan.node).toBe('roomy');
    expect(simulatorChoice(snapshot, typicalPods, engine, subject)).toBe('roomy []');
    if (plan.outcome !== 'fits') return;
    expect(plan.candidates.map((c) => c.node)).toEqual(['roomy', 'thin']);
    expect(plan.candidates[0]!.scores.strata).toBeGreaterThan(plan.candidates[1]!.scores.strata! + 10);
  });

  it.each([
    'strata',
    'FGD',
  ] as const)('%s, random fleets and pod sequences: node and GPUs match the simulator for whole, fractional and CPU-only pods', (policy) => {
    const templates = [
      whole(1),
      whole(2),
      whole(4),
      whole(1, { cpuMilli: 12_000 }),
      cpuOnly(2000),
      cpuOnly(16_000),
      milli(300),
      milli(600, { cpuMilli: 6000 }),
    ];
    const fleetShape = fc.array(
      fc.record({ gpus: fc.constantFrom(0, 2, 4, 8), cores: fc.constantFrom(8, 16, 32, 64) }),
      { minLength: 2, maxLength: 6 },
    );
    const step = fc.record({ template: fc.nat(templates.length - 1), release: fc.boolean() });
    fc.assert(
      fc.property(fleetShape, fc.array(step, { maxLength: 40 }), (shapes, steps) => {
        const fleet = liveStrataFleet({ nodes: shapes.map((x, k) => node(`n${k}`, x)) }, { seed: SEED });
        const { snapshot, typicalPods } = fleet;
        const engine =
          policy === 'strata'
            ? fleet.engine
            : new PlacementEngine(snapshot, placementProfile('FGD', { typicalPods }));
        const bound: string[] = [];
        let n = 0;
        for (const s of steps) {
          const p = { ...templates[s.template]!, id: `p${n++}` };
          const want = simulatorChoice(snapshot, typicalPods, engine, p, policy);
          const d = engine.place(engine.prepare(p));
          expect(d.outcome === 'placed' ? `${d.node} [${d.binding.gpus.join(',')}]` : null).toBe(want);
          if (d.outcome === 'placed') bound.push(d.pod);
          if (s.release && bound.length > 2) engine.release(bound.shift()!);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('live strata profile: filters, decision records, MIG, FGD', () => {
  it('a node a filter rejects is never chosen, even when it would score best', () => {
    const { snapshot, engine, typicalPods } = liveStrataFleet(
      { nodes: [node('pristine', { gpus: 4 }), node('cordoned', { gpus: 4, unschedulable: true })] },
      { seed: SEED, refreshEvery: 1_000_000 },
    );
    // restore books without filtering: the cordoned node becomes the "used" node strata prefers
    engine.restore([{ request: whole(1), binding: { node: 'cordoned', gpus: [0] } }]);
    const subject = whole(1, { cpuMilli: 4000 });
    expect(simulatorChoice(snapshot, typicalPods, engine, subject)).toBe('cordoned [1]');
    const plan = engine.decide(engine.prepare(subject));
    expect(plan.outcome === 'fits' && plan.node).toBe('pristine');
  });

  it('the decision record lists the strata score and the packing tie-break per candidate', () => {
    const { engine } = liveStrataFleet(
      { nodes: [node('a', { gpus: 4 }), node('b', { gpus: 4 }), node('c', { gpus: 4 })] },
      { seed: SEED, refreshEvery: 1_000_000 },
    );
    engine.restore([{ request: whole(1), binding: { node: 'b', gpus: [0] } }]);
    const d = engine.place(engine.prepare(whole(1, { cpuMilli: 4000 })));
    expect(d.outcome).toBe('placed');
    if (d.outcome !== 'placed') return;
    expect(d.node).toBe('b');
    expect(d.candidates.map((c) => c.node)).toEqual(['b', 'a', 'c']);
    for (const c of d.candidates) {
      expect(Object.keys(c.scores)).toEqual([
        'strata',
        'strata-packing',
        'nvlink-preferred',
        'prefer-no-schedule',
        'mig-packing',
      ]);
      expect(Number.isInteger(c.scores.strata)).toBe(true);
      expect(c.scores.strata).toBeGreaterThanOrEqual(0);
      expect(c.scores.strata).toBeLessThanOrEqual(100);
      expect(Object.values(c.scores).reduce((x, y) => x + y, 0)).toBeCloseTo(c.total, 12);
    }
    expect(d.candidates.map((c) => c.scores['strata-packing'])).toEqual([0, -0.5, -0.5]);
  });

  it('a MIG pod scores 0 for fragmentation and still lands on its MIG GPU', () => {
    const { engine } = liveStrataFleet(
      { nodes: [node('m', { gpus: 2, model: 'A100-SXM-80GB', mig: { 0: [] } })] },
      { seed: SEED },
    );
    const d = engine.place(engine.prepare(mig('1g.10gb')));
    expect(d.outcome === 'placed' && d.binding.mig?.gpu).toBe(0);
    expect(d.outcome === 'placed' && d.candidates[0]!.scores.strata).toBe(0);
  });

  it('with no history, the pod itself is the typical shape, and binds teach the tracker', () => {
    const snapshot = liveStrataFleet({ nodes: [node('a', { gpus: 2 }), node('b', { gpus: 2 })] }).snapshot;
    const engine = new PlacementEngine(snapshot);
    expect(engine.profile.policy).toBe('strata'); // the engine's default
    const tracker = engine.profile.typicalPods!;
    expect(tracker.distribution).toEqual([]);
    const d = engine.place(engine.prepare(milli(500)));
    expect(d.outcome).toBe('placed');
    expect(tracker.distribution).toEqual([{ cpuMilli: 1000, gpuMilli: 500, numGpu: 1, models: [], freq: 1 }]);
    // a second half-GPU pod shares the used GPU: the pod-shaped distribution sees no fragment there
    const e = engine.place(engine.prepare(milli(500)));
    if (d.outcome !== 'placed' || e.outcome !== 'placed') throw new Error('not placed');
    expect([e.node, e.binding.gpus]).toEqual([d.node, d.binding.gpus]);
  });

  it('FGD is available as a live profile with the same typical-pod tracker', () => {
    const typicalPods = new TypicalPodTracker({ seed: SEED });
    const { snapshot } = liveStrataFleet({
      nodes: [node('thin', { gpus: 4, cores: 8 }), node('roomy', { gpus: 4 })],
    });
    const engine = new PlacementEngine(snapshot, placementProfile('FGD', { typicalPods }));
    expect(engine.profile.scorers[0]!.name).toBe('fgd');
    const d = engine.place(engine.prepare(cpuOnly(8000)));
    expect(d.outcome === 'placed' && d.node).toBe('roomy');
    expect(typicalPods.total).toBe(SEED.length + 1);
  });
});

describe('typical-pod tracker', () => {
  it('yields typicalPodsOf of everything it counted', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            cpuMilli: fc.constantFrom(1000, 2000, 4000),
            numGpu: fc.constantFrom(0, 1, 2),
            gpuMilli: fc.constantFrom(250, 500, 1000),
            models: fc.constantFrom([], ['H100-SXM-80GB'], ['A100-SXM-80GB', 'H100-SXM-80GB']),
          }),
          { maxLength: 80 },
        ),
        fc.nat(80),
        (pods, cut) => {
          const seed = pods.slice(0, cut);
          const t = new TypicalPodTracker({ seed, refreshEvery: 1 });
          for (const p of pods.slice(cut)) t.record(p);
          expect(t.distribution).toEqual(typicalPodsOf(pods));
        },
      ),
    );
  });

  it('refreshes after 1, 2, 4, … recorded pods while young, then every refreshEvery pods', () => {
    const t = new TypicalPodTracker({ refreshEvery: 8 });
    const refreshedAt: number[] = [];
    for (let n = 1; n <= 40; n++) {
      // alternate shapes so every refresh changes the distribution
      t.record(shape(1000 * ((n % 3) + 1), 1));
      if (t.pending === 0) refreshedAt.push(n);
    }
    expect(refreshedAt).toEqual([1, 2, 4, 8, 16, 24, 32, 40]);
  });

  it('bumps the epoch only when the distribution changes; refresh() forces a recount', () => {
    const t = new TypicalPodTracker({ seed: [shape(1000, 1)], refreshEvery: 1000 });
    const e0 = t.epoch;
    t.record(shape(1000, 1)); // refresh (pending 1 ≥ min(1000, 1)); still one shape with freq 1
    expect(t.pending).toBe(0);
    expect(t.epoch).toBe(e0);
    t.record(shape(2000, 0)); // pending 1 < min(1000, 2)
    expect(t.pending).toBe(1);
    expect(t.distribution).toHaveLength(1);
    t.refresh();
    expect(t.epoch).toBe(e0 + 1);
    expect(t.distribution.map((p) => [p.cpuMilli, p.freq])).toEqual([
      [1000, 2 / 3],
      [2000, 1 / 3],
    ]);
  });

  it('MIG pods are not recorded', () => {
    const { engine, typicalPods } = liveStrataFleet({
      nodes: [node('m', { gpus: 1, model: 'A100-SXM-80GB', mig: { 0: [] } })],
    });
    engine.place(engine.prepare(mig('1g.10gb')));
    expect(typicalPods.total).toBe(0);
  });
});

describe('live strata profile: random placements and releases', () => {
  it('never over-commit (bind throws OverCommitError, so reaching the end proves it)', () => {
    const templates = [
      whole(1),
      whole(2, { nvlink: 'required' }),
      whole(3, { numaAligned: true }),
      whole(2, { nvlink: 'preferred' }),
      milli(250),
      milli(600),
      mig('1g.10gb'),
      mig('3g.40gb'),
      cpuOnly(4000),
      cpuOnly(12_000, { numaAligned: true }),
    ];
    const step = fc.oneof(
      fc.record({ kind: fc.constant('place' as const), template: fc.nat(templates.length - 1) }),
      fc.record({ kind: fc.constant('release' as const), pick: fc.nat(50) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), fc.nat(20), (steps, refreshEvery) => {
        const { engine, snapshot } = liveStrataFleet(
          {
            nodes: [
              node('h100', { gpus: 4, cores: 16, nvlink: (g) => (g < 2 ? 'x' : 'y') }),
              node('a100', { gpus: 4, cores: 16, model: 'A100-SXM-80GB', mig: { 0: [], 1: [] } }),
              node('l4', { gpus: 2, cores: 8, model: 'L4' }),
              node('cpu', { gpus: 0, cores: 32 }),
            ],
          },
          { refreshEvery: refreshEvery + 1 },
        );
        const bound: string[] = [];
        let n = 0;
        for (const s of steps) {
          if (s.kind === 'release') {
            if (bound.length > 0) engine.release(bound.splice(s.pick % bound.length, 1)[0]!);
            continue;
          }
          const d = engine.place(engine.prepare({ ...templates[s.template]!, id: `p${n++}` }));
          if (d.outcome === 'placed') bound.push(d.pod);
        }
        const f = snapshot.fleet;
        for (let i = 0; i < f.size; i++) expect(f.cpuFree[i]).toBeGreaterThanOrEqual(0);
        for (const free of f.gpuFree) expect(free >= 0 && free <= 1000).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('placementProfile("strata") lists the strata scorers', () => {
    expect(
      placementProfile('strata')
        .scorers.map((s) => s.name)
        .slice(0, 2),
    ).toEqual(['strata', 'strata-packing']);
  });
});
