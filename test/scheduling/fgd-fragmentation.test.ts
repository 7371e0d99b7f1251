import { describe, expect, it } from 'vitest';
import {
  FragmentationMeter,
  type TypicalPod,
  typicalPodsOf,
} from '../../src/scheduling/fgd-fragmentation.js';
import { GpuFleet } from '../../src/scheduling/gpu-fleet.js';
import { cpuPod, gpuNode, sharedPod, wholeGpuPod } from './gpu-builders.js';

describe('typicalPodsOf', () => {
  it('weights each request shape by how often it occurs', () => {
    const pods = [sharedPod(500), sharedPod(500), sharedPod(500), wholeGpuPod(1)];
    expect(
      typicalPodsOf(pods, { popularityThreshold: 1 }).map((t) => [t.gpuMilli, t.numGpu, t.freq]),
    ).toEqual([
      [500, 1, 0.75],
      [1000, 1, 0.25],
    ]);
  });

  it('keeps the most frequent shapes until they cover the threshold, then renormalises', () => {
    const pods = [
      ...Array.from({ length: 6 }, () => sharedPod(500)),
      ...Array.from({ length: 3 }, () => wholeGpuPod(1)),
      wholeGpuPod(8),
    ];
    const typical = typicalPodsOf(pods, { popularityThreshold: 0.9 });
    expect(typical.map((t) => [t.numGpu, t.freq])).toEqual([
      [1, 6 / 9],
      [1, 3 / 9],
    ]);
  });

  it('counts CPU-only pods unless told not to', () => {
    const pods = [cpuPod(1_000), sharedPod(200)];
    expect(typicalPodsOf(pods, { popularityThreshold: 1 })).toHaveLength(2);
    expect(typicalPodsOf(pods, { popularityThreshold: 1, includeCpuPods: false })).toHaveLength(1);
  });

  it('ignores memory: shapes are (cpu, gpu milli, GPU count, models)', () => {
    const pods = [sharedPod(200, { memoryMib: 1 }), sharedPod(200, { memoryMib: 2 })];
    expect(typicalPodsOf(pods)).toEqual([{ cpuMilli: 4_000, gpuMilli: 200, numGpu: 1, models: [], freq: 1 }]);
  });
});

describe('FragmentationMeter.nodeFragmentation', () => {
  const t = (
    gpuMilli: number,
    numGpu: number,
    freq: number,
    extra: Partial<TypicalPod> = {},
  ): TypicalPod => ({
    cpuMilli: 1_000,
    gpuMilli,
    numGpu,
    models: [],
    freq,
    ...extra,
  });

  function fragOf(
    typical: TypicalPod[],
    gpuUsed: number[],
    opts: { cpuLeft?: number; model?: string; cpuStrandingWeight?: number } = {},
  ) {
    const fleet = new GpuFleet([gpuNode('n', { gpuCount: gpuUsed.length, model: opts.model ?? 'T4' })]);
    gpuUsed.forEach((used, g) => {
      if (used > 0) fleet.bind(0, fleet.compile(sharedPod(used, { cpuMilli: 0, memoryMib: 0 })), [g]);
    });
    const options =
      opts.cpuStrandingWeight === undefined ? {} : { cpuStrandingWeight: opts.cpuStrandingWeight };
    return new FragmentationMeter(fleet, typical, options).nodeFragmentation(0, opts.cpuLeft ?? 64_000);
  }

  it.each([
    ['a typical pod that fits sees only GPUs too small for it as fragment', [t(600, 1, 1)], [500, 0], 500],
    ['a typical pod that fits nowhere sees all free GPU as fragment', [t(600, 1, 1)], [500, 500], 1000],
    ['multi-GPU typical pods need that many GPUs with room', [t(1000, 2, 1)], [0, 100], 1900],
    ['frequencies weight the typical pods', [t(600, 1, 0.5), t(300, 1, 0.5)], [500, 0], 250],
    ['CPU-only typical pods count all free GPU as fragment', [t(0, 0, 1)], [200, 0], 1800],
    ['slivers left on every GPU are all fragment', [t(600, 1, 1)], [999, 999], 2],
    ['a fully booked node has no fragment', [t(600, 1, 1)], [1000, 1000], 0],
  ] as const)('%s', (_, typical, used, want) => {
    expect(fragOf([...typical], [...used])).toBeCloseTo(want, 9);
  });

  it('a typical pod lacking CPU on the node sees all free GPU as fragment', () => {
    expect(fragOf([t(600, 1, 1)], [0, 0], { cpuLeft: 999 })).toBe(2000);
  });

  it('a typical pod for another GPU model sees all free GPU as fragment', () => {
    expect(fragOf([t(600, 1, 1, { models: ['A10'] })], [0, 0], { model: 'T4' })).toBe(2000);
  });

  describe('with a CPU-stranding weight (Strata)', () => {
    it.each([
      // 4 free GPUs, CPU for 2 copies of a 1-GPU pod: 2000 usable milli-GPU cannot be fed
      ['counts that share of the usable GPU the free CPU cannot feed', 0.5, 2_000, 1000],
      ['counts nothing when the CPU feeds every usable GPU', 0.5, 4_000, 0],
      ['is FGD’s measure at weight 0', 0, 2_000, 0],
      ['still counts all free GPU when not one copy fits the CPU', 0.5, 999, 4000],
    ] as const)('%s', (_, weight, cpuLeft, want) => {
      expect(fragOf([t(1000, 1, 1)], [0, 0, 0, 0], { cpuLeft, cpuStrandingWeight: weight })).toBe(want);
    });

    it('refuses a weight outside [0, 1]', () => {
      expect(() => fragOf([t(1000, 1, 1)], [0], { cpuStrandingWeight: 2 })).toThrow(/cpuStrandingWeight/);
    });
  });
});
