/**
 * The typical-pod distribution for live placement (issue 4): FGD and strata measure fragmentation
 * against "the pods that usually arrive". The simulator takes them from the whole trace
 * (`typicalPodsOf`); the live engine learns them from what it binds.
 *
 * The tracker counts request shapes (cpuMilli, gpuMilli, numGpu, model list) of the pods the
 * engine binds or restores, on top of an optional seed list (a trace, the fleet's history), and
 * derives the distribution with exactly the rules of `typicalPodsOf` (most frequent shapes first,
 * cut once they cover the popularity threshold, 0.95 by default; frequencies renormalised).
 *
 * The fragmentation meter's per-node values depend on the distribution, so it is not rebuilt per
 * decision: it is recomputed when `refresh()` is called or when, since the last refresh, as many
 * pods were recorded as min(refreshEvery, pods counted at the last refresh, at least 1) — that is
 * after 1, 2, 4, …, 128, 256 pods while the history is young, then every `refreshEvery` (default
 * DEFAULT_REFRESH_EVERY = 256) pods. `epoch` is bumped whenever the distribution changes; scorers
 * drop their cached node scores on a new epoch.
 *
 * MIG pods are not recorded: they use MIG slices, not the milli-GPU the meter measures.
 * With nothing recorded and no seed the distribution is empty; the scorers then fall back to the
 * pod being placed as the only typical shape (fragmentation-scorers.ts).
 */
import { ShapeTally, type TypicalPod, type TypicalPodSource } from './fgd-fragmentation.js';
import type { PreparedPod } from './prepared-pod.js';

export const DEFAULT_REFRESH_EVERY = 256;
export const DEFAULT_POPULARITY_THRESHOLD = 0.95;

export interface TypicalPodTrackerOptions {
  /** Shapes counted before any bind (e.g. a trace's pods or the fleet's history). */
  readonly seed?: readonly TypicalPodSource[];
  /** Recorded pods between automatic refreshes once the history is large (default 256). */
  readonly refreshEvery?: number;
  /** Share of pods the kept shapes must cover (default 0.95, as typicalPodsOf). */
  readonly popularityThreshold?: number;
}

export class TypicalPodTracker {
  readonly refreshEvery: number;
  readonly popularityThreshold: number;
  readonly #tally = new ShapeTally();
  #totalAtRefresh = 0;
  #pending = 0;
  #epoch = 0;
  #distribution: readonly TypicalPod[] = [];

  constructor(options: TypicalPodTrackerOptions = {}) {
    this.refreshEvery = Math.max(1, Math.floor(options.refreshEvery ?? DEFAULT_REFRESH_EVERY));
    this.popularityThreshold = options.popularityThreshold ?? DEFAULT_POPULARITY_THRESHOLD;
    for (const p of options.seed ?? []) this.#tally.add(p);
    this.refresh();
  }

  /** Bumped each time the distribution changes. */
  get epoch(): number {
    return this.#epoch;
  }

  /** The current distribution (empty until something is recorded or seeded). */
  get distribution(): readonly TypicalPod[] {
    return this.#distribution;
  }

  /** Pods counted so far, seed included. */
  get total(): number {
    return this.#tally.total;
  }

  /** Pods recorded since the last refresh. */
  get pending(): number {
    return this.#pending;
  }

  /** Counts one pod shape; refreshes the distribution when the refresh rule says so. */
  record(shape: TypicalPodSource): void {
    this.#tally.add(shape);
    this.#pending++;
    if (this.#pending >= Math.min(this.refreshEvery, Math.max(1, this.#totalAtRefresh))) this.refresh();
  }

  /** record() for a pod the engine bound; MIG pods are skipped (see the module comment). */
  recordPod(pod: PreparedPod): void {
    if (pod.gpuKind === 'mig') return;
    const c = pod.compiled;
    this.record({
      cpuMilli: c.cpuMilli,
      gpuMilli: c.gpuMilli,
      numGpu: c.numGpu,
      models: pod.sig.spec.models,
    });
  }

  /** Recomputes the distribution now; bumps the epoch when it changed. */
  refresh(): void {
    this.#pending = 0;
    this.#totalAtRefresh = this.#tally.total;
    const next = this.#tally.distribution(this.popularityThreshold);
    if (!sameDistribution(next, this.#distribution)) {
      this.#distribution = next;
      this.#epoch++;
    }
  }
}

function sameDistribution(a: readonly TypicalPod[], b: readonly TypicalPod[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (
      x.cpuMilli !== y.cpuMilli ||
      x.gpuMilli !== y.gpuMilli ||
      x.numGpu !== y.numGpu ||
      x.freq !== y.freq ||
      x.models.join('|') !== y.models.join('|')
    )
      return false;
  }
  return true;
}
