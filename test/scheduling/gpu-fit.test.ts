import { describe, expect, it } from 'vitest';
import { checkFit, type FitOutcome } from '../../src/scheduling/gpu-fit.js';
import {
  GpuFleet,
  type GpuNodeSpec,
  type GpuPodRequest,
  OverCommitError,
} from '../../src/scheduling/gpu-fleet.js';
import { cpuPod, gpuNode, gpuPod, sharedPod, wholeGpuPod } from './gpu-builders.js';

interface FitCase {
  readonly rule: string;
  readonly node: GpuNodeSpec;
  /** Pods already bound (each on the GPUs given). */
  readonly bound?: readonly (readonly [GpuPodRequest, readonly number[]])[];
  readonly pod: GpuPodRequest;
  readonly want: FitOutcome;
}

const cases: FitCase[] = [
  {
    rule: 'a whole GPU fits on a node with a fully free GPU',
    node: gpuNode('n', { gpuCount: 1 }),
    pod: wholeGpuPod(1),
    want: 'fit',
  },
  {
    rule: 'whole GPUs need that many fully free GPUs, partly used ones do not count',
    node: gpuNode('n', { gpuCount: 2 }),
    bound: [[sharedPod(100), [0]]],
    pod: wholeGpuPod(2),
    want: 'insufficient-gpu',
  },
  {
    rule: 'a fraction must fit on ONE GPU, never split over two',
    node: gpuNode('n', { gpuCount: 2 }),
    bound: [
      [sharedPod(600), [0]],
      [sharedPod(600), [1]],
    ],
    pod: sharedPod(500),
    want: 'insufficient-gpu',
  },
  {
    rule: 'a fraction fits on a partly used GPU with enough milli-GPU left',
    node: gpuNode('n', { gpuCount: 1 }),
    bound: [[sharedPod(500), [0]]],
    pod: sharedPod(500),
    want: 'fit',
  },
  {
    rule: 'CPU is checked',
    node: gpuNode('n', { cpuMilli: 3_999 }),
    pod: gpuPod({ cpuMilli: 4_000 }),
    want: 'insufficient-cpu',
  },
  {
    rule: 'memory is checked',
    node: gpuNode('n', { memoryMib: 100 }),
    pod: gpuPod({ memoryMib: 101 }),
    want: 'insufficient-memory',
  },
  {
    rule: 'exactly the free CPU and memory still fit',
    node: gpuNode('n', { cpuMilli: 4_000, memoryMib: 8_192 }),
    pod: gpuPod(),
    want: 'fit',
  },
  {
    rule: 'a GPU pod never fits a CPU-only node',
    node: gpuNode('n', { gpuCount: 0, model: '' }),
    pod: sharedPod(100),
    want: 'insufficient-gpu',
  },
  {
    rule: 'a CPU-only pod fits a CPU-only node',
    node: gpuNode('n', { gpuCount: 0, model: '' }),
    pod: cpuPod(1_000),
    want: 'fit',
  },
  {
    rule: 'the model must be in the any-of list',
    node: gpuNode('n', { model: 'T4' }),
    pod: wholeGpuPod(1, { models: ['A10', 'P100'] }),
    want: 'gpu-model-mismatch',
  },
  {
    rule: 'any listed model is accepted',
    node: gpuNode('n', { model: 'P100' }),
    pod: wholeGpuPod(1, { models: ['A10', 'P100'] }),
    want: 'fit',
  },
  {
    rule: 'a model unknown to the fleet matches no node',
    node: gpuNode('n', { model: 'T4' }),
    pod: sharedPod(100, { models: ['H100'] }),
    want: 'gpu-model-mismatch',
  },
  {
    rule: 'a CPU-only pod ignores model constraints',
    node: gpuNode('n', { model: 'T4' }),
    pod: cpuPod(1_000, { models: ['A10'] }),
    want: 'fit',
  },
];

describe('checkFit', () => {
  it.each(cases)('$rule', ({ node, bound = [], pod, want }) => {
    const fleet = new GpuFleet([node]);
    for (const [p, gpus] of bound) fleet.bind(0, fleet.compile(p), gpus);
    expect(checkFit(fleet, 0, fleet.compile(pod))).toBe(want);
  });
});

describe('GpuFleet.bind', () => {
  it.each([
    ['a GPU without enough milli-GPU', sharedPod(600), [0], /GPU 0 lacks milli-GPU/],
    ['the same GPU twice', wholeGpuPod(2), [1, 1], /GPU 1 given twice/],
    ['a GPU the node does not have', wholeGpuPod(1), [2], /no GPU 2/],
    ['fewer GPUs than requested', wholeGpuPod(2), [1], /needs 2 GPUs, 1 given/],
    ['more CPU than is free', gpuPod({ cpuMilli: 64_001 }), [1], /cpu/],
  ] as const)('refuses %s and leaves the node untouched', (_, pod, gpus, reason) => {
    const fleet = new GpuFleet([gpuNode('n', { gpuCount: 2 })]);
    fleet.bind(0, fleet.compile(sharedPod(500)), [0]);
    const before = { cpu: fleet.cpuFree[0], gpus: fleet.gpuFreeOf(0), alloc: fleet.gpuAllocatedMilli };
    expect(() => fleet.bind(0, fleet.compile(pod), gpus)).toThrow(OverCommitError);
    expect(() => fleet.bind(0, fleet.compile(pod), gpus)).toThrow(reason);
    expect({ cpu: fleet.cpuFree[0], gpus: fleet.gpuFreeOf(0), alloc: fleet.gpuAllocatedMilli }).toEqual(
      before,
    );
  });

  it('keeps the aggregates the filters read in step with the GPUs', () => {
    const fleet = new GpuFleet([gpuNode('n', { gpuCount: 4 })]);
    fleet.bind(0, fleet.compile(sharedPod(300)), [1]);
    fleet.bind(0, fleet.compile(wholeGpuPod(2)), [0, 3]);
    expect(fleet.gpuFreeOf(0)).toEqual([0, 700, 1000, 0]);
    expect([fleet.fullyFreeGpus[0], fleet.maxFreeMilli[0], fleet.gpuFreeTotal[0]]).toEqual([1, 1000, 1700]);
    expect(fleet.gpuAllocatedMilli).toBe(2300);
    expect(fleet.affinityKinds[0]).toBe(2);
  });
});

describe('GpuFleet.release', () => {
  it('is the exact inverse of bind, aggregates and request kinds included', () => {
    const fleet = new GpuFleet([gpuNode('n', { gpuCount: 4 })]);
    const pristine = { cpu: fleet.cpuFree[0], mem: fleet.memFree[0], gpus: fleet.gpuFreeOf(0) };
    const shared = fleet.compile(sharedPod(300));
    const whole = fleet.compile(wholeGpuPod(2));
    fleet.bind(0, shared, [1]);
    fleet.bind(0, whole, [0, 3]);
    fleet.release(0, whole, [0, 3]);
    fleet.release(0, shared, [1]);
    expect({ cpu: fleet.cpuFree[0], mem: fleet.memFree[0], gpus: fleet.gpuFreeOf(0) }).toEqual(pristine);
    expect([fleet.fullyFreeGpus[0], fleet.maxFreeMilli[0], fleet.gpuFreeTotal[0]]).toEqual([4, 1000, 4000]);
    expect([fleet.gpuAllocatedMilli, fleet.affinityKinds[0]]).toEqual([0, 0]);
  });

  it.each([
    ['a pod never bound', (fleet: GpuFleet) => fleet.release(0, fleet.compile(sharedPod(300)), [0])],
    [
      'the same pod twice',
      (fleet: GpuFleet) => {
        const pod = fleet.compile(wholeGpuPod(1));
        fleet.bind(0, pod, [1]);
        fleet.release(0, pod, [1]);
        fleet.release(0, pod, [1]);
      },
    ],
  ] as const)('refuses to release %s', (_, act) => {
    const fleet = new GpuFleet([gpuNode('n', { gpuCount: 2 })]);
    expect(() => act(fleet)).toThrow(OverCommitError);
    expect(fleet.gpuFreeOf(0)).toEqual([1000, 1000]);
    expect(fleet.cpuFree[0]).toBe(64_000);
  });
});
