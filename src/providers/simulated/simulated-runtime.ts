/**
 * The digital twin's pods (issue 6 item 5): a `PodRuntime` whose pods run nothing, only time. A pod
 * is Running as soon as it is launched and ends after its workload's `simulation.durationSeconds`
 * of virtual time: Succeeded, or Failed with reason Error when `simulation.exitCode` is not 0; a
 * `maxRuntimeSeconds` shorter than that ends it Failed with reason DeadlineExceeded at the deadline.
 *
 * Time is the injected clock, never the wall clock: nothing happens until `tick()` is called, and
 * then every pod whose end has come (by the clock) reports, in the order they ended. The provider
 * shell calls `tick()` on a timer; tests advance a ManualClock and call it themselves.
 *
 * A pod's run starts at its admission (`attempt`, the admission time), not at its launch: a twin
 * starts the moment it is placed, so a control plane that restarts (or a new leader) launches the
 * pod again and it still ends when it would have, instead of starting its virtual time over. A pod
 * launched again after it ended here (a restart in place) runs from the clock's time.
 *
 * `acceleration` is virtual seconds per clock second: at 60, a pod simulated for one hour ends after
 * one minute of clock time, so a demo on the system clock stays lively while workloads keep
 * realistic durations. Deadlines are scaled the same way (they are in the workload's own time).
 */
import type { Clock } from '../../runtime/clock.js';
import type { PodLaunch, PodReport, PodRuntime } from '../pod-launch.js';

/** A workload that says nothing about its simulated run time runs this long (virtual seconds). */
export const DEFAULT_SIMULATED_DURATION_SECONDS = 3600;

export interface SimulatedRuntimeOptions {
  readonly clock: Clock;
  /** Virtual seconds per clock second (default 1). */
  readonly acceleration?: number;
  /** Virtual run time of a pod whose launch has no `simulation` (default one hour). */
  readonly defaultDurationSeconds?: number;
}

/** How a simulated pod ends: decided at launch, since nothing outside the clock can change it. */
interface Ending {
  readonly atMs: number;
  readonly reason: 'Completed' | 'Error' | 'DeadlineExceeded';
  readonly exitCode?: number;
  readonly virtualSeconds: number;
}

interface SimulatedPod {
  readonly id: string;
  readonly ending: Ending;
  /** False until its Running report went out (reports go out after `launch` returns). */
  announced: boolean;
  readonly startedAt: string;
  readonly message: string;
}

export class SimulatedRuntime implements PodRuntime {
  readonly name = 'simulated';
  readonly #clock: Clock;
  readonly #acceleration: number;
  readonly #defaultSeconds: number;
  readonly #pods = new Map<string, SimulatedPod>();
  /** Ids that ran to their end (or were stopped) here: launched again, they start afresh. */
  readonly #ended = new Set<string>();
  readonly #listeners = new Set<(report: PodReport) => void>();
  #closed = false;

  constructor(options: SimulatedRuntimeOptions) {
    const acceleration = options.acceleration ?? 1;
    if (!(acceleration > 0)) throw new RangeError(`acceleration must be > 0, got ${acceleration}`);
    const seconds = options.defaultDurationSeconds ?? DEFAULT_SIMULATED_DURATION_SECONDS;
    if (!(seconds > 0)) throw new RangeError(`defaultDurationSeconds must be > 0, got ${seconds}`);
    this.#clock = options.clock;
    this.#acceleration = acceleration;
    this.#defaultSeconds = seconds;
  }

  launch(pod: PodLaunch): void {
    if (this.#closed || this.#pods.has(pod.id)) return;
    const nowMs = this.#clock.now().getTime();
    const admittedMs = Date.parse(pod.attempt);
    const startMs = this.#ended.has(pod.id) || Number.isNaN(admittedMs) ? nowMs : Math.min(admittedMs, nowMs);
    const ending = this.#endingOf(pod, startMs);
    const speed = this.#acceleration === 1 ? '' : ` at ${this.#acceleration}× speed`;
    const entry: SimulatedPod = {
      id: pod.id,
      ending,
      announced: false,
      startedAt: new Date(startMs).toISOString(),
      message: `simulated on ${pod.node} (digital twin): runs ${ending.virtualSeconds} s of virtual time${speed}`,
    };
    this.#pods.set(pod.id, entry);
    // The Running report goes out after launch returns, as a real provider's would (its process
    // starts asynchronously), so a runner never sees a report for a pod it has not recorded yet.
    queueMicrotask(() => this.#announce(entry));
  }

  stop(id: string): void {
    const pod = this.#pods.get(id);
    if (!pod) return;
    this.#announce(pod);
    this.#pods.delete(id);
    this.#ended.add(id);
    this.#emit({
      id,
      phase: 'Failed',
      at: this.#clock.now().toISOString(),
      reason: 'Stopped',
      message: 'stopped by Strata (simulated pod)',
    });
  }

  running(): readonly string[] {
    return [...this.#pods.keys()];
  }

  onReport(listener: (report: PodReport) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** When the next pod ends by the clock, or undefined when none runs. */
  nextEnding(): Date | undefined {
    let next = Number.POSITIVE_INFINITY;
    for (const pod of this.#pods.values()) next = Math.min(next, pod.ending.atMs);
    return Number.isFinite(next) ? new Date(next) : undefined;
  }

  /** Ends every pod whose time has come by the clock, earliest first (ties: launch order). */
  tick(): void {
    const nowMs = this.#clock.now().getTime();
    const due = [...this.#pods.values()]
      .filter((p) => p.ending.atMs <= nowMs)
      .sort((a, b) => a.ending.atMs - b.ending.atMs);
    for (const pod of due) {
      this.#announce(pod);
      this.#pods.delete(pod.id);
      this.#ended.add(pod.id);
      const { ending } = pod;
      this.#emit({
        id: pod.id,
        phase: ending.reason === 'Completed' ? 'Succeeded' : 'Failed',
        at: new Date(ending.atMs).toISOString(),
        reason: ending.reason,
        ...(ending.exitCode !== undefined && { exitCode: ending.exitCode }),
        message:
          ending.reason === 'DeadlineExceeded'
            ? `simulated pod reached its maximum runtime after ${ending.virtualSeconds} s of virtual time`
            : `simulated pod ended after ${ending.virtualSeconds} s of virtual time with exit code ${ending.exitCode}`,
      });
    }
  }

  async close(): Promise<void> {
    for (const id of [...this.#pods.keys()]) this.stop(id);
    this.#closed = true;
    this.#listeners.clear();
  }

  #endingOf(pod: PodLaunch, startMs: number): Ending {
    const duration = pod.simulation?.durationSeconds ?? this.#defaultSeconds;
    const exitCode = pod.simulation?.exitCode ?? 0;
    const deadline = pod.maxRuntimeSeconds;
    const clockMs = (virtualSeconds: number) => Math.round((virtualSeconds * 1000) / this.#acceleration);
    if (deadline !== undefined && deadline < duration) {
      return { atMs: startMs + clockMs(deadline), reason: 'DeadlineExceeded', virtualSeconds: deadline };
    }
    return {
      atMs: startMs + clockMs(duration),
      reason: exitCode === 0 ? 'Completed' : 'Error',
      exitCode,
      virtualSeconds: duration,
    };
  }

  #announce(pod: SimulatedPod): void {
    if (pod.announced) return;
    pod.announced = true;
    this.#emit({ id: pod.id, phase: 'Running', at: pod.startedAt, message: pod.message });
  }

  #emit(report: PodReport): void {
    for (const listener of [...this.#listeners]) listener(report);
  }
}
