import { describe, expect, it } from 'vitest';
import type { PodPlan } from '../../src/scheduling/placement-decision.js';
import type { RejectionReason } from '../../src/scheduling/placement-reasons.js';
import type { PodRequest } from '../../src/scheduling/placement-request.js';
import { cpuOnly, GIB, liveFleet, mig, milli, type NodeOptions, node, pod, whole } from './live-builders.js';

interface FitCase {
  readonly rule: string;
  readonly nodes: readonly [string, NodeOptions][];
  /** Pods placed (and bound) before the pod under test. */
  readonly before?: readonly PodRequest[];
  readonly pod: PodRequest;
  /** Expected placement, or the reason every node rejected the pod. */
  readonly want:
    | { node: string; gpus?: number[]; mig?: { gpu: number; profile: string; start: number } }
    | { rejected: RejectionReason };
}

const A100_MIG_ALL = { 0: [] as { profile: string; start?: number }[] };

const cases: FitCase[] = [
  {
    rule: 'CPU: a pod needing more cores than any node has left is rejected for CPU',
    nodes: [['n1', { cores: 8 }]],
    pod: cpuOnly(9000),
    want: { rejected: 'insufficient-cpu' },
  },
  {
    rule: 'memory: a pod needing more memory than the node has left is rejected for memory',
    nodes: [['n1', { memoryGi: 16 }]],
    before: [pod({ memoryBytes: 10 * GIB })],
    pod: pod({ memoryBytes: 8 * GIB }),
    want: { rejected: 'insufficient-memory' },
  },
  {
    rule: 'whole GPUs: only fully free GPUs count; the lowest free indices are taken',
    nodes: [['n1', { gpus: 4 }]],
    before: [milli(100)],
    pod: whole(3),
    want: { node: 'n1', gpus: [1, 2, 3] },
  },
  {
    rule: 'whole GPUs: a partly used GPU does not make up the count',
    nodes: [['n1', { gpus: 2 }]],
    before: [milli(100)],
    pod: whole(2),
    want: { rejected: 'insufficient-gpu' },
  },
  {
    rule: 'fractional GPU: goes to the GPU with the least free milli-GPU that fits (best fit)',
    nodes: [['n1', { gpus: 3 }]],
    before: [milli(700), milli(500)],
    pod: milli(400),
    want: { node: 'n1', gpus: [1] },
  },
  {
    rule: 'fractional GPU: never split over two GPUs',
    nodes: [['n1', { gpus: 2 }]],
    before: [milli(600), milli(600)],
    pod: milli(500),
    want: { rejected: 'insufficient-gpu' },
  },
  {
    rule: 'BestFit packs: the node with the least left after placing wins',
    nodes: [
      ['roomy', { gpus: 8 }],
      ['tight', { gpus: 2 }],
    ],
    pod: whole(1),
    want: { node: 'tight', gpus: [0] },
  },
  {
    rule: 'min GPU memory: GPUs with less memory than asked are not eligible',
    nodes: [
      ['small', { gpus: 2, model: 'L4' }],
      ['big', { gpus: 8, model: 'H100-SXM-80GB' }],
    ],
    pod: whole(1, { minGpuMemoryBytes: 40 * GIB }),
    want: { node: 'big', gpus: [0] },
  },
  {
    rule: 'min GPU memory: a node whose every GPU is too small is rejected for GPU memory',
    nodes: [['small', { gpus: 2, model: 'L4' }]],
    pod: whole(1, { minGpuMemoryBytes: 40 * GIB }),
    want: { rejected: 'gpu-memory-too-small' },
  },
  {
    rule: 'min GPU memory: a declared smaller memory (e.g. a capped board) is honoured per GPU',
    nodes: [['n1', { gpus: 2, gpuMemoryGi: 40 }]],
    pod: whole(1, { minGpuMemoryBytes: 64 * GIB }),
    want: { rejected: 'gpu-memory-too-small' },
  },
  {
    rule: 'MIG: whole-GPU pods never use a GPU in MIG mode',
    nodes: [['n1', { gpus: 2, model: 'A100-SXM-80GB', mig: A100_MIG_ALL }]],
    pod: whole(2),
    want: { rejected: 'insufficient-gpu' },
  },
  {
    rule: 'MIG: a pod takes an idle declared instance of its profile without reconfiguring',
    nodes: [['n1', { gpus: 1, model: 'A100-SXM-80GB', mig: { 0: [{ profile: '3g.40gb', start: 4 }] } }]],
    pod: mig('3g.40gb'),
    want: { node: 'n1', gpus: [], mig: { gpu: 0, profile: '3g.40gb', start: 4 } },
  },
  {
    rule: 'MIG: a new instance starts at the first start NVIDIA allows that is free',
    nodes: [['n1', { gpus: 1, model: 'A100-SXM-80GB', mig: { 0: [{ profile: '1g.10gb', start: 0 }] } }]],
    before: [mig('1g.10gb')],
    pod: mig('2g.20gb'),
    want: { node: 'n1', gpus: [], mig: { gpu: 0, profile: '2g.20gb', start: 2 } },
  },
  {
    rule: 'MIG: 3g needs start 0 or 4; with slices 0 and 4 taken there is no room',
    nodes: [
      [
        'n1',
        {
          gpus: 1,
          model: 'A100-SXM-80GB',
          mig: {
            0: [
              { profile: '1g.10gb', start: 0 },
              { profile: '1g.10gb', start: 4 },
            ],
          },
        },
      ],
    ],
    pod: mig('3g.40gb'),
    want: { rejected: 'no-free-mig-slice' },
  },
  {
    rule: 'MIG: the per-GPU instance limit holds (one 1g.10gb+me per GPU)',
    nodes: [['n1', { gpus: 1, model: 'A100-SXM-80GB', mig: A100_MIG_ALL }]],
    before: [mig('1g.10gb+me')],
    pod: mig('1g.10gb+me'),
    want: { rejected: 'no-free-mig-slice' },
  },
  {
    rule: 'MIG: a profile of another model is not offered (no MIG GPU with that profile)',
    nodes: [['n1', { gpus: 1, model: 'A100-SXM-80GB', mig: A100_MIG_ALL }]],
    pod: mig('1g.12gb'),
    want: { rejected: 'no-mig-gpu' },
  },
  {
    rule: 'MIG: min GPU memory applies to the profile, not the whole GPU',
    nodes: [['n1', { gpus: 1, model: 'A100-SXM-80GB', mig: A100_MIG_ALL }]],
    pod: mig('1g.10gb', { minGpuMemoryBytes: 20 * GIB }),
    want: { rejected: 'gpu-memory-too-small' },
  },
  {
    rule: 'MIG: packing puts the slice on the GPU with the most slices already in use',
    nodes: [
      ['n1', { gpus: 2, model: 'A100-SXM-80GB', mig: { 0: [], 1: [{ profile: '3g.40gb', start: 0 }] } }],
    ],
    before: [mig('3g.40gb')],
    pod: mig('1g.10gb'),
    want: { node: 'n1', gpus: [], mig: { gpu: 1, profile: '1g.10gb', start: 4 } },
  },
];

function run(c: FitCase): PodPlan {
  const { engine } = liveFleet({ nodes: c.nodes.map(([name, o]) => node(name, o)) });
  for (const p of c.before ?? []) {
    const d = engine.place(engine.prepare(p));
    expect(d.outcome, `setup pod ${p.id}`).toBe('placed');
  }
  return engine.decide(engine.prepare(c.pod));
}

describe('live placement: resource fit (CPU, memory, whole / fractional GPU, MIG, GPU memory)', () => {
  it.each(cases)('$rule', (c) => {
    const plan = run(c);
    if ('rejected' in c.want) {
      expect(plan.outcome).toBe('unschedulable');
      if (plan.outcome !== 'unschedulable') return;
      expect(plan.rejections.map((r) => r.reason)).toEqual([c.want.rejected]);
    } else {
      expect(plan.outcome).toBe('fits');
      if (plan.outcome !== 'fits') return;
      expect(plan.node).toBe(c.want.node);
      if (c.want.gpus) expect(plan.assignment.gpus).toEqual(c.want.gpus);
      if (c.want.mig) expect(plan.assignment.mig).toEqual(c.want.mig);
    }
  });

  it('releasing a MIG pod destroys a created instance and frees a declared one again', () => {
    const { engine, snapshot } = liveFleet({
      nodes: [
        node('n1', { gpus: 1, model: 'A100-SXM-80GB', mig: { 0: [{ profile: '3g.40gb', start: 0 }] } }),
      ],
    });
    const before = snapshot.stateDigest();
    const a = engine.place(engine.prepare(mig('3g.40gb')));
    const b = engine.place(engine.prepare(mig('3g.40gb')));
    expect(a.outcome === 'placed' && a.binding.mig).toEqual({
      gpu: 0,
      profile: '3g.40gb',
      start: 0,
      created: false,
    });
    expect(b.outcome === 'placed' && b.binding.mig).toEqual({
      gpu: 0,
      profile: '3g.40gb',
      start: 4,
      created: true,
    });
    expect(snapshot.migInstances[0]).toHaveLength(2);
    engine.release(b.pod);
    engine.release(a.pod);
    expect(snapshot.migInstances[0]).toEqual([
      { profile: '3g.40gb', start: 0, size: 4, declared: true, inUse: false },
    ]);
    expect(snapshot.stateDigest()).toBe(before);
  });
});
