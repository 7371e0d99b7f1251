/**
 * The one loop every provider runs under (issue 6): it turns the Workloads admitted onto its nodes
 * into pod launches on a `PodRuntime`, and the runtime's reports into Workload status.
 *
 * Reconcile (on every change the port signals, and every `resyncMs`):
 * - a workload holding its booking (Admitted/Running), not cancelled: launch each of its pods on an
 *   owned node that has not ended and is not running or waiting for a restart;
 * - every pod the runtime runs that is no longer wanted is stopped: its workload is gone, ended,
 *   sent back to its queue (preempted, node lost), admitted again elsewhere (a new attempt), or
 *   cancelled. This is also how a node that comes back after a partition drops work that moved.
 * - a cancelled workload none of whose pods still runs is ended Cancelled.
 *
 * Reports are folded into status by `applyReport` (workload-progress.ts) and written conditionally
 * on the resourceVersion read; on a conflict the workload is read again and the reports reapplied,
 * so several runners sharing a gang (agents on different nodes) never lose each other's updates.
 * A report the status cannot take (the workload moved on) is dropped.
 */
import type { NodeSpec } from '../model/fleet.js';
import type { ApiObject } from '../model/object.js';
import { workloadSpec } from '../model/scheduling.js';
import { HOLDING_PHASES } from '../model/workload-history.js';
import type { Clock } from '../runtime/clock.js';
import type { PodLaunch, PodReport, PodRuntime } from './pod-launch.js';
import { launchesOf } from './pod-launches.js';
import type { WorkloadPort, WorkloadRef } from './workload-port.js';
import { applyReport, summarize, type Workload } from './workload-progress.js';

export interface WorkloadRunnerOptions {
  readonly port: WorkloadPort;
  readonly runtime: PodRuntime;
  /** The nodes whose pods this runner runs. */
  readonly owns: (node: string) => boolean;
  readonly clock: Clock;
  /** Full resync period; default 2000 ms. */
  readonly resyncMs?: number;
  readonly onError?: (error: unknown) => void;
}

/** Conditional writes retried this many times against a busy workload before waiting for the next sync. */
const WRITE_ATTEMPTS = 5;

const keyOf = (ref: WorkloadRef) => (ref.project ? `${ref.project}/${ref.name}` : ref.name);

export class WorkloadRunner {
  readonly #o: WorkloadRunnerOptions;
  /** The last version of each workload seen. */
  readonly #workloads = new Map<string, Workload>();
  /** Launches this runner made whose final report it has not yet seen. */
  readonly #launched = new Map<string, PodLaunch>();
  /** Pods that ended for good, so they are not launched again before the status shows it. */
  readonly #ended = new Set<string>();
  /** Pods whose final report is not yet written: neither running nor to be launched. */
  readonly #settling = new Set<string>();
  /** Reports not yet written, per workload key. */
  readonly #reports = new Map<string, { launch: PodLaunch; report: PodReport }[]>();
  readonly #restarts = new Map<string, NodeJS.Timeout>();
  #chain: Promise<void> = Promise.resolve();
  #syncQueued = false;
  #flushQueued = false;
  #stopped = false;
  #unsubscribe: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(options: WorkloadRunnerOptions) {
    this.#o = options;
  }

  start(): void {
    this.#unsubscribe.push(
      this.#o.port.watch(() => this.#queueSync()),
      this.#o.runtime.onReport((report) => this.#onReport(report)),
    );
    this.#timer = setInterval(() => this.#queueSync(), this.#o.resyncMs ?? 2000);
    this.#timer.unref();
    this.#queueSync();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
    if (this.#timer) clearInterval(this.#timer);
    for (const t of this.#restarts.values()) clearTimeout(t);
    this.#restarts.clear();
    await this.#chain;
  }

  /** One reconcile pass, after any pass already running. */
  sync(): Promise<void> {
    return this.#serial(() => this.#sync());
  }

  /** Writes the reports received so far. */
  flush(): Promise<void> {
    return this.#serial(() => this.#flush());
  }

  #serial(fn: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(fn, fn);
    this.#chain = next.catch((error: unknown) => this.#report(error));
    return next;
  }

  #report(error: unknown): void {
    (this.#o.onError ?? ((e) => process.emitWarning(`workload runner: ${String(e)}`)))(error);
  }

  #queueSync(): void {
    if (this.#syncQueued || this.#stopped) return;
    this.#syncQueued = true;
    setImmediate(() => {
      this.#syncQueued = false;
      if (!this.#stopped) void this.sync().catch(() => {});
    });
  }

  #onReport(report: PodReport): void {
    const launch = this.#launched.get(report.id);
    if (!launch) return;
    const key = keyOf(launch.workload);
    let queue = this.#reports.get(key);
    if (!queue) {
      queue = [];
      this.#reports.set(key, queue);
    }
    queue.push({ launch, report });
    if (report.phase !== 'Running') {
      this.#launched.delete(report.id);
      // Until the flush decides between a restart and the end, a sync must not launch it again.
      this.#settling.add(report.id);
    }
    if (this.#flushQueued || this.#stopped) return;
    this.#flushQueued = true;
    setImmediate(() => {
      this.#flushQueued = false;
      void this.flush().catch(() => {});
    });
  }

  async #sync(): Promise<void> {
    if (this.#stopped) return;
    const { port, runtime, owns } = this.#o;
    const items = await port.list();
    const nodes = new Map<string, NodeSpec | undefined>();
    const wanted = new Set<string>();
    const seen = new Set<string>();
    const toCancel: Workload[] = [];
    for (const raw of items) {
      const w = parsed(raw);
      if (!w) continue;
      const key = keyOf(w.metadata);
      seen.add(key);
      this.#workloads.set(key, w);
      const status = w.status;
      if (!status?.admission || !HOLDING_PHASES.has(status.phase)) continue;
      const mine = [...new Set(status.admission.pods.map((p) => p.node))].filter(owns);
      if (mine.length === 0) continue;
      if (w.spec.cancelled) {
        toCancel.push(w);
        continue;
      }
      for (const name of mine) {
        if (!nodes.has(name)) nodes.set(name, specOf(await port.node(name)));
      }
      for (const launch of launchesOf(w, (name) => (owns(name) ? nodes.get(name) : undefined))) {
        const entry = status.pods?.find((p) => p.pod === launch.pod && p.attempt === launch.attempt);
        if (entry?.phase === 'Succeeded' || entry?.phase === 'Failed' || this.#ended.has(launch.id)) continue;
        wanted.add(launch.id);
        if (this.#launched.has(launch.id) || this.#restarts.has(launch.id) || this.#settling.has(launch.id))
          continue;
        this.#launch(launch);
      }
    }
    for (const key of this.#workloads.keys()) if (!seen.has(key)) this.#workloads.delete(key);
    for (const id of runtime.running()) if (!wanted.has(id)) runtime.stop(id);
    for (const [id, timer] of this.#restarts) {
      if (wanted.has(id)) continue;
      clearTimeout(timer);
      this.#restarts.delete(id);
    }
    for (const id of this.#ended) if (!wanted.has(id) && !this.#stillCurrent(id)) this.#ended.delete(id);
    for (const w of toCancel) await this.#endCancelled(w);
    await this.#flush();
  }

  #launch(launch: PodLaunch): void {
    this.#launched.set(launch.id, launch);
    this.#o.runtime.launch(launch);
  }

  /** Whether an ended pod's workload still shows that attempt (so it must not run again). */
  #stillCurrent(id: string): boolean {
    const at = id.lastIndexOf('@');
    const attempt = id.slice(at + 1);
    const ref = id.slice(0, id.lastIndexOf('/', at));
    return this.#workloads.get(ref)?.status?.admission?.admittedAt === attempt;
  }

  /** A cancelled workload ends once none of its pods runs here or (per its status) anywhere. */
  async #endCancelled(w: Workload): Promise<void> {
    const attempt = w.status?.admission?.admittedAt;
    const mineRunning = this.#o.runtime
      .running()
      .some((id) => id.endsWith(`@${attempt}`) && id.startsWith(`${keyOf(w.metadata)}/`));
    if (mineRunning || this.#reports.has(keyOf(w.metadata))) return;
    const next = summarize(w, w.status!, this.#o.clock.now().toISOString());
    if (next.phase !== 'Cancelled') return;
    await this.#write(keyOf(w.metadata), () => {
      const current = this.#workloads.get(keyOf(w.metadata));
      if (!current?.status || !current.spec.cancelled || !HOLDING_PHASES.has(current.status.phase))
        return undefined;
      const status = summarize(current, current.status, this.#o.clock.now().toISOString());
      return status.phase === 'Cancelled' ? status : undefined;
    });
  }

  async #flush(): Promise<void> {
    for (const [key, queue] of [...this.#reports]) {
      this.#reports.delete(key);
      const restartAt = new Map<string, { launch: PodLaunch; atMs: number }>();
      await this.#write(key, () => {
        const w = this.#workloads.get(key);
        if (!w) return undefined;
        let current: Workload = w;
        let changed = false;
        restartAt.clear();
        for (const { launch, report } of queue) {
          const progress = applyReport(current, launch, report);
          if (progress.restartAtMs !== undefined)
            restartAt.set(launch.id, { launch, atMs: progress.restartAtMs });
          if (!progress.status) continue;
          current = { ...current, status: progress.status };
          changed = true;
        }
        return changed ? current.status : undefined;
      });
      for (const { launch, report } of queue) {
        if (report.phase === 'Running') continue;
        this.#settling.delete(launch.id);
        if (!restartAt.has(launch.id)) this.#ended.add(launch.id);
      }
      for (const [id, { launch, atMs }] of restartAt) this.#scheduleRestart(id, launch, atMs);
    }
  }

  #scheduleRestart(id: string, launch: PodLaunch, atMs: number): void {
    if (this.#restarts.has(id) || this.#stopped) return;
    const delay = Math.max(0, atMs - this.#o.clock.now().getTime());
    const timer = setTimeout(() => {
      this.#restarts.delete(id);
      const w = this.#workloads.get(keyOf(launch.workload));
      if (this.#stopped || w?.status?.admission?.admittedAt !== launch.attempt || w.spec.cancelled) return;
      if (!HOLDING_PHASES.has(w.status.phase)) return;
      this.#launch(launch);
    }, delay);
    timer.unref();
    this.#restarts.set(id, timer);
  }

  /**
   * Writes the status `next()` derives from the cached workload, conditionally on its version;
   * on a conflict reads the workload again and derives again.
   */
  async #write(key: string, next: () => Workload['status'] | undefined): Promise<void> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const w = this.#workloads.get(key);
      if (!w) return;
      const status = next();
      if (!status) return;
      const ref = {
        name: w.metadata.name,
        ...(w.metadata.project !== undefined && { project: w.metadata.project }),
      };
      const outcome = await this.#o.port.writeStatus(ref, status, w.metadata.resourceVersion);
      if (outcome === 'written') {
        this.#workloads.set(key, { ...w, status });
        return;
      }
      const fresh = outcome === 'gone' ? undefined : parsed(await this.#o.port.get(ref));
      if (!fresh) {
        this.#workloads.delete(key);
        return;
      }
      this.#workloads.set(key, fresh);
    }
    this.#queueSync();
  }
}

function parsed(raw: ApiObject | undefined): Workload | undefined {
  if (!raw) return undefined;
  const spec = workloadSpec.safeParse(raw.spec);
  return spec.success ? ({ ...raw, spec: spec.data } as Workload) : undefined;
}

function specOf(node: ApiObject | undefined): NodeSpec | undefined {
  return node?.spec as NodeSpec | undefined;
}
