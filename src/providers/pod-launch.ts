/**
 * The contract between the control plane and the places pods really run (issue 6). Every provider
 * (local processes, node agents, Kubernetes, the simulated twin, simulated cloud burst nodes) is
 * handed the pods of the workloads admitted onto its nodes as `PodLaunch` values, and hands back
 * what happened as `PodReport`s. The shared `WorkloadRunner` (providers/workload-runner.ts) turns
 * Workload objects into launches and reports into Workload status, so no provider touches the
 * scheduler or the store's status format.
 */

/** The devices a pod was bound to, as the provider must expose them (CUDA_VISIBLE_DEVICES and friends). */
export interface DeviceBinding {
  /** The GPU's index on its node. */
  readonly index: number;
  /** The GPU's UUID ("GPU-…"), as in the Node's spec. */
  readonly uuid: string;
  /** For a MIG slice: its profile and, when the node reported one, its UUID ("MIG-…"). */
  readonly mig?: { readonly profile: string; readonly uuid?: string };
}

/** One pod of one admission of a workload, ready to start. */
export interface PodLaunch {
  /** `<project>/<workload>/<pod>@<attempt>`: unique per admission, stable across control-plane restarts. */
  readonly id: string;
  readonly workload: { readonly name: string; readonly project?: string; readonly tenant?: string };
  /** The admission this pod belongs to: `status.admission.admittedAt`. */
  readonly attempt: string;
  /** "<podSet>-<index>". */
  readonly pod: string;
  readonly podSet: string;
  /** Rank of this pod in its gang (0-based, pod-set order then index) and the gang's size. */
  readonly rank: number;
  readonly worldSize: number;
  readonly node: string;
  /** Argv; empty means the provider's default (a simulated pod, or `sleep` for none at all). */
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly devices: readonly DeviceBinding[];
  /** Milli-GPU share when the pod asked for a fraction of one GPU. */
  readonly milliGpu?: number;
  readonly cpu: number;
  readonly memoryBytes: number;
  /** The NUMA node its CPUs and GPUs were aligned to, when the placement chose one. */
  readonly numa?: number;
  /** Killed after this many seconds running (DeadlineExceeded). */
  readonly maxRuntimeSeconds?: number;
  /** Virtual run time and exit code for simulated providers. */
  readonly simulation?: { readonly durationSeconds: number; readonly exitCode: number };
}

/** What a provider says about one launched pod. Reports are idempotent: the latest wins. */
export type PodReport =
  | { readonly id: string; readonly phase: 'Running'; readonly at: string; readonly message?: string }
  | {
      readonly id: string;
      readonly phase: 'Succeeded' | 'Failed';
      readonly at: string;
      readonly exitCode?: number;
      readonly signal?: string;
      /** Completed, Error, DeadlineExceeded, CommandNotFound, Stopped, … */
      readonly reason: string;
      readonly message?: string;
      readonly usage?: { readonly cpuSeconds?: number; readonly maxRssBytes?: number };
    };

/**
 * Where pods run. Implementations: local child processes, the agent's child processes, Kubernetes
 * Jobs, simulated pods on a (virtual) clock.
 *
 * Contract:
 * - `launch` is idempotent per `PodLaunch.id`: launching a running id again does nothing.
 * - Every launched pod produces reports through `onReport` until one with a terminal phase
 *   (Succeeded/Failed), then none.
 * - `stop` ends a pod (SIGTERM, then SIGKILL after a grace period, or the provider's equivalent); its
 *   final report has reason "Stopped". Stopping an unknown or finished id does nothing.
 * - `running` lists the ids it still runs, so a runner that restarts can reconcile.
 * - `close` stops everything and releases the provider's resources.
 */
export interface PodRuntime {
  readonly name: string;
  launch(pod: PodLaunch): void;
  stop(id: string): void;
  running(): readonly string[];
  onReport(listener: (report: PodReport) => void): () => void;
  close(): Promise<void>;
}
