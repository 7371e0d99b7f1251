import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/runtime/rng.js';
import type { TypicalPod } from '../../src/scheduling/fgd-fragmentation.js';
import { fits } from '../../src/scheduling/gpu-fit.js';
import { GpuFleet, type GpuNodeSpec, type GpuPodRequest } from '../../src/scheduling/gpu-fleet.js';
import {
  createGpuPolicy,
  GPU_POLICY_NAMES,
  type GpuPolicyName,
  type TieBreak,
  UnknownPolicyError,
} from '../../src/scheduling/gpu-policies.js';
import { cpuPod, gpuNode, gpuPod, sharedPod, wholeGpuPod } from './gpu-builders.js';

const ANY_TYPICAL: TypicalPod[] = [{ cpuMilli: 4_000, gpuMilli: 1000, numGpu: 1, models: [], freq: 1 }];

function fleetWith(
  nodes: readonly GpuNodeSpec[],
  bound: readonly (readonly [number, GpuPodRequest, readonly number[]])[] = [],
): GpuFleet {
  const fleet = new GpuFleet(nodes);
  for (const [node, pod, gpus] of bound) fleet.bind(node, fleet.compile(pod), gpus);
  return fleet;
}

function place(
  policy: GpuPolicyName,
  fleet: GpuFleet,
  pod: GpuPodRequest,
  options: { typicalPods?: TypicalPod[]; seed?: number; tieBreak?: TieBreak } = {},
) {
  const p = createGpuPolicy(policy, {
    fleet,
    rng: new Rng(options.seed ?? 1),
    typicalPods: options.typicalPods ?? ANY_TYPICAL,
    tieBreak: options.tieBreak ?? 'first',
  });
  const placement = p.place(fleet.compile(pod));
  return placement && { node: fleet.names[placement.node], gpus: placement.gpus };
}

interface PolicyCase {
  readonly rule: string;
  readonly policy: GpuPolicyName;
  readonly nodes: GpuNodeSpec[];
  readonly bound?: (readonly [number, GpuPodRequest, readonly number[]])[];
  readonly pod: GpuPodRequest;
  readonly typicalPods?: TypicalPod[];
  readonly want: { node: string; gpus: number[] };
}

const cases: PolicyCase[] = [
  {
    rule: 'BestFit takes the node left with the least CPU and GPU after placing',
    policy: 'BestFit',
    nodes: [gpuNode('big', { gpuCount: 8 }), gpuNode('small', { gpuCount: 2 })],
    pod: wholeGpuPod(1),
    want: { node: 'small', gpus: [0] },
  },
  {
    rule: 'BestFit puts a fraction on the fitting GPU with the least free milli-GPU',
    policy: 'BestFit',
    nodes: [gpuNode('n', { gpuCount: 3 })],
    bound: [
      [0, sharedPod(200), [0]],
      [0, sharedPod(600), [2]],
    ],
    pod: sharedPod(300),
    want: { node: 'n', gpus: [2] },
  },
  {
    rule: 'DotProd prefers the node whose free resources align least with the request (Tetris, merged GPU dim)',
    policy: 'DotProd',
    nodes: [gpuNode('eight', { gpuCount: 8 }), gpuNode('two', { gpuCount: 2 })],
    pod: wholeGpuPod(1),
    want: { node: 'two', gpus: [0] },
  },
  {
    rule: 'GpuClustering sends a shared pod to the node that only runs shared pods',
    policy: 'GpuClustering',
    nodes: [gpuNode('whole'), gpuNode('shared'), gpuNode('idle')],
    bound: [
      [0, wholeGpuPod(1), [0]],
      [1, sharedPod(200), [0]],
    ],
    pod: sharedPod(300),
    want: { node: 'shared', gpus: [0] },
  },
  {
    rule: 'GpuClustering sends a 1-GPU pod to the node running 1-GPU pods',
    policy: 'GpuClustering',
    nodes: [gpuNode('shared'), gpuNode('idle'), gpuNode('whole')],
    bound: [
      [0, sharedPod(200), [0]],
      [2, wholeGpuPod(1), [0]],
    ],
    pod: wholeGpuPod(1),
    want: { node: 'whole', gpus: [1] },
  },
  {
    rule: 'GpuPacking puts a fraction on an already shared GPU before touching a free one',
    policy: 'GpuPacking',
    nodes: [gpuNode('idle', { gpuCount: 1 }), gpuNode('used', { gpuCount: 2 })],
    bound: [[1, sharedPod(400), [1]]],
    pod: sharedPod(500),
    want: { node: 'used', gpus: [1] },
  },
  {
    rule: 'GpuPacking puts whole GPUs on a used node before opening an idle one',
    policy: 'GpuPacking',
    nodes: [gpuNode('idle', { gpuCount: 8 }), gpuNode('used', { gpuCount: 8 })],
    bound: [[1, sharedPod(100), [0]]],
    pod: wholeGpuPod(2),
    want: { node: 'used', gpus: [1, 2] },
  },
  {
    rule: 'FGD fills the leftover fraction that typical pods could not use',
    policy: 'FGD',
    nodes: [gpuNode('fresh', { gpuCount: 1 }), gpuNode('fragment', { gpuCount: 1 })],
    bound: [[1, sharedPod(500), [0]]],
    typicalPods: [{ cpuMilli: 1_000, gpuMilli: 600, numGpu: 1, models: [], freq: 1 }],
    pod: sharedPod(500),
    want: { node: 'fragment', gpus: [0] },
  },
  {
    rule: 'FGD picks, on the node, the GPU whose fragment disappears',
    policy: 'FGD',
    nodes: [gpuNode('n', { gpuCount: 2 })],
    bound: [[0, sharedPod(700), [1]]],
    typicalPods: [{ cpuMilli: 1_000, gpuMilli: 600, numGpu: 1, models: [], freq: 1 }],
    pod: sharedPod(300),
    want: { node: 'n', gpus: [1] },
  },
  {
    rule: 'FGD avoids leaving a GPU too small for the typical pods',
    policy: 'FGD',
    nodes: [gpuNode('a', { gpuCount: 1 }), gpuNode('b', { gpuCount: 1 })],
    bound: [[0, sharedPod(300), [0]]],
    typicalPods: [{ cpuMilli: 1_000, gpuMilli: 700, numGpu: 1, models: [], freq: 1 }],
    pod: sharedPod(300),
    want: { node: 'b', gpus: [0] },
  },
  {
    rule: 'strata puts a CPU-only pod where no GPU is left to strand',
    policy: 'strata',
    nodes: [gpuNode('gpus-free', { gpuCount: 2 }), gpuNode('gpus-taken', { gpuCount: 2 })],
    bound: [[1, wholeGpuPod(2, { cpuMilli: 1_000 }), [0, 1]]],
    typicalPods: [{ cpuMilli: 1_000, gpuMilli: 1000, numGpu: 1, models: [], freq: 1 }],
    pod: cpuPod(8_000),
    want: { node: 'gpus-taken', gpus: [] },
  },
  {
    rule: 'strata keeps a pristine node whole when a used node scores the same',
    policy: 'strata',
    nodes: [gpuNode('pristine', { gpuCount: 8 }), gpuNode('used', { gpuCount: 8 })],
    bound: [[1, wholeGpuPod(1), [0]]],
    typicalPods: [{ cpuMilli: 1_000, gpuMilli: 1000, numGpu: 1, models: [], freq: 1 }],
    pod: wholeGpuPod(1),
    want: { node: 'used', gpus: [1] },
  },
  {
    rule: 'strata avoids the node whose CPU the pod would exhaust while GPUs stay free',
    policy: 'strata',
    nodes: [gpuNode('cpu-poor', { gpuCount: 4, cpuMilli: 16_000 }), gpuNode('cpu-rich', { gpuCount: 4 })],
    typicalPods: [{ cpuMilli: 4_000, gpuMilli: 1000, numGpu: 1, models: [], freq: 1 }],
    pod: wholeGpuPod(1, { cpuMilli: 12_000 }),
    want: { node: 'cpu-rich', gpus: [0] },
  },
  {
    rule: 'FGD, blind to CPU stranding, takes the first of the two nodes above',
    policy: 'FGD',
    nodes: [gpuNode('cpu-poor', { gpuCount: 4, cpuMilli: 16_000 }), gpuNode('cpu-rich', { gpuCount: 4 })],
    typicalPods: [{ cpuMilli: 4_000, gpuMilli: 1000, numGpu: 1, models: [], freq: 1 }],
    pod: wholeGpuPod(1, { cpuMilli: 12_000 }),
    want: { node: 'cpu-poor', gpus: [0] },
  },
  {
    rule: 'strata, like FGD, fills the leftover fraction that typical pods could not use',
    policy: 'strata',
    nodes: [gpuNode('fresh', { gpuCount: 1 }), gpuNode('fragment', { gpuCount: 1 })],
    bound: [[1, sharedPod(500), [0]]],
    typicalPods: [{ cpuMilli: 1_000, gpuMilli: 600, numGpu: 1, models: [], freq: 1 }],
    pod: sharedPod(500),
    want: { node: 'fragment', gpus: [0] },
  },
];

describe('placement policies on hand-built fleets', () => {
  it.each(cases)('$rule', ({ policy, nodes, bound, pod, typicalPods, want }) => {
    expect(place(policy, fleetWith(nodes, bound), pod, typicalPods ? { typicalPods } : {})).toEqual(want);
  });

  it.each(GPU_POLICY_NAMES)('%s returns null when no node fits', (policy) => {
    const fleet = fleetWith([gpuNode('n', { gpuCount: 1 })], [[0, sharedPod(600), [0]]]);
    expect(place(policy, fleet, sharedPod(500))).toBeNull();
  });

  it.each(GPU_POLICY_NAMES)('%s honours the model any-of list', (policy) => {
    const fleet = fleetWith([gpuNode('t4', { model: 'T4' }), gpuNode('a10', { model: 'A10' })]);
    expect(place(policy, fleet, wholeGpuPod(1, { models: ['A10'] }))?.node).toBe('a10');
  });

  it.each(GPU_POLICY_NAMES)('%s never places a pod on a node lacking CPU', (policy) => {
    const fleet = fleetWith([gpuNode('tiny', { cpuMilli: 1_000 }), gpuNode('roomy')]);
    expect(place(policy, fleet, cpuPod(2_000))?.node).toBe('roomy');
  });

  it('Random picks among feasible nodes only, and reaches each of them over seeds', () => {
    const fleet = fleetWith(
      [gpuNode('a'), gpuNode('full', { gpuCount: 1 }), gpuNode('b'), gpuNode('c')],
      [[1, wholeGpuPod(1), [0]]],
    );
    const seen = new Set<string>();
    for (let seed = 0; seed < 60; seed++) seen.add(place('Random', fleet, wholeGpuPod(1), { seed })!.node!);
    expect([...seen].sort()).toEqual(['a', 'b', 'c']);
  });

  it("tieBreak 'first' takes the lowest node index among equal scores; 'random' spreads them", () => {
    const nodes = [gpuNode('a'), gpuNode('b'), gpuNode('c')];
    expect(place('GpuPacking', fleetWith(nodes), cpuPod(1_000))?.node).toBe('a');
    const seen = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      seen.add(place('GpuPacking', fleetWith(nodes), cpuPod(1_000), { seed, tieBreak: 'random' })!.node!);
    }
    expect(seen.size).toBe(3);
  });

  it('an unknown policy is refused with the list of valid ones', () => {
    const fleet = fleetWith([gpuNode('n')]);
    expect(() => createGpuPolicy('Tetris', { fleet, rng: new Rng(1) })).toThrow(UnknownPolicyError);
    expect(() => createGpuPolicy('Tetris', { fleet, rng: new Rng(1) })).toThrow(
      'valid policies: Random, DotProd, GpuClustering, GpuPacking, BestFit, FGD',
    );
  });

  it('FGD without a typical-pod distribution is a configuration error', () => {
    expect(() => createGpuPolicy('FGD', { fleet: fleetWith([gpuNode('n')]), rng: new Rng(1) })).toThrow(
      /typicalPods/,
    );
  });
});

describe('no over-commit (property)', () => {
  const nodeArb = fc.record({
    cpuMilli: fc.integer({ min: 0, max: 32_000 }),
    memoryMib: fc.integer({ min: 0, max: 65_536 }),
    gpuCount: fc.integer({ min: 0, max: 8 }),
    model: fc.constantFrom('T4', 'A10'),
  });
  const podArb = fc.oneof(
    fc.record({ numGpu: fc.constant(0), gpuMilli: fc.constant(0) }),
    fc.record({ numGpu: fc.constant(1), gpuMilli: fc.integer({ min: 1, max: 999 }) }),
    fc.record({ numGpu: fc.integer({ min: 1, max: 8 }), gpuMilli: fc.constant(1000) }),
  );
  const requestArb = fc
    .tuple(
      podArb,
      fc.integer({ min: 0, max: 8_000 }),
      fc.integer({ min: 0, max: 16_384 }),
      fc.subarray(['T4', 'A10', 'H100']),
    )
    .map(([g, cpuMilli, memoryMib, models]) => gpuPod({ ...g, cpuMilli, memoryMib, models }));

  it.each(GPU_POLICY_NAMES)('%s never books more than a GPU, node CPU or memory holds', (policy) => {
    fc.assert(
      fc.property(
        fc.array(nodeArb, { minLength: 1, maxLength: 5 }),
        fc.array(requestArb, { minLength: 1, maxLength: 60 }),
        fc.integer(),
        (nodeSpecs, requests, seed) => {
          const nodes = nodeSpecs.map((n, i) =>
            gpuNode(`n${i}`, { ...n, model: n.gpuCount > 0 ? n.model : '' }),
          );
          const fleet = new GpuFleet(nodes);
          const typicalPods: TypicalPod[] = requests
            .slice(0, 5)
            .map((r) => ({ ...r, freq: 1 / Math.min(5, requests.length) }));
          const p = createGpuPolicy(policy, { fleet, rng: new Rng(seed), typicalPods });
          for (const request of requests) {
            const pod = fleet.compile(request);
            const placement = p.place(pod);
            if (placement === null) {
              // complete: it only gives up when no node fits
              for (let n = 0; n < fleet.size; n++) expect(fits(fleet, n, pod)).toBe(false);
              continue;
            }
            expect(fits(fleet, placement.node, pod)).toBe(true);
            fleet.bind(placement.node, pod, placement.gpus); // throws OverCommitError on any over-commit
          }
          for (let g = 0; g < fleet.gpuFree.length; g++) {
            expect(fleet.gpuFree[g]).toBeGreaterThanOrEqual(0);
            expect(fleet.gpuFree[g]).toBeLessThanOrEqual(1000);
          }
          for (let n = 0; n < fleet.size; n++) {
            expect(fleet.cpuFree[n]).toBeGreaterThanOrEqual(0);
            expect(fleet.memFree[n]).toBeGreaterThanOrEqual(0);
          }
          const free = fleet.gpuFree.reduce((s, v) => s + v, 0);
          expect(free + fleet.gpuAllocatedMilli).toBe(fleet.gpuCapacityMilli);
        },
      ),
      { numRuns: 150 },
    );
  });
});
