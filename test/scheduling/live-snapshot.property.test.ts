import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findAcceleratorModel } from '../../src/hardware/accelerator-models.js';
import { placeMigLayout } from '../../src/hardware/mig.js';
import { type Binding, FleetSnapshot } from '../../src/scheduling/fleet-snapshot.js';
import { OverCommitError } from '../../src/scheduling/gpu-fleet.js';
import { bestFitScore } from '../../src/scheduling/gpu-policies.js';
import { PlacementEngine } from '../../src/scheduling/placement-engine.js';
import type { PodRequest } from '../../src/scheduling/placement-request.js';
import {
  fromGpuNodeScore,
  type PlacementProfile,
  placementProfile,
} from '../../src/scheduling/placement-scorers.js';
import { syntheticFleet } from '../../src/scheduling/synthetic-fleet.js';
import { cpuOnly, liveFleet, mig, milli, node, tenant, whole } from './live-builders.js';

const templates: readonly Omit<PodRequest, 'id'>[] = [
  whole(1),
  whole(2, { nvlink: 'required' }),
  whole(3, { numaAligned: true }),
  whole(1, { tenant: 'vault' }),
  whole(1, { tenant: 'acme', models: ['L4'] }),
  milli(250),
  milli(600, { tenant: 'acme' }),
  milli(500, { tenant: 'vault' }),
  mig('1g.10gb'),
  mig('3g.40gb', { tenant: 'acme' }),
  mig('2g.20gb', { numaAligned: true }),
  cpuOnly(4000, { numaAligned: true }),
];

function fixture() {
  return liveFleet({
    nodes: [
      node('h100', { gpus: 4, cores: 16, nvlink: (g) => (g < 2 ? 'x' : 'y') }),
      node('a100', {
        gpus: 4,
        cores: 16,
        model: 'A100-SXM-80GB',
        mig: { 0: [{ profile: '3g.40gb', start: 0 }, { profile: '1g.10gb' }], 1: [] },
      }),
      node('l4', { gpus: 2, cores: 8, model: 'L4' }),
    ],
    tenants: [tenant('vault', { isolation: 'hard' }), tenant('acme')],
  });
}

/** Every capacity invariant, from the bindings alone (independent of the snapshot's aggregates). */
function checkInvariants(
  s: FleetSnapshot,
  bindings: ReadonlyMap<string, { binding: Binding; milli: number; cpu: number }>,
) {
  const f = s.fleet;
  const usedMilli = new Float64Array(f.gpuFree.length);
  const usedCpu = new Float64Array(s.size);
  for (const { binding, milli: m, cpu } of bindings.values()) {
    const i = s.indexOf(binding.node);
    usedCpu[i]! += cpu;
    for (const g of binding.gpus) usedMilli[f.gpuStart[i]! + g]! += m;
  }
  for (let i = 0; i < s.size; i++) {
    expect(f.cpuFree[i]).toBe(f.cpuCapacity[i]! - usedCpu[i]!);
    let numaSum = 0;
    for (let u = 0; u < s.nodeNumaCount[i]!; u++) {
      const free = s.numaCpuFree[s.numaStart[i]! + u]!;
      expect(free).toBeGreaterThanOrEqual(0);
      numaSum += free;
    }
    expect(numaSum).toBe(f.cpuFree[i]);
    expect(f.memFree[i]).toBeGreaterThanOrEqual(0);
    for (let G = f.gpuStart[i]!; G < f.gpuStart[i]! + f.gpuCount[i]!; G++) {
      if (s.gpuMig[G] === 1) {
        expect(f.gpuFree[G]).toBe(0);
        const model = findAcceleratorModel(s.models.values[s.gpuModel[G]!]!)!;
        const instances = s.migInstances[G]!;
        // The instances present form a layout NVIDIA allows (no overlap, limits held).
        expect(
          placeMigLayout(
            model,
            instances.map((x) => ({ profile: x.profile, start: x.start })),
          ).ok,
        ).toBe(true);
        const inUse = instances.filter((x) => x.inUse).length;
        const bound = [...bindings.values()].filter(
          (b) => b.binding.node === s.names[i] && b.binding.mig && f.gpuStart[i]! + b.binding.mig.gpu === G,
        ).length;
        expect(inUse).toBe(bound);
      } else {
        expect(usedMilli[G]).toBeLessThanOrEqual(1000);
        expect(f.gpuFree[G]).toBe(1000 - usedMilli[G]!);
      }
    }
  }
}

type Op =
  | { kind: 'place'; template: number }
  | { kind: 'release'; pick: number }
  | { kind: 'raw'; template: number; node: number; gpus: number[]; migStart: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('place' as const), template: fc.nat(templates.length - 1) }),
  fc.record({ kind: fc.constant('release' as const), pick: fc.nat(50) }),
  fc.record({
    kind: fc.constant('raw' as const),
    template: fc.nat(templates.length - 1),
    node: fc.nat(2),
    gpus: fc.array(fc.nat(4), { maxLength: 4 }),
    migStart: fc.nat(7),
  }),
);

describe('live snapshot: random bind / release sequences', () => {
  it('never over-commit a GPU, MIG slice or milli-GPU, and release restores the snapshot exactly', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const { engine, snapshot } = fixture();
        const initial = snapshot.stateDigest();
        const bound = new Map<string, { binding: Binding; milli: number; cpu: number }>();
        let serial = 0;
        for (const o of ops) {
          if (o.kind === 'release') {
            const ids = [...bound.keys()];
            if (ids.length === 0) continue;
            const id = ids[o.pick % ids.length]!;
            engine.release(id);
            bound.delete(id);
          } else {
            const t = templates[o.template]!;
            const pod = engine.prepare({ ...t, id: `p${serial++}` });
            const before = snapshot.stateDigest();
            if (o.kind === 'place') {
              const d = engine.place(pod);
              if (d.outcome === 'placed') {
                bound.set(d.pod, { binding: d.binding, milli: pod.gpuMilli, cpu: pod.cpuMilli });
                // Release then re-bind: the round trip is the identity.
                const after = snapshot.stateDigest();
                engine.release(d.pod);
                expect(snapshot.stateDigest()).toBe(before);
                snapshot.bind(snapshot.indexOf(d.node), pod, {
                  gpus: d.binding.gpus,
                  numa: d.binding.numa,
                  ...(d.binding.mig ? { mig: d.binding.mig } : {}),
                });
                expect(snapshot.stateDigest()).toBe(after);
              } else expect(snapshot.stateDigest()).toBe(before);
            } else {
              // A raw bind of arbitrary GPUs / slice: either valid, or refused with nothing changed.
              try {
                const b = snapshot.bind(o.node, pod, {
                  gpus: pod.gpuKind === 'mig' ? [] : o.gpus,
                  numa: -1,
                  ...(pod.gpuKind === 'mig'
                    ? { mig: { gpu: o.gpus[0] ?? 0, profile: pod.migProfile!, start: o.migStart } }
                    : {}),
                });
                bound.set(b.pod, { binding: b, milli: pod.gpuMilli, cpu: pod.cpuMilli });
              } catch (e) {
                expect(e).toBeInstanceOf(OverCommitError);
                expect(snapshot.stateDigest()).toBe(before);
              }
            }
          }
          checkInvariants(snapshot, bound);
        }
        for (const id of [...bound.keys()].reverse()) engine.release(id);
        expect(snapshot.stateDigest()).toBe(initial);
      }),
      { numRuns: 300 },
    );
  });
});

describe('live placement: the capacity-grid walk is exact', () => {
  const unboundedBestFit: PlacementProfile = {
    ...placementProfile('BestFit'),
    scorers: [fromGpuNodeScore('best-fit', bestFitScore), ...placementProfile('BestFit').scorers.slice(1)],
  };
  const podArb = fc.record({
    cpu: fc.integer({ min: 0, max: 48 }),
    kind: fc.constantFrom('whole', 'milli', 'none'),
    n: fc.integer({ min: 1, max: 8 }),
    m: fc.integer({ min: 1, max: 999 }),
    nvlink: fc.constantFrom('none', 'preferred', 'required'),
  });
  const toRequest = (p: typeof podArb extends fc.Arbitrary<infer T> ? T : never, id: string): PodRequest => ({
    id,
    cpuMilli: p.cpu * 1000,
    memoryBytes: 2 ** 30,
    accelerators:
      p.kind === 'whole'
        ? { kind: 'whole', count: p.n }
        : p.kind === 'milli'
          ? { kind: 'milli', milli: p.m }
          : { kind: 'none' },
    nvlink: p.nvlink as 'none' | 'preferred' | 'required',
  });
  it('BestFit over the grid finds the same best score as a scan of every eligible node', () => {
    fc.assert(
      fc.property(fc.array(podArb, { maxLength: 120 }), podArb, (fill, subject) => {
        const fleet = syntheticFleet({ nodes: 40, preferNoScheduleEvery: 7 });
        const a = new FleetSnapshot(fleet);
        const b = new FleetSnapshot(fleet);
        const grid = new PlacementEngine(a, placementProfile('BestFit'));
        const scan = new PlacementEngine(b, unboundedBestFit);
        // The same fill on both: placed by the scan engine, bound on the grid's snapshot at the same spot.
        fill.forEach((p, k) => {
          const pod = toRequest(p, `f${k}`);
          const d = scan.place(scan.prepare(pod));
          if (d.outcome !== 'placed') return;
          a.bind(a.indexOf(d.node), grid.prepare(pod), { gpus: d.binding.gpus, numa: d.binding.numa });
        });
        const pg = grid.decide(grid.prepare(toRequest(subject, 'subject')));
        const ps = scan.decide(scan.prepare(toRequest(subject, 'subject')));
        expect(pg.outcome).toBe(ps.outcome);
        if (pg.outcome === 'fits' && ps.outcome === 'fits') {
          expect(pg.score).toBe(ps.score);
          expect(pg.candidates.map((c) => c.total)).toEqual(ps.candidates.map((c) => c.total));
        }
      }),
      { numRuns: 200 },
    );
  });
});
