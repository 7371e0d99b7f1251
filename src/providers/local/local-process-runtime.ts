/**
 * The local provider (issue 6): each pod is a child process of the control plane, in its own
 * process group (so `sh -c` and whatever it starts end together), with the allocation in its
 * environment and its stdout and stderr appended to the pod's log.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { WriteStream } from 'node:fs';
import type { Clock } from '../../runtime/clock.js';
import type { PodLaunch, PodReport, PodRuntime } from '../pod-launch.js';
import { resolveCommand } from './command-path.js';
import { CpuPool, readCpuTopology } from './cpu-pinning.js';
import type { PodLogSink } from './pod-log-store.js';
import { type GroupUsage, sampleGroups } from './process-group-usage.js';

export interface LocalProcessRuntimeOptions {
  readonly clock: Clock;
  readonly logs: PodLogSink;
  /** Time between SIGTERM and SIGKILL when a pod is stopped or overruns its maximum runtime. Default 5 s. */
  readonly killGraceMs?: number;
  /** How often CPU time and peak RSS are sampled from /proc. Default 500 ms. */
  readonly usageIntervalMs?: number;
  /** Pin whole-CPU pods with `taskset` when it is on PATH (default true). */
  readonly pinCpus?: boolean;
  /** The pods' working directory; the control plane's by default. */
  readonly workDir?: string;
}

/** Variables a pod inherits from the control plane; everything else comes from its launch. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG'] as const;
/** A pod with no command and no simulated duration idles until stopped (about 68 years). */
const IDLE_COMMAND = ['sleep', '2147483647'];
/** What shells answer for a command they cannot find. */
const NOT_FOUND_EXIT_CODE = 127;

type StopReason = 'Stopped' | 'DeadlineExceeded';

interface LivePod {
  readonly launch: PodLaunch;
  readonly log: WriteStream;
  child?: ChildProcess;
  stopReason?: StopReason;
  killTimer?: NodeJS.Timeout;
  deadlineTimer?: NodeJS.Timeout;
  usage?: GroupUsage;
  finished: boolean;
  readonly done: Promise<void>;
  resolveDone(): void;
}

export class LocalProcessRuntime implements PodRuntime {
  readonly name = 'local';
  readonly #options: LocalProcessRuntimeOptions;
  readonly #pods = new Map<string, LivePod>();
  readonly #listeners = new Set<(report: PodReport) => void>();
  readonly #taskset: string | undefined;
  readonly #cpus: CpuPool | undefined;
  readonly #pinningUnavailable: string | undefined;
  #sampler: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: LocalProcessRuntimeOptions) {
    this.#options = options;
    const topology = options.pinCpus === false ? undefined : readCpuTopology();
    this.#taskset = options.pinCpus === false ? undefined : resolveCommand('taskset', process.env.PATH, '/');
    if (options.pinCpus === false) this.#pinningUnavailable = 'CPU pinning is turned off';
    else if (this.#taskset === undefined)
      this.#pinningUnavailable = 'CPU pinning skipped: taskset is not on PATH';
    else if (topology === undefined)
      this.#pinningUnavailable = 'CPU pinning skipped: this machine does not say which CPUs are allowed';
    if (this.#pinningUnavailable === undefined && topology !== undefined) {
      this.#cpus = new CpuPool(topology.cpus, topology.numaOf);
    }
  }

  launch(pod: PodLaunch): void {
    if (this.#closed || this.#pods.has(pod.id)) return;
    let resolveDone = () => {};
    const done = new Promise<void>((r) => {
      resolveDone = r;
    });
    const log = this.#options.logs.open({
      ...(pod.workload.project !== undefined && { project: pod.workload.project }),
      workload: pod.workload.name,
      attempt: pod.attempt,
      pod: pod.pod,
    });
    // A log that cannot be written must not take the control plane down with an unhandled error.
    log.on('error', (error) => process.emitWarning(`pod log ${pod.id}: ${error.message}`));
    const live: LivePod = { launch: pod, log, finished: false, done, resolveDone };
    this.#pods.set(pod.id, live);

    const env = podEnv(pod);
    const workDir = this.#options.workDir ?? process.cwd();
    const [command, ...args] = commandOf(pod);
    const file = resolveCommand(command!, env.PATH, workDir);
    if (file === undefined) {
      const message = `command not found: "${command}" (searched PATH=${env.PATH ?? ''})`;
      log.write(`strata: ${message}\n`);
      this.#closeLog(live, {
        id: pod.id,
        phase: 'Failed',
        at: this.#now(),
        exitCode: NOT_FOUND_EXIT_CODE,
        reason: 'CommandNotFound',
        message,
      });
      return;
    }
    const pinning = this.#pin(pod);
    const argv = pinning.cpus
      ? [this.#taskset!, '-c', pinning.cpus.join(','), file, ...args]
      : [file, ...args];
    const child = spawn(argv[0]!, argv.slice(1), {
      env,
      cwd: workDir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.child = child;
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    child.once('spawn', () => {
      this.#emit({ id: pod.id, phase: 'Running', at: this.#now(), message: pinning.message });
      if (pod.maxRuntimeSeconds !== undefined) {
        live.deadlineTimer = setTimeout(
          () => this.#terminate(live, 'DeadlineExceeded'),
          pod.maxRuntimeSeconds * 1000,
        );
      }
      this.#startSampling();
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      // Only a failed spawn lands here (kill errors are caught where they happen): no 'exit' follows.
      if (child.pid !== undefined) return;
      const message = `cannot start "${command}": ${error.message}`;
      log.write(`strata: ${message}\n`);
      this.#closeLog(live, {
        id: pod.id,
        phase: 'Failed',
        at: this.#now(),
        reason: error.code === 'ENOENT' ? 'CommandNotFound' : 'Error',
        message,
      });
    });
    child.once('exit', () => {
      // What the main process leaves behind dies with it, as in a container.
      killGroup(child, 'SIGKILL');
      clearTimeout(live.deadlineTimer);
      clearTimeout(live.killTimer);
    });
    child.once('close', (code, signal) => this.#closeLog(live, this.#exitReport(live, code, signal)));
  }

  stop(id: string): void {
    const live = this.#pods.get(id);
    if (live && !live.finished) this.#terminate(live, 'Stopped');
  }

  running(): readonly string[] {
    return [...this.#pods.values()].filter((p) => !p.finished).map((p) => p.launch.id);
  }

  onReport(listener: (report: PodReport) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const live = [...this.#pods.values()];
    for (const pod of live) if (!pod.finished) this.#terminate(pod, 'Stopped');
    await Promise.all(live.map((p) => p.done));
    clearInterval(this.#sampler);
    this.#sampler = undefined;
  }

  #pin(pod: PodLaunch): { cpus?: readonly number[]; message?: string } {
    if (this.#cpus === undefined) return { message: this.#pinningUnavailable! };
    // Like Kubernetes' static CPU manager: only whole-CPU pods get CPUs of their own.
    if (!Number.isInteger(pod.cpu) || pod.cpu < 1) {
      return { message: `not pinned: asks for ${pod.cpu} CPU (only whole-CPU pods are pinned)` };
    }
    const cpus = this.#cpus.take(pod.id, pod.cpu, pod.numa);
    if (cpus === undefined)
      return { message: `not pinned: fewer than ${pod.cpu} CPUs are free of other pinned pods` };
    return { cpus, message: `pinned to CPUs ${cpus.join(',')}` };
  }

  #terminate(live: LivePod, reason: StopReason): void {
    if (live.finished || live.stopReason !== undefined) return;
    live.stopReason = reason;
    const child = live.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    killGroup(child, 'SIGTERM');
    live.killTimer = setTimeout(() => killGroup(child, 'SIGKILL'), this.#options.killGraceMs ?? 5_000);
  }

  #exitReport(live: LivePod, code: number | null, signal: NodeJS.Signals | null): PodReport {
    const { launch, stopReason, usage } = live;
    const base = {
      id: launch.id,
      at: this.#now(),
      ...(code !== null && { exitCode: code }),
      ...(signal !== null && { signal }),
      ...(usage !== undefined && { usage: { cpuSeconds: usage.cpuSeconds, maxRssBytes: usage.maxRssBytes } }),
    };
    const ended = signal !== null ? `killed by ${signal}` : `exited with code ${code}`;
    if (stopReason === 'DeadlineExceeded') {
      return {
        ...base,
        phase: 'Failed',
        reason: 'DeadlineExceeded',
        message: `ran longer than maxRuntimeSeconds (${launch.maxRuntimeSeconds} s): ${ended}`,
      };
    }
    if (stopReason === 'Stopped')
      return { ...base, phase: 'Failed', reason: 'Stopped', message: `stopped: ${ended}` };
    if (code === 0) return { ...base, phase: 'Succeeded', reason: 'Completed' };
    return { ...base, phase: 'Failed', reason: 'Error', message: ended };
  }

  /** The final report goes out once the log holds everything the pod wrote. */
  #closeLog(live: LivePod, report: PodReport): void {
    if (live.finished || live.log.writableEnded) return;
    live.log.end(() => this.#finish(live, report));
  }

  #finish(live: LivePod, report: PodReport): void {
    if (live.finished) return;
    live.finished = true;
    clearTimeout(live.deadlineTimer);
    clearTimeout(live.killTimer);
    this.#cpus?.release(live.launch.id);
    if (!live.log.writableEnded) live.log.end();
    this.#pods.delete(live.launch.id);
    if (![...this.#pods.values()].some((p) => !p.finished)) {
      clearInterval(this.#sampler);
      this.#sampler = undefined;
    }
    this.#emit(report);
    live.resolveDone();
  }

  #startSampling(): void {
    if (this.#sampler !== undefined) return;
    this.#sampler = setInterval(() => this.#sample(), this.#options.usageIntervalMs ?? 500);
    this.#sampler.unref();
  }

  #sample(): void {
    const byGroup = new Map<number, LivePod>();
    for (const pod of this.#pods.values()) {
      if (!pod.finished && pod.child?.pid !== undefined) byGroup.set(pod.child.pid, pod);
    }
    for (const [group, usage] of sampleGroups(new Set(byGroup.keys()))) {
      const pod = byGroup.get(group)!;
      // Members that exited unwaited-for take their CPU time with them: keep the largest reading.
      pod.usage = {
        cpuSeconds: Math.max(pod.usage?.cpuSeconds ?? 0, usage.cpuSeconds),
        maxRssBytes: Math.max(pod.usage?.maxRssBytes ?? 0, usage.maxRssBytes),
      };
    }
  }

  #emit(report: PodReport): void {
    for (const listener of [...this.#listeners]) listener(report);
  }

  #now(): string {
    return this.#options.clock.now().toISOString();
  }
}

/** PATH, HOME and LANG from the control plane, then the launch's own variables (which win). */
export function podEnv(pod: PodLaunch): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of INHERITED_ENV) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...pod.env };
}

function commandOf(pod: PodLaunch): readonly string[] {
  if (pod.command.length > 0) return pod.command;
  if (pod.simulation !== undefined) {
    const { durationSeconds, exitCode } = pod.simulation;
    return ['sh', '-c', `sleep ${durationSeconds}; exit ${exitCode}`];
  }
  return IDLE_COMMAND;
}

/** Signals the pod's whole process group; a group already gone is not an error. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: every member has exited already.
  }
}
