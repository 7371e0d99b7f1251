/**
 * The parts of Strata's objects the dashboard reads, as the API returns them
 * (src/model/*.ts holds the full schemas; only what is drawn is typed here).
 */
export interface ObjectMeta {
  readonly name: string;
  readonly project?: string;
  readonly tenant?: string;
  readonly labels?: Record<string, string>;
  readonly resourceVersion?: string;
  readonly creationTimestamp?: string;
}

export interface ApiObject<S = unknown, T = unknown> {
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly spec: S;
  readonly status?: T;
}

export interface MigInstance {
  readonly profile: string;
  readonly start?: number;
  readonly uuid?: string;
}

export interface Accelerator {
  readonly index: number;
  readonly model: string;
  readonly mig?: { readonly mode: 'enabled' | 'disabled'; readonly layout?: readonly MigInstance[] };
}

export type Node = ApiObject<
  {
    readonly cluster: string;
    readonly accelerators?: readonly Accelerator[];
    readonly unschedulable?: boolean;
  },
  {
    readonly state: string;
    readonly simulated?: boolean;
    readonly message?: string;
    /** What the node measured of its GPUs; absent when it reports no utilisation. */
    readonly accelerators?: readonly {
      readonly index: number;
      readonly utilization: number;
      readonly memoryUsedBytes?: number;
    }[];
  }
>;
export type Cluster = ApiObject<{ readonly site: string; readonly provider: string }>;
export type Site = ApiObject<{ readonly region?: string; readonly description?: string }>;
export type Project = ApiObject<{ readonly displayName?: string }>;

export type ResourceAmounts = Readonly<Record<string, number | string | Record<string, number>>>;
export type Queue = ApiObject<{
  readonly cohort?: string;
  readonly fairShareWeight?: number;
  readonly resources?: readonly {
    readonly resourceClass: string;
    readonly nominal: ResourceAmounts;
    readonly borrowingLimit?: ResourceAmounts;
  }[];
}>;
export type Cohort = ApiObject<{
  readonly parent?: string;
  readonly fairShareWeight?: number;
  readonly description?: string;
}>;

export interface PodPlacement {
  readonly pod: string;
  readonly node: string;
  readonly gpus: readonly number[];
  readonly mig?: { readonly gpu: number; readonly profile: string; readonly start: number };
}

export type WorkloadPhase =
  | 'Pending'
  | 'Admitted'
  | 'Running'
  | 'Succeeded'
  | 'Failed'
  | 'Preempted'
  | 'Evicted'
  | 'Cancelled';

export interface WorkloadStatus {
  readonly phase: WorkloadPhase;
  readonly message?: string;
  readonly reason?: string;
  readonly requeues?: number;
  readonly pods?: readonly {
    readonly pod: string;
    readonly node: string;
    readonly phase: string;
    readonly restarts?: number;
    readonly reason?: string;
    readonly exitCode?: number;
    readonly signal?: string;
    readonly startedAt?: string;
    readonly finishedAt?: string;
    readonly message?: string;
  }[];
  readonly history?: readonly {
    readonly phase: string;
    readonly at: string;
    readonly reason?: string;
    readonly message?: string;
  }[];
  readonly admission?: {
    readonly queue: string;
    readonly resourceClass?: string;
    readonly admittedAt: string;
    readonly demand: Readonly<Record<string, number>>;
    readonly pods: readonly PodPlacement[];
  };
  readonly pending?: {
    readonly queue: string;
    readonly reason: string;
    readonly ahead: number;
    readonly message: string;
    readonly detail?: Readonly<Record<string, unknown>>;
  };
}

export type Workload = ApiObject<
  {
    readonly queue: string;
    readonly priorityClass?: string;
    readonly podSets?: readonly {
      readonly name: string;
      readonly resources?: { readonly accelerators?: { readonly milli?: number } };
    }[];
  },
  WorkloadStatus
>;

/** Phases a workload never leaves (src/model/workload-history.ts TERMINAL_PHASES). */
export const TERMINAL_PHASES: ReadonlySet<WorkloadPhase> = new Set([
  'Succeeded',
  'Failed',
  'Preempted',
  'Evicted',
  'Cancelled',
]);

/** Phases in which a workload holds its booked GPUs (src/model/workload-history.ts HOLDING_PHASES). */
export const HOLDING_PHASES: ReadonlySet<WorkloadPhase> = new Set(['Admitted', 'Running']);
