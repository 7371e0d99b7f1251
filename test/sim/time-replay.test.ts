import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/runtime/rng.js';
import { typicalPodsOf } from '../../src/scheduling/fgd-fragmentation.js';
import { fits } from '../../src/scheduling/gpu-fit.js';
import {
  type CompiledPod,
  GpuFleet,
  type GpuNodeSpec,
  type GpuPodRequest,
} from '../../src/scheduling/gpu-fleet.js';
import { createGpuPolicy, GPU_POLICY_NAMES } from '../../src/scheduling/gpu-policies.js';
import {
  autoArrivalCompression,
  delayStats,
  loadBasis,
  offeredLoad,
  runTimeReplay,
  type TimedPod,
} from '../../src/sim/time-replay.js';
import { meanCurve, runTimeExperiment } from '../../src/sim/time-replay-experiment.js';
import {
  compressionHeading,
  niceStep,
  renderTimeCurvesCsv,
  TIME_TABLE_HEADERS,
  timeAllocationChartSvg,
  timeSummaryRecords,
  timeTableRows,
} from '../../src/sim/time-replay-report.js';
import { cpuPod, gpuNode, sharedPod, wholeGpuPod } from '../scheduling/gpu-builders.js';

/** A pod of the trace: request plus creation and deletion time (seconds). */
function timed(
  name: string,
  request: GpuPodRequest,
  creationTime: number | null,
  deletionTime: number | null,
): TimedPod {
  return { name, ...request, creationTime, deletionTime };
}

const oneGpu = [gpuNode('n', { gpuCount: 1 })];
const twoGpus = [gpuNode('n', { gpuCount: 2 })];

/** Sampled every second: the trace times here are whole seconds, so the last sample is the end state. */
function replay(nodes: readonly GpuNodeSpec[], pods: readonly TimedPod[], policy = 'BestFit') {
  return runTimeReplay({ nodes, pods, policy, seed: 42, sampleEverySec: 1 });
}

describe('runTimeReplay: clock and queue', () => {
  it.each([
    {
      rule: 'a pod that does not fit waits until a departure frees room; its delay is exact',
      nodes: oneGpu,
      pods: [timed('a', wholeGpuPod(1), 0, 100), timed('b', wholeGpuPod(1), 10, 60)],
      // b starts at 100 (waited 90) and runs its 50 s: departs at 150.
      delays: { mean: 45, p50: 0, p95: 90, p99: 90, max: 90 },
      placedAtOnce: 1,
      makespanSec: 150,
    },
    {
      rule: 'departures at an instant free room for that instant’s arrivals',
      nodes: oneGpu,
      pods: [timed('a', wholeGpuPod(1), 0, 100), timed('b', wholeGpuPod(1), 100, 130)],
      delays: { mean: 0, p50: 0, p95: 0, p99: 0, max: 0 },
      placedAtOnce: 2,
      makespanSec: 130,
    },
    {
      rule: 'backfill: a later pod that fits goes ahead of a waiting one that does not (no reservation)',
      nodes: twoGpus,
      pods: [
        timed('a', wholeGpuPod(1), 0, 100),
        timed('big', wholeGpuPod(2), 10, 20), // runs 10 s once placed
        timed('c', wholeGpuPod(1), 20, 220), // fits beside a; holds its GPU until 220
      ],
      // big needs both GPUs: not at 100 (c still runs), only at 220 → delay 210, departs 230.
      delays: { mean: 70, p50: 0, p95: 210, p99: 210, max: 210 },
      placedAtOnce: 2,
      makespanSec: 230,
    },
    {
      rule: 'FIFO: when room frees for one, the oldest waiting pod gets it',
      nodes: oneGpu,
      pods: [
        timed('a', wholeGpuPod(1), 0, 100),
        timed('b', wholeGpuPod(1), 10, 20), // waits 90, runs 100–110
        timed('c', wholeGpuPod(1), 20, 30), // waits 90, runs 110–120
      ],
      delays: { mean: 60, p50: 90, p95: 90, p99: 90, max: 90 },
      placedAtOnce: 1,
      makespanSec: 120,
    },
    {
      rule: 'CPU-only pods are placed on the GPU nodes and hold their CPU',
      nodes: [gpuNode('n', { gpuCount: 8, cpuMilli: 8_000 })],
      pods: [timed('cpu', cpuPod(8_000), 0, 50), timed('gpu', sharedPod(250, { cpuMilli: 1_000 }), 5, 10)],
      delays: { mean: 22.5, p50: 0, p95: 45, p99: 45, max: 45 },
      placedAtOnce: 1,
      makespanSec: 55,
    },
    {
      rule: 'a pod whose deletion precedes its creation runs for 0 seconds',
      nodes: oneGpu,
      pods: [timed('a', wholeGpuPod(1), 50, 40), timed('b', wholeGpuPod(1), 50, 80)],
      delays: { mean: 0, p50: 0, p95: 0, p99: 0, max: 0 },
      placedAtOnce: 1, // a takes the GPU at 50 and leaves at 50; b gets it at 50 after waiting 0 s
      makespanSec: 30,
    },
  ])('$rule', ({ nodes, pods, delays, placedAtOnce, makespanSec }) => {
    const r = replay(nodes, pods);
    expect(r.delaySec).toEqual(delays);
    expect(r.podsPlaced).toBe(pods.length);
    expect(r.podsPlacedAtOnce).toBe(placedAtOnce);
    expect(r.makespanSec).toBe(makespanSec);
    expect(r.podsWaitingAtEnd).toBe(0);
    expect(r.allocatedPct[r.allocatedPct.length - 1]).toBe(0); // everything departed
  });

  it('the same creation time keeps the order of the pod list', () => {
    const pods = [timed('first', wholeGpuPod(1), 0, 10), timed('second', wholeGpuPod(1), 0, 10)];
    const r = replay(oneGpu, pods);
    expect(r.delaySec.max).toBe(10);
    expect(r.makespanSec).toBe(20);
  });
});

describe('runTimeReplay: pods it cannot replay', () => {
  it.each([
    { rule: 'more GPUs than any node has', pod: wholeGpuPod(4) },
    { rule: 'a GPU model the fleet lacks', pod: wholeGpuPod(1, { models: ['A100'] }) },
    { rule: 'more CPU than any node has', pod: cpuPod(1_000_000) },
    { rule: 'more memory than any node has', pod: sharedPod(100, { memoryMib: 10_000_000 }) },
  ])('never fits on the empty fleet ($rule): counted, named, not queued', ({ pod }) => {
    const r = replay(twoGpus, [timed('ok', wholeGpuPod(1), 0, 10), timed('huge', pod, 5, 6)]);
    expect(r.podsNeverFit).toBe(1);
    expect(r.neverFitPods).toEqual(['huge']);
    expect(r.podsPlaced).toBe(1);
    expect(r.podsWaitingAtEnd).toBe(0);
    expect(r.queuePeak).toBe(0);
  });

  it('pods without a creation time are skipped and counted', () => {
    const r = replay(oneGpu, [timed('a', wholeGpuPod(1), 0, 10), timed('x', wholeGpuPod(1), null, 10)]);
    expect(r).toMatchObject({ podsTotal: 2, podsArrived: 1, podsSkipped: 1, podsPlaced: 1 });
  });

  it('a pod without a deletion time never departs; a pod behind it is still waiting at the end', () => {
    const r = replay(oneGpu, [timed('forever', wholeGpuPod(1), 0, null), timed('b', wholeGpuPod(1), 5, 9)]);
    expect(r).toMatchObject({ podsOpenEnded: 1, podsPlaced: 1, podsWaitingAtEnd: 1, queuePeak: 1 });
    expect(r.makespanSec).toBe(5);
  });

  it('no pod with a creation time → an error saying the replay needs it', () => {
    expect(() => replay(oneGpu, [timed('x', wholeGpuPod(1), null, null)])).toThrow(/creation_time/);
  });

  it('GPU nodes only by default, as in the FGD methodology; gpuNodesOnly false uses every node', () => {
    const nodes = [gpuNode('g', { gpuCount: 1, cpuMilli: 8_000 }), gpuNode('c', { gpuCount: 0, model: '' })];
    const pods = [timed('cpu', cpuPod(32_000), 0, 10)];
    expect(replay(nodes, pods).podsNeverFit).toBe(1);
    const all = runTimeReplay({ nodes, pods, policy: 'BestFit', seed: 1, gpuNodesOnly: false });
    expect(all).toMatchObject({ podsNeverFit: 0, podsPlaced: 1 });
  });
});

describe('runTimeReplay: allocation over time', () => {
  it('samples allocated milli-GPU ÷ capacity on the grid and integrates it over the run', () => {
    const pods = [timed('half', sharedPod(500), 0, 7200), timed('quarter', sharedPod(250), 3600, 5400)];
    const r = runTimeReplay({ nodes: oneGpu, pods, policy: 'BestFit', seed: 1 });
    // t = 0: 50%; t = 3600: 75% (the arrival at 3600 counts); t = 7200: 0% (half departed).
    expect(Array.from(r.allocatedPct)).toEqual([50, 75, 0]);
    expect(r.meanAllocatedPct).toBeCloseTo((50 * 7200 + 25 * 1800) / 7200, 10);
    expect(r.peakAllocatedPct).toBe(75);
    const fine = runTimeReplay({ nodes: oneGpu, pods, policy: 'FGD', seed: 1, sampleEverySec: 1800 });
    expect(Array.from(fine.allocatedPct)).toEqual([50, 50, 75, 50, 0]);
  });

  it('a sample spacing that is not positive is rejected', () => {
    expect(() =>
      runTimeReplay({ nodes: oneGpu, pods: [], policy: 'FGD', seed: 1, sampleEverySec: 0 }),
    ).toThrow(RangeError);
  });
});

/** A contended workload: bursts of mixed pods on a small fleet, so the queue is long and busy. */
function contended(seed: number, count = 400): { nodes: GpuNodeSpec[]; pods: TimedPod[] } {
  const rng = new Rng(seed);
  const nodes = [
    gpuNode('a', { gpuCount: 8, cpuMilli: 96_000 }),
    gpuNode('b', { gpuCount: 2, cpuMilli: 32_000 }),
    gpuNode('c', { gpuCount: 4, model: 'A10' }),
    gpuNode('d', { gpuCount: 1, cpuMilli: 16_000, memoryMib: 65_536 }),
  ];
  const shapes: GpuPodRequest[] = [
    sharedPod(250),
    sharedPod(500, { cpuMilli: 8_000 }),
    wholeGpuPod(1),
    wholeGpuPod(2, { models: ['A10'] }),
    wholeGpuPod(4),
    wholeGpuPod(8, { cpuMilli: 32_000 }),
    cpuPod(16_000),
    wholeGpuPod(16), // never fits
  ];
  const pods: TimedPod[] = [];
  let t = 0;
  for (let i = 0; i < count; i++) {
    t += rng.int(0, 30);
    pods.push(timed(`p${i}`, rng.pick(shapes), t, t + rng.int(0, 600)));
  }
  return { nodes, pods };
}

/**
 * The same rules without the shape memo or the retry-only-after-release shortcut: after every
 * event instant, every queued pod is offered to the policy again. Returns the sorted delays.
 */
function naiveDelays(nodes: readonly GpuNodeSpec[], pods: readonly TimedPod[], policyName: string): number[] {
  const fleet = new GpuFleet(nodes.filter((n) => n.gpuCount > 0));
  const requests = pods.map((p) => ({ ...p, models: 'models' in p ? p.models : p.gpuSpec }));
  const policy = createGpuPolicy(policyName, {
    fleet,
    rng: new Rng(42),
    typicalPods: typicalPodsOf(requests),
    tieBreak: 'first',
  });
  const order = pods
    .map((_, i) => i)
    .sort((a, b) => pods[a]!.creationTime! - pods[b]!.creationTime! || a - b);
  const compiled = requests.map((r) => fleet.compile(r));
  const running: { at: number; i: number; node: number; gpus: readonly number[] }[] = [];
  const queue: number[] = [];
  const delays: number[] = [];
  const empty = new GpuFleet(nodes.filter((n) => n.gpuCount > 0));
  const everFits = (pod: CompiledPod) => empty.names.some((_, n) => fits(empty, n, pod));
  let next = 0;
  const start = (i: number, now: number): boolean => {
    const p = policy.place(compiled[i]!);
    if (p === null) return false;
    fleet.bind(p.node, compiled[i]!, p.gpus);
    delays.push(now - pods[i]!.creationTime!);
    running.push({
      at: now + Math.max(0, pods[i]!.deletionTime! - pods[i]!.creationTime!),
      i,
      node: p.node,
      gpus: p.gpus,
    });
    return true;
  };
  while (next < order.length || running.length > 0) {
    const now = Math.min(
      pods[order[next]!]?.creationTime ?? Number.POSITIVE_INFINITY,
      ...running.map((r) => r.at),
    );
    const leaving = running.filter((r) => r.at === now).sort((x, y) => x.i - y.i);
    for (const r of leaving) {
      fleet.release(r.node, compiled[r.i]!, r.gpus);
      running.splice(running.indexOf(r), 1);
    }
    for (let q = 0; q < queue.length; )
      if (start(queue[q]!, now)) queue.splice(q, 1);
      else q++;
    while (next < order.length && pods[order[next]!]!.creationTime === now) {
      const i = order[next++]!;
      if (!everFits(compiled[i]!)) continue;
      if (!start(i, now)) queue.push(i);
    }
  }
  return delays.sort((a, b) => a - b);
}

describe('runTimeReplay: properties', () => {
  it.each(GPU_POLICY_NAMES)('%s: the same pods, policy and seed give the same result', (policy) => {
    const { nodes, pods } = contended(7);
    expect(runTimeReplay({ nodes, pods, policy, seed: 42 })).toEqual(
      runTimeReplay({ nodes, pods, policy, seed: 42 }),
    );
  });

  it.each(
    GPU_POLICY_NAMES,
  )('%s: never over-commits (bind/release would throw) and accounts for every pod', (policy) => {
    for (const seed of [1, 2, 3]) {
      const { nodes, pods } = contended(seed);
      const r = runTimeReplay({ nodes, pods, policy, seed, sampleEverySec: 1 });
      expect(r.queuePeak).toBeGreaterThan(10); // the queue really was exercised
      expect(r.podsPlaced + r.podsNeverFit + r.podsWaitingAtEnd).toBe(r.podsArrived);
      expect(r.podsWaitingAtEnd).toBe(0); // every pod departs, so every fitting pod runs
      for (const v of r.allocatedPct) expect(v).toBeLessThanOrEqual(100);
      expect(r.allocatedPct[r.allocatedPct.length - 1]).toBe(0);
    }
  });

  it.each([
    'BestFit',
    'FGD',
    'GpuPacking',
  ])('%s: the shape memo and release-only retries change no decision (vs a naive rescan)', (policy) => {
    const { nodes, pods } = contended(11);
    const sorted = naiveDelays(nodes, pods, policy);
    const r = runTimeReplay({ nodes, pods, policy, seed: 42 });
    expect(r.podsPlaced).toBe(sorted.length);
    expect(r.delaySec).toEqual(delayStats(sorted));
  });
});

describe('runTimeReplay: arrival compression (load scaling)', () => {
  // a: 1 GPU from 1000 for 100 s; b: 1 GPU from 2000 for 50 s. Arrivals are creation ÷ K.
  const pods = [timed('a', wholeGpuPod(1), 1000, 1100), timed('b', wholeGpuPod(1), 2000, 2050)];

  it.each([
    // K = 1: the trace as it is. a 1000–1100, b 2000–2050.
    { k: 1, nodes: twoGpus, start: 1000, makespanSec: 1050, meanPct: (50 * 150) / 1050, maxDelay: 0 },
    // K = 10: a 100–200, b arrives at 200 as a leaves, runs 200–250.
    { k: 10, nodes: twoGpus, start: 100, makespanSec: 150, meanPct: 50, maxDelay: 0 },
    // K = 20: a 50–150, b 100–150: both GPUs busy for 50 s.
    { k: 20, nodes: twoGpus, start: 50, makespanSec: 100, meanPct: 75, maxDelay: 0 },
    // K = 20 on one GPU: b arrives at 100 and waits for a until 150, then runs its 50 s.
    { k: 20, nodes: oneGpu, start: 50, makespanSec: 150, meanPct: 100, maxDelay: 50 },
    // K = 0.5 stretches arrivals: a 2000–2100, b 4000–4050.
    { k: 0.5, nodes: twoGpus, start: 2000, makespanSec: 2050, meanPct: (50 * 150) / 2050, maxDelay: 0 },
  ])('K = $k on $nodes.0.gpuCount GPU(s): arrivals ÷ K, runtimes kept', ({
    k,
    nodes,
    start,
    makespanSec,
    meanPct,
    maxDelay,
  }) => {
    const r = runTimeReplay({
      nodes,
      pods,
      policy: 'BestFit',
      seed: 1,
      sampleEverySec: 1,
      arrivalCompression: k,
    });
    expect(r.arrivalCompression).toBe(k);
    expect(r.startTime).toBe(start);
    expect(r.makespanSec).toBe(makespanSec);
    expect(r.meanAllocatedPct).toBeCloseTo(meanPct, 10);
    expect(r.delaySec.max).toBe(maxDelay);
    expect(r.podsPlaced).toBe(2);
    // The compressed trace's own span: b's arrival ÷ K + its 50 s − the first arrival.
    expect(r.traceSpanSec).toBe(2000 / k + 50 - start);
  });

  it.each(GPU_POLICY_NAMES)('%s: K = 1 is the identity (the same result as no option)', (policy) => {
    const { nodes, pods: many } = contended(3);
    const plain = runTimeReplay({ nodes, pods: many, policy, seed: 9 });
    expect(runTimeReplay({ nodes, pods: many, policy, seed: 9, arrivalCompression: 1 })).toEqual(plain);
    expect(plain.arrivalCompression).toBe(1);
  });

  it('compression is deterministic and, on a contended workload, raises queueing', () => {
    const { nodes, pods: many } = contended(4);
    const run = (k: number) =>
      runTimeReplay({ nodes, pods: many, policy: 'FGD', seed: 5, arrivalCompression: k });
    expect(run(4)).toEqual(run(4));
    expect(run(4).delaySec.mean).toBeGreaterThan(run(1).delaySec.mean);
    expect(run(4).offeredLoad).toBeCloseTo(4 * run(1).offeredLoad, 12);
  });

  it.each([0, -2, Number.NaN, Number.POSITIVE_INFINITY])('K = %s is rejected', (k) => {
    expect(() =>
      runTimeReplay({ nodes: oneGpu, pods, policy: 'BestFit', seed: 1, arrivalCompression: k }),
    ).toThrow(/arrival compression must be a positive number/);
  });
});

describe('offered load and --compress auto', () => {
  // 2 GPUs = 2000 milli-GPU. Work (runtime × milli-GPU): a 100 s × 1000 + b 200 s × 500 = 200,000;
  // c is CPU-only (no GPU work), d never departs (no finite work), e has no creation time.
  // Arrival span: creation 0 … 1000 = 1000 s. Load at K = 1: 200,000 ÷ (1000 × 2000) = 0.1.
  const pods = [
    timed('a', wholeGpuPod(1), 0, 100),
    timed('c', cpuPod(1_000), 500, 900),
    timed('d', sharedPod(250), 600, null),
    timed('b', sharedPod(500), 1000, 1200),
    timed('e', wholeGpuPod(1), null, 50),
  ];
  const cpuOnly = gpuNode('cpu', { gpuCount: 0, model: '' });
  const basis = loadBasis([...twoGpus, cpuOnly], pods);

  it('work, arrival span and capacity of the GPU nodes', () => {
    expect(basis).toEqual({ workMilliGpuSec: 200_000, arrivalSpanSec: 1000, capacityMilli: 2000 });
    expect(loadBasis([gpuNode('big', { gpuCount: 4 }), cpuOnly], pods).capacityMilli).toBe(4000);
  });

  it.each([
    { k: 1, load: 0.1 },
    { k: 10, load: 1 },
    { k: 25, load: 2.5 },
  ])('offered load at K = $k is K × work ÷ (span × capacity) = $load', ({ k, load }) => {
    expect(offeredLoad(basis, k)).toBeCloseTo(load, 12);
  });

  it.each([
    { target: 1, k: 10 },
    { target: 0.5, k: 5 },
    { target: 2, k: 20 },
  ])('auto K for load $target = target × span × capacity ÷ work = $k', ({ target, k }) => {
    expect(autoArrivalCompression(basis, target)).toBeCloseTo(k, 12);
    const r = runTimeReplay({
      nodes: twoGpus,
      pods,
      policy: 'BestFit',
      seed: 1,
      arrivalCompression: autoArrivalCompression(basis, target),
    });
    expect(r.offeredLoad).toBeCloseTo(target, 12);
  });

  it.each([
    {
      rule: 'no GPU work',
      pods: [timed('c', cpuPod(1_000), 0, 10), timed('c2', cpuPod(1_000), 5, 10)],
      error: /GPU time/,
    },
    {
      rule: 'one arrival instant',
      pods: [timed('a', wholeGpuPod(1), 7, 10), timed('b', wholeGpuPod(1), 7, 9)],
      error: /same instant/,
    },
  ])('auto K is refused with $rule', ({ pods: bad, error }) => {
    expect(() => autoArrivalCompression(loadBasis(twoGpus, bad))).toThrow(error);
    expect(offeredLoad(loadBasis(twoGpus, [bad[0]!]))).toBeNaN();
  });

  it('runTimeExperiment with auto: K per pod list, in the outcome, summary and heading', () => {
    const result = runTimeExperiment({
      nodes: twoGpus,
      traces: [{ name: 'hand', pods }],
      policies: ['BestFit'],
      seeds: [1],
      arrivalCompression: 'auto',
    });
    const [o] = result.outcomes;
    expect(o!.arrivalCompression).toBeCloseTo(10, 12);
    expect(o!.offeredLoad).toBeCloseTo(1, 12);
    expect(timeSummaryRecords(result.outcomes)[0]).toMatchObject({
      arrivalCompression: o!.arrivalCompression,
      offeredLoad: 1,
    });
    expect(compressionHeading(result.outcomes)).toBe(
      '; arrivals compressed K× (creation_time ÷ K, runtimes kept): K = 10',
    );
    const half = runTimeExperiment({
      nodes: twoGpus,
      traces: [{ name: 'hand', pods }],
      policies: ['BestFit'],
      seeds: [1],
      arrivalCompression: 'auto',
      targetLoad: 0.5,
    });
    expect(half.outcomes[0]!.arrivalCompression).toBeCloseTo(5, 12);
  });

  it('K = 1 adds nothing to the summary or the heading (uncompressed output unchanged)', () => {
    const result = runTimeExperiment({
      nodes: twoGpus,
      traces: [{ name: 'hand', pods }],
      policies: ['FGD'],
      seeds: [1],
    });
    const [record] = timeSummaryRecords(result.outcomes);
    expect(record).not.toHaveProperty('arrivalCompression');
    expect(record).not.toHaveProperty('offeredLoad');
    expect(compressionHeading(result.outcomes)).toBe('');
  });

  it('different K per pod list are named in the heading', () => {
    const other = pods.map((p) => ({
      ...p,
      creationTime: p.creationTime === null ? null : p.creationTime * 2,
    }));
    const result = runTimeExperiment({
      nodes: twoGpus,
      traces: [
        { name: 'hand', pods },
        { name: 'slow', pods: other },
      ],
      policies: ['BestFit'],
      seeds: [1],
      arrivalCompression: 'auto',
    });
    expect(compressionHeading(result.outcomes)).toMatch(/K = 10 for hand, [\d.]+ for slow$/);
  });

  it('auto on a pod list with no GPU work names the pod list', () => {
    expect(() =>
      runTimeExperiment({
        nodes: twoGpus,
        traces: [
          { name: 'cpu-only', pods: [timed('c', cpuPod(1_000), 0, 10), timed('d', cpuPod(1_000), 5, 9)] },
        ],
        policies: ['BestFit'],
        seeds: [1],
        arrivalCompression: 'auto',
      }),
    ).toThrow(/cpu-only: cannot pick the arrival compression/);
  });
});

describe('delayStats', () => {
  it.each([
    {
      values: [],
      expected: { mean: Number.NaN, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN },
    },
    { values: [7], expected: { mean: 7, p50: 7, p95: 7, p99: 7, max: 7 } },
    {
      values: Array.from({ length: 100 }, (_, i) => 100 - i), // 1…100, unsorted
      expected: { mean: 50.5, p50: 50, p95: 95, p99: 99, max: 100 },
    },
  ])('nearest-rank percentiles of $values.length values', ({ values, expected }) => {
    expect(delayStats(values)).toEqual(expected);
  });
});

describe('runTimeExperiment and its reports', () => {
  const { nodes, pods } = contended(5, 150);
  const result = runTimeExperiment({
    nodes,
    traces: [{ name: 'tiny', pods }],
    policies: ['Random', 'BestFit'],
    seeds: [1, 2],
  });

  it('one outcome per trace × policy, curves of one length, means over seeds', () => {
    expect(result.outcomes.map((o) => o.policy)).toEqual(['Random', 'BestFit']);
    const [random, bestFit] = result.outcomes;
    expect(random!.allocatedPct.length).toBe(bestFit!.allocatedPct.length);
    const runs = [1, 2].map((seed) => runTimeReplay({ nodes, pods, policy: 'Random', seed }));
    expect(random!.delayMeanSec).toBeCloseTo((runs[0]!.delaySec.mean + runs[1]!.delaySec.mean) / 2, 10);
    expect(random!.makespanSec).toBe((runs[0]!.makespanSec + runs[1]!.makespanSec) / 2);
  });

  it('reports progress once per run', () => {
    const steps: string[] = [];
    runTimeExperiment({
      nodes,
      traces: [{ name: 'tiny', pods }],
      policies: ['FGD'],
      seeds: [1, 2],
      onRunStart: (s) => steps.push(`${s.index}/${s.total} ${s.policy} ${s.seed}`),
    });
    expect(steps).toEqual(['1/2 FGD 1', '2/2 FGD 2']);
  });

  it('meanCurve extends a shorter run with its end allocation, not its last sample', () => {
    const runs = [
      { allocatedPct: Float64Array.from([10, 20]), endAllocatedPct: 0 },
      { allocatedPct: Float64Array.from([30, 40, 50]), endAllocatedPct: 50 },
    ];
    expect(Array.from(meanCurve(runs, 4))).toEqual([20, 30, 25, 25]);
  });

  it('renders the table, the summary, the CSV and the chart', () => {
    const rows = timeTableRows(result.outcomes);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveLength(TIME_TABLE_HEADERS.length);
    const [record] = timeSummaryRecords(result.outcomes);
    expect(record).toMatchObject({ trace: 'tiny', policy: 'Random', seeds: [1, 2], sampleEverySec: 3600 });
    expect(Object.keys(record!.queueingDelaySec)).toEqual(['mean', 'p50', 'p95', 'p99', 'max']);
    const csv = renderTimeCurvesCsv(result.outcomes).trimEnd().split('\n');
    expect(csv[0]).toBe('time_h,Random,BestFit');
    expect(csv).toHaveLength(1 + result.outcomes[0]!.allocatedPct.length);
    expect(csv[1]).toMatch(/^0,[\d.]+,[\d.]+$/);
    const svg = timeAllocationChartSvg('tiny', result.outcomes);
    expect(svg.match(/<polyline class="series"/g)).toHaveLength(2);
    expect(svg).toBe(timeAllocationChartSvg('tiny', result.outcomes));
  });

  it.each([
    { range: 3584, step: 500 },
    { range: 100, step: 10 },
    { range: 1.1, step: 0.2 },
    { range: 0, step: 1 },
  ])('niceStep($range) = $step', ({ range, step }) => {
    expect(niceStep(range)).toBeCloseTo(step, 12);
  });
});
