import { formatSeedList } from './seeds.js';
import { renderLineChart } from './svg-chart.js';
import type { TimePolicyOutcome } from './time-replay-experiment.js';

/**
 * Outputs of `strata simulate --mode time`: the terminal table, `time-summary.json`,
 * `time-curves-<trace>.csv` and `time-allocation-<trace>.svg`. Pure functions of the outcomes:
 * fixed rounding and formatting, so the same runs give the same bytes.
 */

const SECONDS_PER_HOUR = 3600;

export const TIME_TABLE_HEADERS = [
  'Trace',
  'Policy',
  'Seeds',
  'Mean alloc %',
  'Peak alloc %',
  'Delay mean s',
  'Delay p95 s',
  'Delay p99 s',
  'Placed',
  'Never fit',
  'Waiting at end',
  'Skipped',
  'Makespan h',
] as const;

/** Counts are exact for policies that ignore the seed; a fractional mean over seeds keeps one decimal. */
function count(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function fixed(value: number, digits: number): string {
  return Number.isNaN(value) ? '-' : value.toFixed(digits);
}

export function timeTableRows(outcomes: readonly TimePolicyOutcome[]): string[][] {
  return outcomes.map((o) => [
    o.trace,
    o.policy,
    String(o.seeds.length),
    fixed(o.meanAllocatedPct, 2),
    fixed(o.peakAllocatedPct, 2),
    fixed(o.delayMeanSec, 1),
    fixed(o.delayP95Sec, 1),
    fixed(o.delayP99Sec, 1),
    count(o.podsPlaced),
    count(o.podsNeverFit),
    count(o.podsWaitingAtEnd),
    count(o.podsSkipped),
    fixed(o.makespanSec / SECONDS_PER_HOUR, 1),
  ]);
}

/** One record of `time-summary.json`: one pod list × one policy, means over its seeds. */
export interface TimeSummaryRecord {
  readonly trace: string;
  readonly policy: string;
  readonly seeds: readonly number[];
  readonly meanAllocatedPct: number;
  readonly peakAllocatedPct: number;
  /** null when no pod was placed. */
  readonly queueingDelaySec: {
    readonly mean: number | null;
    readonly p50: number | null;
    readonly p95: number | null;
    readonly p99: number | null;
    readonly max: number | null;
  };
  readonly pods: {
    readonly total: number;
    readonly placed: number;
    readonly placedWithoutWaiting: number;
    readonly neverFit: number;
    readonly waitingAtEnd: number;
    readonly skippedNoCreationTime: number;
    readonly neverDepart: number;
  };
  readonly queuePeak: number;
  readonly makespanSec: number;
  readonly traceSpanSec: number;
  readonly sampleEverySec: number;
  /**
   * Only when arrivals were compressed (K ≠ 1), so that an uncompressed run's file is unchanged: the
   * K used (creation_time ÷ K, runtimes kept) and the offered load at it (K × Σ runtime × GPU
   * request ÷ (arrival span × GPU capacity)).
   */
  readonly arrivalCompression?: number;
  readonly offeredLoad?: number | null;
}

/** 4 decimals keep the file diff-friendly and far below any difference that matters. */
function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function orNull(value: number): number | null {
  return Number.isNaN(value) ? null : round4(value);
}

export function timeSummaryRecords(outcomes: readonly TimePolicyOutcome[]): TimeSummaryRecord[] {
  return outcomes.map((o) => ({
    trace: o.trace,
    policy: o.policy,
    seeds: [...o.seeds],
    meanAllocatedPct: round4(o.meanAllocatedPct),
    peakAllocatedPct: round4(o.peakAllocatedPct),
    queueingDelaySec: {
      mean: orNull(o.delayMeanSec),
      p50: orNull(o.delayP50Sec),
      p95: orNull(o.delayP95Sec),
      p99: orNull(o.delayP99Sec),
      max: orNull(o.delayMaxSec),
    },
    pods: {
      total: round4(o.podsTotal),
      placed: round4(o.podsPlaced),
      placedWithoutWaiting: round4(o.podsPlacedAtOnce),
      neverFit: round4(o.podsNeverFit),
      waitingAtEnd: round4(o.podsWaitingAtEnd),
      skippedNoCreationTime: round4(o.podsSkipped),
      neverDepart: round4(o.podsOpenEnded),
    },
    queuePeak: round4(o.queuePeak),
    makespanSec: round4(o.makespanSec),
    traceSpanSec: round4(o.traceSpanSec),
    sampleEverySec: o.sampleEverySec,
    ...(o.arrivalCompression !== 1 && {
      arrivalCompression: o.arrivalCompression,
      offeredLoad: orNull(o.offeredLoad),
    }),
  }));
}

export function renderTimeSummaryJson(records: readonly TimeSummaryRecord[]): string {
  return `${JSON.stringify(records, null, 2)}\n`;
}

/** K with at most 4 decimals: `431.4438`, `50`. */
export function formatCompression(k: number): string {
  return formatNumber(k);
}

/**
 * The table heading's note on load scaling: '' when no pod list was compressed (K = 1 everywhere),
 * else `; arrivals compressed K× (creation_time ÷ K, runtimes kept): K = 50` (one K per pod list,
 * named, when they differ by pod list).
 */
export function compressionHeading(outcomes: readonly TimePolicyOutcome[]): string {
  const perTrace = new Map<string, number>();
  for (const o of outcomes) if (!perTrace.has(o.trace)) perTrace.set(o.trace, o.arrivalCompression);
  const ks = [...perTrace.values()];
  if (ks.every((k) => k === 1)) return '';
  const same = ks.every((k) => k === ks[0]);
  const list = same
    ? formatCompression(ks[0]!)
    : [...perTrace].map(([trace, k]) => `${formatCompression(k)} for ${trace}`).join(', ');
  return `; arrivals compressed K× (creation_time ÷ K, runtimes kept): K = ${list}`;
}

/**
 * `time-curves-<trace>.csv`: one row per sample (hours since the trace's first arrival), one column
 * per policy with its allocation % (mean over seeds). Header: `time_h,<policy>,…`.
 */
export function renderTimeCurvesCsv(outcomes: readonly TimePolicyOutcome[]): string {
  const length = outcomes[0]?.allocatedPct.length ?? 0;
  for (const o of outcomes) {
    if (o.allocatedPct.length !== length)
      throw new RangeError(`${o.policy}: curve has ${o.allocatedPct.length} points, expected ${length}`);
  }
  const step = (outcomes[0]?.sampleEverySec ?? SECONDS_PER_HOUR) / SECONDS_PER_HOUR;
  const lines = [['time_h', ...outcomes.map((o) => o.policy)].join(',')];
  for (let k = 0; k < length; k++)
    lines.push([formatNumber(k * step), ...outcomes.map((o) => formatNumber(o.allocatedPct[k]!))].join(','));
  return `${lines.join('\n')}\n`;
}

/** At most 4 decimals, trailing zeros dropped. */
function formatNumber(value: number): string {
  return String(Math.round(value * 10_000) / 10_000);
}

/** The smallest 1, 2 or 5 × 10^k step that splits `range` into at most `maxTicks` intervals. */
export function niceStep(range: number, maxTicks = 10): number {
  if (!(range > 0)) return 1;
  const raw = range / maxTicks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * magnitude >= raw) return m * magnitude;
  return 10 * magnitude;
}

/**
 * `time-allocation-<trace>.svg`: allocation % of GPU capacity against trace time (hours since the
 * first arrival), one line per policy (mean over seeds). The y axis ends just above the highest
 * curve (at most 100%) so that a lightly loaded trace is not drawn as a flat line at zero.
 */
export function timeAllocationChartSvg(trace: string, outcomes: readonly TimePolicyOutcome[]): string {
  const seeds = outcomes[0]?.seeds ?? [];
  const k = outcomes[0]?.arrivalCompression ?? 1;
  const stepH = (outcomes[0]?.sampleEverySec ?? SECONDS_PER_HOUR) / SECONDS_PER_HOUR;
  const points = outcomes[0]?.allocatedPct.length ?? 0;
  const spanH = Math.max(stepH, (points - 1) * stepH);
  const xStep = niceStep(spanH);
  let top = 0;
  for (const o of outcomes) for (const v of o.allocatedPct) top = Math.max(top, v);
  const yStep = niceStep(Math.min(100, Math.max(top * 1.05, 0.1)));
  const yMax = Math.min(100, Math.max(yStep, Math.ceil((top * 1.05) / yStep) * yStep));
  return renderLineChart({
    title: `GPU allocation over time: ${trace}`,
    subtitle: `time replay (FIFO queue with backfill), mean over seeds ${formatSeedList(seeds)} (${seeds.length} run${seeds.length === 1 ? '' : 's'} per policy)`,
    x: {
      label:
        k === 1
          ? 'Trace time (hours since the first arrival)'
          : `Replay time (hours since the first arrival; arrivals compressed ${formatCompression(k)}×)`,
      min: 0,
      max: Math.ceil(spanH / xStep) * xStep,
      step: xStep,
    },
    y: { label: 'Allocated GPU (% of capacity)', min: 0, max: yMax, step: yStep },
    series: outcomes.map((o) => ({
      name: o.policy,
      legend: `${o.policy}: mean ${o.meanAllocatedPct.toFixed(2)}%, p95 wait ${fixed(o.delayP95Sec, 0)} s`,
      points: Array.from(o.allocatedPct, (y, k) => [k * stepH, y] as const),
    })),
  });
}
