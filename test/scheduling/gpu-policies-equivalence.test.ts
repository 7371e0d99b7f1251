import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/runtime/rng.js';
import type { TypicalPod } from '../../src/scheduling/fgd-fragmentation.js';
import { checkFit, fits } from '../../src/scheduling/gpu-fit.js';
import {
  type CompiledPod,
  GpuFleet,
  type GpuNodeSpec,
  type GpuPodRequest,
  MILLI_PER_GPU,
} from '../../src/scheduling/gpu-fleet.js';
import {
  bestFitGpus,
  bestFitScore,
  collectFeasible,
  createGpuPolicy,
  dotProductScore,
  exclusiveGpus,
  GPU_POLICY_NAMES,
  type GpuPlacement,
  type GpuPolicyName,
  gpuClusteringScore,
  gpuPackingScore,
  type TieBreak,
} from '../../src/scheduling/gpu-policies.js';
import { CPU_STRANDING_WEIGHT } from '../../src/scheduling/strata-policy.js';
import { gpuNode } from './gpu-builders.js';

/**
 * The fast scan loops, the flat FGD and Strata caches and the per-level fragmentation count must
 * decide exactly as the straightforward formulation: every filter via checkFit, every score via a
 * callback, FGD and Strata recomputed from scratch with the per-typical-pod fragmentation loop.
 */

const MODELS = ['T4', 'V100', 'A100'];

function randomFleetSpec(rng: Rng, size: number): GpuNodeSpec[] {
  return Array.from({ length: size }, (_, i) => {
    const cpuOnly = rng.chance(0.1);
    return gpuNode(`n${i}`, {
      cpuMilli: rng.pick([32_000, 64_000, 96_000]),
      memoryMib: rng.pick([65_536, 262_144]),
      gpuCount: cpuOnly ? 0 : rng.pick([1, 2, 4, 8]),
      model: cpuOnly ? '' : rng.pick(MODELS),
    });
  });
}

function randomPod(rng: Rng): GpuPodRequest {
  const kind = rng.int(0, 3);
  const models = rng.chance(0.3) ? [rng.pick(MODELS)] : rng.chance(0.1) ? ['H100'] : [];
  const cpuMilli = rng.pick([1_000, 2_000, 4_000, 8_000, 16_000]);
  const memoryMib = rng.pick([1_024, 8_192, 32_768]);
  if (kind === 0) return { cpuMilli, memoryMib, numGpu: 0, gpuMilli: 0, models };
  if (kind === 1) return { cpuMilli, memoryMib, numGpu: 1, gpuMilli: rng.pick([100, 250, 500, 700]), models };
  return { cpuMilli, memoryMib, numGpu: rng.pick([1, 2, 4]), gpuMilli: 1000, models };
}

const TYPICAL: TypicalPod[] = [
  { cpuMilli: 4_000, gpuMilli: 1000, numGpu: 1, models: [], freq: 0.3 },
  { cpuMilli: 8_000, gpuMilli: 500, numGpu: 1, models: [], freq: 0.2 },
  { cpuMilli: 2_000, gpuMilli: 250, numGpu: 1, models: ['T4'], freq: 0.15 },
  { cpuMilli: 16_000, gpuMilli: 1000, numGpu: 2, models: ['A100', 'V100'], freq: 0.15 },
  { cpuMilli: 4_000, gpuMilli: 500, numGpu: 1, models: ['V100'], freq: 0.1 },
  { cpuMilli: 2_000, gpuMilli: 0, numGpu: 0, models: [], freq: 0.1 },
];

/**
 * The per-typical-pod fragmentation loop, verbatim; `stranding` > 0 adds Strata's share of usable
 * GPU that the free CPU cannot feed.
 */
function referenceFragmentation(fleet: GpuFleet, node: number, cpuLeft: number, stranding = 0): number {
  const free = fleet.gpuFreeOf(node);
  let total = 0;
  for (const f of free) total += f;
  if (total === 0) return 0;
  const model = fleet.modelId[node]!;
  const bit = model < 0 ? 0 : 1 << model;
  const gpuPods = TYPICAL.filter((t) => t.numGpu > 0 && t.gpuMilli > 0);
  const cpuOnlyFreq = TYPICAL.filter((t) => !(t.numGpu > 0 && t.gpuMilli > 0)).reduce(
    (s, t) => s + t.freq,
    0,
  );
  let frag = cpuOnlyFreq * total;
  for (const t of gpuPods) {
    let mask = t.models.length === 0 ? -1 : 0;
    for (const m of t.models) {
      const id = fleet.models.indexOf(m);
      if (id >= 0) mask |= 1 << id;
    }
    if ((mask & bit) === 0 || cpuLeft < t.cpuMilli) {
      frag += t.freq * total;
      continue;
    }
    let usable = 0;
    let small = 0;
    for (const f of free) {
      if (f >= t.gpuMilli) usable++;
      else small += f;
    }
    if (usable < t.numGpu) {
      frag += t.freq * total;
      continue;
    }
    frag += t.freq * small;
    if (stranding > 0 && t.cpuMilli > 0) {
      const fed = Math.floor(cpuLeft / t.cpuMilli) * t.numGpu * t.gpuMilli;
      frag += stranding * t.freq * Math.max(0, total - small - fed);
    }
  }
  return frag;
}

type Score = (fleet: GpuFleet, node: number, pod: CompiledPod) => number;

function referenceSelect(fleet: GpuFleet, pod: CompiledPod, rng: Rng | null, score: Score) {
  let best = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  let ties = 0;
  for (let n = 0; n < fleet.size; n++) {
    if (checkFit(fleet, n, pod) !== 'fit') continue;
    const s = score(fleet, n, pod);
    if (s > bestScore) {
      best = n;
      bestScore = s;
      ties = 1;
    } else if (rng !== null && s === bestScore) {
      ties++;
      if (Math.floor(rng.next() * ties) === 0) best = n;
    }
  }
  return { node: best, score: bestScore };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** FGD without any cache: [score, gpu] for one node. */
function referenceFgd(fleet: GpuFleet, node: number, pod: CompiledPod): [number, number] {
  const start = fleet.gpuStart[node]!;
  const base = referenceFragmentation(fleet, node, fleet.cpuFree[node]!);
  const cpuAfter = fleet.cpuFree[node]! - pod.cpuMilli;
  const free = fleet.gpuFree;
  if (pod.shared) {
    let bestScore = -1;
    let bestGpu = -1;
    for (let g = 0; g < fleet.gpuCount[node]!; g++) {
      const f = free[start + g]!;
      if (f < pod.gpuMilli) continue;
      free[start + g] = f - pod.gpuMilli;
      const after = referenceFragmentation(fleet, node, cpuAfter);
      free[start + g] = f;
      const score = Math.floor(sigmoid((base - after) / 1000) * 100);
      if (bestGpu < 0 || score > bestScore) {
        bestScore = score;
        bestGpu = g;
      }
    }
    return [bestScore, bestGpu];
  }
  const taken = exclusiveGpus(fleet, node, pod.numGpu);
  for (const g of taken) free[start + g] = 0;
  const after = referenceFragmentation(fleet, node, cpuAfter);
  for (const g of taken) free[start + g] = MILLI_PER_GPU;
  return [Math.floor(sigmoid((base - after) / 1000) * 100), -1];
}

/** Strata without any cache: score each node, then its packing rules settle equal scores. */
function referenceStrata(fleet: GpuFleet, pod: CompiledPod): GpuPlacement | null {
  const frag = (node: number, cpuLeft: number) =>
    referenceFragmentation(fleet, node, cpuLeft, CPU_STRANDING_WEIGHT);
  const score = (growth: number) => Math.floor(100 / (1 + Math.exp(growth / 1000)));
  let best: GpuPlacement | null = null;
  let bestTie = Number.POSITIVE_INFINITY;
  for (let n = 0; n < fleet.size; n++) {
    if (checkFit(fleet, n, pod) !== 'fit') continue;
    const base = frag(n, fleet.cpuFree[n]!);
    const cpuAfter = fleet.cpuFree[n]! - pod.cpuMilli;
    const start = fleet.gpuStart[n]!;
    const free = fleet.gpuFree;
    let s: number;
    let gpus: number[];
    if (pod.shared) {
      let bestGrowth = Number.POSITIVE_INFINITY;
      let bestGpu = -1;
      for (let g = 0; g < fleet.gpuCount[n]!; g++) {
        const f = free[start + g]!;
        if (f < pod.gpuMilli) continue;
        free[start + g] = f - pod.gpuMilli;
        const growth = frag(n, cpuAfter) - base;
        free[start + g] = f;
        if (growth < bestGrowth) {
          bestGrowth = growth;
          bestGpu = g;
        }
      }
      s = score(bestGrowth);
      gpus = [bestGpu];
    } else {
      gpus = exclusiveGpus(fleet, n, pod.numGpu);
      for (const g of gpus) free[start + g] = 0;
      s = score(frag(n, cpuAfter) - base);
      for (const g of gpus) free[start + g] = MILLI_PER_GPU;
    }
    const pristine = fleet.fullyFreeGpus[n] === fleet.gpuCount[n] ? 1 : 0;
    const tie = pod.numGpu === 0 ? fleet.gpuFreeTotal[n]! : pristine;
    if (best === null || s > best.score || (s === best.score && tie < bestTie)) {
      best = { node: n, gpus, score: s };
      bestTie = tie;
    }
  }
  return best;
}

function referenceRandomGpus(fleet: GpuFleet, node: number, pod: CompiledPod, rng: Rng): number[] {
  if (pod.numGpu === 0) return [];
  if (!pod.shared) return exclusiveGpus(fleet, node, pod.numGpu);
  const start = fleet.gpuStart[node]!;
  let chosen = -1;
  let seen = 0;
  for (let g = 0; g < fleet.gpuCount[node]!; g++) {
    if (fleet.gpuFree[start + g]! >= pod.gpuMilli) {
      seen++;
      if (Math.floor(rng.next() * seen) === 0) chosen = g;
    }
  }
  return [chosen];
}

function referencePlace(
  name: GpuPolicyName,
  fleet: GpuFleet,
  pod: CompiledPod,
  rng: Rng,
  tieBreak: TieBreak,
): GpuPlacement | null {
  const tie = tieBreak === 'random' ? rng : null;
  if (name === 'Random') {
    const feasible: number[] = [];
    for (let n = 0; n < fleet.size; n++) if (checkFit(fleet, n, pod) === 'fit') feasible.push(n);
    if (feasible.length === 0) return null;
    const node = feasible[Math.floor(rng.next() * feasible.length)]!;
    return { node, gpus: referenceRandomGpus(fleet, node, pod, rng), score: 100 };
  }
  if (name === 'strata') return referenceStrata(fleet, pod);
  if (name === 'FGD') {
    const best = referenceSelect(fleet, pod, tie, (f, n, p) => referenceFgd(f, n, p)[0]);
    if (best.node < 0) return null;
    const gpus = pod.shared
      ? [referenceFgd(fleet, best.node, pod)[1]]
      : exclusiveGpus(fleet, best.node, pod.numGpu);
    return { node: best.node, gpus, score: best.score };
  }
  const score: Score = {
    DotProd: dotProductScore,
    GpuClustering: gpuClusteringScore,
    GpuPacking: gpuPackingScore,
    BestFit: bestFitScore,
  }[name];
  const best = referenceSelect(fleet, pod, tie, score);
  if (best.node < 0) return null;
  return { node: best.node, gpus: bestFitGpus(fleet, best.node, pod), score: best.score };
}

describe('fast placement paths decide exactly as the reference formulation', () => {
  for (const name of GPU_POLICY_NAMES) {
    for (const tieBreak of ['first', 'random'] as const) {
      it(`${name}, tieBreak ${tieBreak}`, () => {
        for (let seed = 1; seed <= 4; seed++) {
          const setup = new Rng(seed * 7919);
          const spec = randomFleetSpec(setup, 40);
          const fast = new GpuFleet(spec);
          const ref = new GpuFleet(spec);
          const policy = createGpuPolicy(name, {
            fleet: fast,
            rng: new Rng(seed),
            tieBreak,
            typicalPods: TYPICAL,
          });
          const refRng = new Rng(seed);
          for (let i = 0; i < 400; i++) {
            const request = randomPod(setup);
            const a = fast.compile(request);
            const b = ref.compile(request);
            const got = policy.place(a);
            const want = referencePlace(name, ref, b, refRng, tieBreak);
            expect(got, `seed ${seed} decision ${i}`).toEqual(want);
            if (got) fast.bind(got.node, a, got.gpus);
            if (want) ref.bind(want.node, b, want.gpus);
          }
        }
      });
    }
  }
});

describe('collectFeasible and fits', () => {
  it('agree with checkFit on every node', () => {
    const setup = new Rng(3);
    const fleet = new GpuFleet(randomFleetSpec(setup, 60));
    const out = new Int32Array(fleet.size);
    for (let i = 0; i < 300; i++) {
      const pod = fleet.compile(randomPod(setup));
      const expected: number[] = [];
      for (let n = 0; n < fleet.size; n++) {
        const ok = checkFit(fleet, n, pod) === 'fit';
        expect(fits(fleet, n, pod)).toBe(ok);
        if (ok) expected.push(n);
      }
      const count = collectFeasible(fleet, pod, out);
      expect(Array.from(out.subarray(0, count))).toEqual(expected);
      if (expected.length > 0) {
        const node = expected[setup.int(0, expected.length - 1)]!;
        fleet.bind(node, pod, bestFitGpus(fleet, node, pod));
      }
    }
  });

  it('gives each distinct shape one dense index', () => {
    const fleet = new GpuFleet([gpuNode('a')]);
    const a = fleet.compile({ cpuMilli: 1_000, memoryMib: 1, numGpu: 1, gpuMilli: 500, models: [] });
    const b = fleet.compile({ cpuMilli: 1_000, memoryMib: 99, numGpu: 1, gpuMilli: 500, models: ['T4'] });
    const c = fleet.compile({ cpuMilli: 2_000, memoryMib: 1, numGpu: 1, gpuMilli: 500, models: [] });
    expect([a.shapeIndex, b.shapeIndex, c.shapeIndex]).toEqual([0, 0, 1]);
    expect(fleet.shapeCount).toBe(2);
  });
});
