import { API_VERSION, type ApiObject } from '../../src/model/object.js';
import {
  type CohortSpec,
  cohortSpec,
  type PriorityClassSpec,
  type QueueSpec,
  queueSpec,
  type ResourceClassSpec,
  resourceClassSpec,
  type WorkloadSpec,
  workloadSpec,
} from '../../src/model/scheduling.js';
import {
  type AdmissionConfig,
  type AdmissionOptions,
  type AdmissionState,
  createAdmissionState,
  submit,
} from '../../src/scheduling/admission-state.js';
import { liveFleet, node } from './live-builders.js';

/** Fixture builders for admission: a test states only what matters; everything else is roomy. */

export const T0 = Date.parse('2026-01-05T00:00:00Z'); // a Monday

type Amounts = QueueSpec['resources'][number]['nominal'];

export interface QueueOptions {
  cohort?: string;
  strict?: boolean;
  weight?: number;
  /** Nominal whole GPUs of the first resource class (default 8). */
  gpus?: number;
  borrowingLimit?: Amounts;
  lendingLimit?: Amounts;
  /** Replaces the single "default" class entry. */
  resources?: QueueSpec['resources'];
  timeWindows?: QueueSpec['timeWindows'];
  reclaim?: QueueSpec['preemption']['reclaimWithinCohort'];
  withinQueue?: QueueSpec['preemption']['withinQueue'];
  fairSharing?: QueueSpec['preemption']['fairSharing'];
}

export function queue(o: QueueOptions = {}): QueueSpec {
  return queueSpec.parse({
    ...(o.cohort ? { cohort: o.cohort } : {}),
    queueingStrategy: o.strict ? 'StrictFIFO' : 'BestEffortFIFO',
    fairShareWeight: o.weight ?? 1,
    resources: o.resources ?? [
      {
        resourceClass: 'default',
        nominal: { gpus: o.gpus ?? 8 },
        ...(o.borrowingLimit ? { borrowingLimit: o.borrowingLimit } : {}),
        ...(o.lendingLimit ? { lendingLimit: o.lendingLimit } : {}),
      },
    ],
    timeWindows: o.timeWindows ?? [],
    preemption: {
      withinQueue: o.withinQueue ?? 'LowerPriority',
      reclaimWithinCohort: o.reclaim ?? 'Any',
      ...(o.fairSharing ? { fairSharing: o.fairSharing } : {}),
    },
  });
}

export const cohort = (parent?: string, weight = 1): CohortSpec =>
  cohortSpec.parse({ ...(parent ? { parent } : {}), fairShareWeight: weight });

export const resourceClass = (models?: string[]): ResourceClassSpec =>
  resourceClassSpec.parse(models ? { accelerator: { models } } : {});

export interface WorkloadOptions {
  queue?: string;
  /** Whole GPUs per pod (default 1); 0 = CPU only. */
  gpus?: number;
  milli?: number;
  migProfile?: string;
  models?: string[];
  pods?: number;
  cpu?: number;
  memoryGi?: number;
  priorityClass?: string;
  /** Seconds after T0 (default 0). */
  createdAt?: number;
  maxRuntimeSeconds?: number;
  gangDomain?: 'rack' | 'block' | 'rail';
  slo?: WorkloadSpec['sloClass'];
}

export function workload(name: string, o: WorkloadOptions = {}): ApiObject<WorkloadSpec> {
  const accelerators =
    o.milli !== undefined
      ? { milli: o.milli }
      : o.migProfile !== undefined
        ? { migProfile: o.migProfile }
        : (o.gpus ?? 1) > 0
          ? { count: o.gpus ?? 1, ...(o.models ? { models: o.models } : {}) }
          : undefined;
  return {
    apiVersion: API_VERSION,
    kind: 'Workload',
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion: '1',
      generation: 1,
      creationTimestamp: new Date(T0 + (o.createdAt ?? 0) * 1000).toISOString(),
    },
    spec: workloadSpec.parse({
      queue: o.queue ?? 'q',
      ...(o.priorityClass ? { priorityClass: o.priorityClass } : {}),
      ...(o.slo ? { sloClass: o.slo } : {}),
      podSets: [
        {
          name: 'main',
          count: o.pods ?? 1,
          resources: {
            cpu: o.cpu ?? 1,
            memory: `${o.memoryGi ?? 1}Gi`,
            ...(accelerators ? { accelerators } : {}),
          },
        },
      ],
      ...(o.maxRuntimeSeconds ? { maxRuntimeSeconds: o.maxRuntimeSeconds } : {}),
      ...(o.gangDomain ? { topology: { gangDomain: o.gangDomain } } : {}),
    }),
  };
}

export interface SetupOptions {
  queues: Record<string, QueueSpec>;
  cohorts?: Record<string, CohortSpec>;
  /** Value, or value and preemption policy. */
  priorityClasses?: Record<string, number | PriorityClassSpec>;
  resourceClasses?: Record<string, ResourceClassSpec>;
  timeZones?: Record<string, string>;
  /** Nodes of 8 H100s each (default 2), or explicit nodes. */
  nodes?: number | Parameters<typeof liveFleet>[0]['nodes'];
  options?: AdmissionOptions;
}

/** An admission state over a small real fleet; the "default" resource class is always defined. */
export function setup(
  o: SetupOptions,
): AdmissionState & { snapshot: ReturnType<typeof liveFleet>['snapshot'] } {
  const nodes =
    typeof o.nodes === 'object' ? o.nodes : Array.from({ length: o.nodes ?? 2 }, (_, i) => node(`n${i}`));
  const { engine, snapshot } = liveFleet({ nodes });
  const config: AdmissionConfig = {
    queues: new Map(Object.entries(o.queues)),
    cohorts: new Map(Object.entries(o.cohorts ?? {})),
    priorityClasses: new Map(
      Object.entries(o.priorityClasses ?? {}).map(([n, v]): [string, PriorityClassSpec] => [
        n,
        typeof v === 'number' ? { value: v, preemptionPolicy: 'PreemptLowerPriority' } : v,
      ]),
    ),
    resourceClasses: new Map(Object.entries({ default: resourceClass(), ...(o.resourceClasses ?? {}) })),
    ...(o.timeZones ? { timeZones: new Map(Object.entries(o.timeZones)) } : {}),
  };
  return Object.assign(createAdmissionState(config, engine, o.options ?? {}), { snapshot });
}

/** Submits each workload; throws if one is rejected. */
export function submitAll(state: AdmissionState, workloads: readonly ApiObject<WorkloadSpec>[]): void {
  for (const w of workloads) {
    const r = submit(state, w);
    if (!r.accepted) throw new Error(`${r.key} rejected: ${r.message}`);
  }
}

export const at = (seconds: number) => new Date(T0 + seconds * 1000);
