import { typicalPodsOf } from '../scheduling/fgd-fragmentation.js';
import type { GpuNodeSpec } from '../scheduling/gpu-fleet.js';
import type { TieBreak } from '../scheduling/gpu-policies.js';
import { toRequest } from './fgd-methodology.js';
import {
  autoArrivalCompression,
  checkArrivalCompression,
  type LoadBasis,
  loadBasis,
  offeredLoad,
  runTimeReplay,
  type TimedPod,
  type TimeReplayResult,
} from './time-replay.js';

/**
 * `strata simulate --mode time`: every pod list × policy × seed through runTimeReplay, each
 * policy's runs reduced at once to the mean over seeds of its figures and of its allocation curve.
 * Seeds only matter to random choices (the Random policy, random GPU choice, random tie-breaking);
 * every seed is still run so that the figures are comparable with the FGD mode's. Pure: progress
 * leaves through a callback.
 */

export interface TimeTrace {
  /** Shown in the table and used in file names, e.g. `openb_pod_list_default`. */
  readonly name: string;
  readonly pods: readonly TimedPod[];
}

export interface TimeRunStep {
  /** 1-based position among all runs of the experiment. */
  readonly index: number;
  readonly total: number;
  readonly trace: string;
  readonly policy: string;
  readonly seed: number;
}

export interface TimeExperimentOptions {
  readonly nodes: readonly GpuNodeSpec[];
  readonly traces: readonly TimeTrace[];
  readonly policies: readonly string[];
  readonly seeds: readonly number[];
  /** Spacing of the allocation samples in trace seconds (default 3600). */
  readonly sampleEverySec?: number;
  /** See TimeReplayOptions.gpuNodesOnly (default true, as in the FGD methodology). */
  readonly gpuNodesOnly?: boolean;
  readonly tieBreak?: TieBreak;
  /**
   * K: arrival = creation_time ÷ K, runtimes kept (default 1, the trace's own timing). 'auto' picks
   * per pod list the K whose offered load is `targetLoad` (autoArrivalCompression).
   */
  readonly arrivalCompression?: number | 'auto';
  /** The offered load 'auto' aims at (default 1: the GPU work offered equals the capacity). */
  readonly targetLoad?: number;
  readonly onRunStart?: (step: TimeRunStep) => void;
}

/** Every figure is the mean over the seeds. */
export interface TimePolicyOutcome {
  readonly trace: string;
  readonly policy: string;
  readonly seeds: readonly number[];
  readonly sampleEverySec: number;
  /**
   * Allocation % at trace time startTime + k·sampleEverySec. All curves of one trace have the same
   * length: past its last event a run stays at its end allocation (nothing changes after the last
   * event).
   */
  readonly allocatedPct: Float64Array;
  readonly meanAllocatedPct: number;
  readonly peakAllocatedPct: number;
  readonly delayMeanSec: number;
  readonly delayP50Sec: number;
  readonly delayP95Sec: number;
  readonly delayP99Sec: number;
  readonly delayMaxSec: number;
  readonly podsTotal: number;
  readonly podsPlaced: number;
  readonly podsPlacedAtOnce: number;
  readonly podsNeverFit: number;
  readonly podsWaitingAtEnd: number;
  readonly podsSkipped: number;
  readonly podsOpenEnded: number;
  readonly queuePeak: number;
  readonly makespanSec: number;
  readonly traceSpanSec: number;
  /** The K used for this pod list (1 = uncompressed). */
  readonly arrivalCompression: number;
  /** Offered load at that K: K × Σ runtime × GPU request ÷ (arrival span × GPU capacity). */
  readonly offeredLoad: number;
  /** Never-fit pods of the first seed's run (the verdict does not depend on policy or seed). */
  readonly neverFitPods: readonly string[];
}

export interface TimeExperimentResult {
  readonly sampleEverySec: number;
  /** In trace order, then policy order. */
  readonly outcomes: readonly TimePolicyOutcome[];
}

type Figure = Exclude<
  keyof TimePolicyOutcome,
  | 'trace'
  | 'policy'
  | 'seeds'
  | 'sampleEverySec'
  | 'allocatedPct'
  | 'neverFitPods'
  | 'arrivalCompression'
  | 'offeredLoad'
>;

const FIGURES: Readonly<Record<Figure, (r: TimeReplayResult) => number>> = {
  meanAllocatedPct: (r) => r.meanAllocatedPct,
  peakAllocatedPct: (r) => r.peakAllocatedPct,
  delayMeanSec: (r) => r.delaySec.mean,
  delayP50Sec: (r) => r.delaySec.p50,
  delayP95Sec: (r) => r.delaySec.p95,
  delayP99Sec: (r) => r.delaySec.p99,
  delayMaxSec: (r) => r.delaySec.max,
  podsTotal: (r) => r.podsTotal,
  podsPlaced: (r) => r.podsPlaced,
  podsPlacedAtOnce: (r) => r.podsPlacedAtOnce,
  podsNeverFit: (r) => r.podsNeverFit,
  podsWaitingAtEnd: (r) => r.podsWaitingAtEnd,
  podsSkipped: (r) => r.podsSkipped,
  podsOpenEnded: (r) => r.podsOpenEnded,
  queuePeak: (r) => r.queuePeak,
  makespanSec: (r) => r.makespanSec,
  traceSpanSec: (r) => r.traceSpanSec,
};

export function runTimeExperiment(options: TimeExperimentOptions): TimeExperimentResult {
  if (options.seeds.length === 0) throw new RangeError('at least one seed is needed');
  const sampleEverySec = options.sampleEverySec ?? 3600;
  const requested = options.arrivalCompression ?? 1;
  if (requested !== 'auto') checkArrivalCompression(requested);
  const total = options.traces.length * options.policies.length * options.seeds.length;
  const outcomes: TimePolicyOutcome[] = [];
  let index = 0;
  for (const trace of options.traces) {
    // Computed once per pod list: FGD measures fragmentation against it in every run.
    const typicalPods = typicalPodsOf(trace.pods.map(toRequest));
    const basis = loadBasis(options.nodes, trace.pods);
    const compression =
      requested === 'auto' ? autoCompressionOf(trace.name, basis, options.targetLoad) : requested;
    const perPolicy = options.policies.map((policy) =>
      options.seeds.map((seed) => {
        options.onRunStart?.({ index: ++index, total, trace: trace.name, policy, seed });
        return runTimeReplay({
          nodes: options.nodes,
          pods: trace.pods,
          policy,
          seed,
          sampleEverySec,
          typicalPods,
          tieBreak: options.tieBreak ?? 'first',
          arrivalCompression: compression,
          ...(options.gpuNodesOnly !== undefined && { gpuNodesOnly: options.gpuNodesOnly }),
        });
      }),
    );
    // One grid per trace: every run starts at the trace's first arrival; the longest run sets the end.
    const length = Math.max(...perPolicy.flat().map((r) => r.allocatedPct.length));
    for (const runs of perPolicy) {
      const figures = {} as Record<Figure, number>;
      for (const [name, of] of Object.entries(FIGURES) as [Figure, (r: TimeReplayResult) => number][])
        figures[name] = runs.reduce((sum, r) => sum + of(r), 0) / runs.length;
      outcomes.push({
        trace: trace.name,
        policy: runs[0]!.policy,
        seeds: options.seeds,
        sampleEverySec,
        allocatedPct: meanCurve(runs, length),
        neverFitPods: runs[0]!.neverFitPods,
        arrivalCompression: compression,
        offeredLoad: offeredLoad(basis, compression),
        ...figures,
      });
    }
  }
  return { sampleEverySec, outcomes };
}

function autoCompressionOf(trace: string, basis: LoadBasis, targetLoad = 1): number {
  try {
    return autoArrivalCompression(basis, targetLoad);
  } catch (error) {
    throw new Error(`${trace}: cannot pick the arrival compression: ${(error as Error).message}`);
  }
}

/**
 * Pointwise mean of the runs' allocation curves over `length` samples; past its last sample a run
 * stays at its end allocation (no event is left to change it).
 */
export function meanCurve(
  runs: readonly Pick<TimeReplayResult, 'allocatedPct' | 'endAllocatedPct'>[],
  length: number,
): Float64Array {
  const sum = new Float64Array(length);
  for (const run of runs) {
    const curve = run.allocatedPct;
    for (let k = 0; k < length; k++) sum[k] = sum[k]! + (k < curve.length ? curve[k]! : run.endAllocatedPct);
  }
  return sum.map((v) => v / runs.length);
}
