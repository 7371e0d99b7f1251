import { describe, expect, it } from 'vitest';
import { FILTER_NAMES } from '../../src/scheduling/placement-reasons.js';
import { placementProfile } from '../../src/scheduling/placement-scorers.js';
import { decideAfter, liveFleet, mig, node, tenant, whole } from './live-builders.js';

describe('live placement: decision records', () => {
  it('a placement names the node, GPUs, binding and the top 3 candidates with a per-scorer breakdown', () => {
    const { engine } = liveFleet({
      nodes: [
        node('n8', { gpus: 8 }),
        node('n2', { gpus: 2 }),
        node('n4', { gpus: 4 }),
        node('n6', { gpus: 6 }),
      ],
      tenants: [tenant('acme')],
    });
    const d = engine.place(engine.prepare(whole(1, { id: 'p1', tenant: 'acme', cpuMilli: 2000 })));
    expect(d.outcome).toBe('placed');
    if (d.outcome !== 'placed') return;
    expect(d.node).toBe('n2');
    expect(d.binding).toEqual({
      pod: 'p1',
      node: 'n2',
      gpus: [0],
      gpuUuids: ['GPU-n2-0'],
      numa: -1,
      cpuByNuma: [2000, 0],
      drawWatts: 700,
      isolationUnit: 'acme',
    });
    expect(d.candidates.map((c) => c.node)).toEqual(['n2', 'n4', 'n6']);
    expect(d.candidates[0]!.total).toBe(d.score);
    for (const c of d.candidates) {
      expect(Object.keys(c.scores)).toEqual([
        'best-fit',
        'nvlink-preferred',
        'prefer-no-schedule',
        'mig-packing',
      ]);
      expect(Object.values(c.scores).reduce((a, b) => a + b, 0)).toBe(c.total);
    }
    const totals = d.candidates.map((c) => c.total);
    expect([...totals].sort((a, b) => b - a)).toEqual(totals);
  });

  it('keeps fewer candidates when fewer nodes fit', () => {
    const { plan } = decideAfter({ nodes: [node('a', { gpus: 1 }), node('b', { gpus: 4 })] }, [], whole(2));
    expect(plan.outcome === 'fits' && plan.candidates.map((c) => c.node)).toEqual(['b']);
  });

  it('a MIG placement records the slice (GPU, profile, start) and whether it was created', () => {
    const { engine } = liveFleet({ nodes: [node('m', { gpus: 1, model: 'A100-SXM-80GB', mig: { 0: [] } })] });
    const d = engine.place(engine.prepare(mig('2g.20gb')));
    expect(d.outcome === 'placed' && d.binding.mig).toEqual({
      gpu: 0,
      profile: '2g.20gb',
      start: 0,
      created: true,
    });
  });

  it('an infeasible pod gets, per filter, how many nodes it rejected and why', () => {
    const { engine } = liveFleet({
      nodes: [
        node('label', { labels: { pool: 'other' } }),
        node('taint', { labels: { pool: 'p' }, taints: [{ key: 'k', effect: 'NoSchedule' }] }),
        node('down', { labels: { pool: 'p' }, state: 'NotReady' }),
        node('cordon', { labels: { pool: 'p' }, unschedulable: true }),
        node('busy1', { labels: { pool: 'p' }, gpus: 2 }),
        node('busy2', { labels: { pool: 'p' }, gpus: 2 }),
        node('small', { labels: { pool: 'p' }, cores: 2 }),
      ],
    });
    for (const n of [4, 5])
      engine.place(
        engine.prepare(whole(2)),
        Uint8Array.from({ length: 7 }, (_, i) => (i === n ? 1 : 0)),
      );
    const d = engine.place(engine.prepare(whole(2, { cpuMilli: 4000, nodeSelector: { pool: 'p' } })));
    expect(d.outcome).toBe('unschedulable');
    if (d.outcome !== 'unschedulable') return;
    expect(d.verdict).toBe('not-now');
    expect(d.nodesConsidered).toBe(7);
    expect(d.rejections.map((r) => [r.filter, r.reason, r.nodes])).toEqual([
      ['node-selector', 'node-selector-mismatch', 1],
      ['taint-toleration', 'untolerated-taint', 1],
      ['node-condition', 'node-not-ready', 1],
      ['node-condition', 'node-unschedulable', 1],
      ['resource-fit', 'insufficient-cpu', 1],
      ['resource-fit', 'insufficient-gpu', 2],
    ]);
    expect(d.rejections.every((r) => r.message.length > 0)).toBe(true);
    expect(d.rejections.every((r) => (FILTER_NAMES as readonly string[]).includes(r.filter))).toBe(true);
    expect(d.message).toMatch(/fits no node now: 2 × not enough free eligible GPUs/);
    expect(d.requeueOn).toEqual(['capacity-freed', 'node-changed']);
  });

  interface VerdictCase {
    readonly rule: string;
    readonly pod: ReturnType<typeof whole>;
    readonly fillFirst: boolean;
    readonly want: 'never-fits' | 'not-now';
  }
  const verdicts: VerdictCase[] = [
    { rule: 'more GPUs than any node has: never fits', pod: whole(9), fillFirst: false, want: 'never-fits' },
    {
      rule: 'more cores than any node has: never fits',
      pod: whole(1, { cpuMilli: 65_000 }),
      fillFirst: false,
      want: 'never-fits',
    },
    {
      rule: 'fits an empty node but the fleet is full: not now',
      pod: whole(8),
      fillFirst: true,
      want: 'not-now',
    },
    {
      rule: 'NVLink domain smaller than the pod: never fits',
      pod: whole(4, { nvlink: 'required' }),
      fillFirst: false,
      want: 'never-fits',
    },
  ];
  it.each(verdicts)('verdict: $rule', (c) => {
    const { engine } = liveFleet({ nodes: [node('a', { gpus: 8, nvlink: (g) => `d${g % 4}` })] });
    if (c.fillFirst) engine.place(engine.prepare(whole(1)));
    const d = engine.place(engine.prepare(c.pod));
    expect(d.outcome === 'unschedulable' && d.verdict).toBe(c.want);
    if (c.want === 'never-fits')
      expect(d.outcome === 'unschedulable' && d.requeueOn).toEqual(['fleet-changed']);
  });

  it('decisions are plain JSON data', () => {
    const { engine } = liveFleet({ nodes: [node('a', { gpus: 1 })] });
    const placed = engine.place(engine.prepare(whole(1)));
    const refused = engine.place(engine.prepare(whole(1)));
    for (const d of [placed, refused]) expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });
});

describe('live placement: restoring existing allocations', () => {
  it('books allocations from the store where they are and reports the ones that would over-commit', () => {
    const { engine, snapshot } = liveFleet({ nodes: [node('a', { gpus: 2 })] });
    const result = engine.restore([
      { request: whole(1, { id: 'x' }), binding: { node: 'a', gpus: [1] } },
      { request: whole(1, { id: 'y' }), binding: { node: 'a', gpus: [1] } },
      { request: whole(1, { id: 'z' }), binding: { node: 'gone', gpus: [0] } },
    ]);
    expect(result.restored.map((b) => [b.pod, b.gpus])).toEqual([['x', [1]]]);
    expect(result.conflicts.map((c) => [c.pod, c.reason])).toEqual([
      ['y', 'GPU 1 lacks milli-GPU'],
      ['z', 'node is not in the snapshot'],
    ]);
    expect(snapshot.fleet.gpuFreeOf(0)).toEqual([1000, 0]);
    const next = engine.place(engine.prepare(whole(1)));
    expect(next.outcome === 'placed' && next.binding.gpus).toEqual([0]);
  });
});

describe('live placement: profiles by policy name', () => {
  it.each([
    'BestFit',
    'DotProd',
    'GpuPacking',
    'GpuClustering',
  ])('%s places a pod and names its main scorer', (policy) => {
    const { engine } = liveFleet({ nodes: [node('a', { gpus: 2 }), node('b', { gpus: 8 })], policy });
    const d = engine.place(engine.prepare(whole(1)));
    expect(d.outcome).toBe('placed');
    expect(d.outcome === 'placed' && Object.keys(d.candidates[0]!.scores)).toHaveLength(4);
  });

  it('an unknown policy is refused with the valid names', () => {
    expect(() => placementProfile('Tetris')).toThrow(
      /valid: BestFit, DotProd, GpuPacking, GpuClustering, FGD, strata/,
    );
  });
});
