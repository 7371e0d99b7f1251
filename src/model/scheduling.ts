import { z } from 'zod';
import { name } from './metadata.js';
import { bytes, count, cpuQuantity, positiveCount } from './quantity-schema.js';

const labelMap = z.record(z.string(), z.string());

export const toleration = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(['Equal', 'Exists']).default('Equal'),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
});

/** A named shape of capacity (like a Kueue ResourceFlavor): which nodes, which accelerators. */
export const resourceClassSpec = z.strictObject({
  description: z.string().optional(),
  nodeSelector: labelMap.default({}),
  accelerator: z
    .strictObject({
      models: z.array(z.string().min(1)).min(1),
      migProfile: z.string().optional(),
    })
    .optional(),
  tolerations: z.array(toleration).default([]),
});
export type ResourceClassSpec = z.infer<typeof resourceClassSpec>;

/** Amounts of each dimension a queue can hold; every field optional, absent means none. */
export const resourceAmounts = z.strictObject({
  gpus: count.optional(),
  milliGpus: count.optional(),
  migProfiles: z.record(z.string(), count).optional(),
  cpu: cpuQuantity.optional(),
  memory: bytes.optional(),
  gpuHours: z.number().nonnegative().optional(),
});

const timeWindow = z.strictObject({
  days: z.array(z.enum(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'])).optional(),
  from: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be "HH:MM"'),
  to: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be "HH:MM"'),
});

/**
 * When work may start (issue 5 item 6). Windows are read in the local time of the site a pod would
 * run at (or `timeZone` when set, for every site); `maxTariffPerKWh` admits only onto sites whose
 * electricity price at that moment is at or below it (in the site tariff's currency).
 */
export const admissionSchedule = z.strictObject({
  windows: z.array(timeWindow).default([]),
  timeZone: z
    .string()
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as "Europe/Berlin"')
    .optional(),
  maxTariffPerKWh: z.number().nonnegative().optional(),
});
export type AdmissionSchedule = z.infer<typeof admissionSchedule>;

export const queueSpec = z.strictObject({
  cohort: name.optional(),
  queueingStrategy: z.enum(['StrictFIFO', 'BestEffortFIFO']).default('BestEffortFIFO'),
  fairShareWeight: z.number().positive().default(1),
  resources: z
    .array(
      z.strictObject({
        resourceClass: name,
        nominal: resourceAmounts,
        borrowingLimit: resourceAmounts.optional(),
        lendingLimit: resourceAmounts.optional(),
      }),
    )
    .default([]),
  preemption: z
    .strictObject({
      withinQueue: z.enum(['Never', 'LowerPriority']).default('LowerPriority'),
      reclaimWithinCohort: z.enum(['Never', 'Any', 'LowerPriority']).default('Any'),
      /**
       * Fair-share preemption across the cohort (src/scheduling/admission-fair-share-preemption.ts):
       * LessThanFinalShare lets this queue's workloads evict borrowed work of no higher priority from
       * queues whose weighted share stays strictly above this queue's afterwards. Absent = Never: it
       * throws running work away, so a queue opts in (as in Kueue).
       */
      fairSharing: z.enum(['Never', 'LessThanFinalShare']).optional(),
    })
    .default({ withinQueue: 'LowerPriority', reclaimWithinCohort: 'Any' }),
  /** UTC windows (kept for manifests written before `schedule`); prefer `schedule`. */
  timeWindows: z.array(timeWindow).default([]),
  schedule: admissionSchedule.optional(),
  /** Cloud bursting (issue 6): whether admissible work this queue cannot place may rent burst nodes. */
  bursting: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Most burst nodes this queue may hold at once. */
      maxNodes: positiveCount.default(4),
      /** Spend cap for this queue's burst nodes, per hour, in `currency`. */
      maxCostPerHour: z.number().positive().optional(),
      currency: z
        .string()
        .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code such as "EUR"')
        .optional(),
      /** Prefer spot instances where the catalog offers them. */
      spot: z.boolean().default(false),
    })
    .optional(),
  description: z.string().optional(),
});
export type QueueSpec = z.infer<typeof queueSpec>;

export const cohortSpec = z.strictObject({
  parent: name.optional(),
  fairShareWeight: z.number().positive().default(1),
  description: z.string().optional(),
});
export type CohortSpec = z.infer<typeof cohortSpec>;

export const priorityClassSpec = z.strictObject({
  value: z.number().int().min(-1_000_000_000).max(1_000_000_000),
  preemptionPolicy: z.enum(['PreemptLowerPriority', 'Never']).default('PreemptLowerPriority'),
  description: z.string().optional(),
});
export type PriorityClassSpec = z.infer<typeof priorityClassSpec>;

/** Exactly one of count (whole GPUs), milli (a share of one GPU) or migProfile. */
export const acceleratorRequest = z
  .strictObject({
    count: positiveCount.optional(),
    milli: z.number().int().min(1).max(999).optional(),
    migProfile: z.string().optional(),
    minMemory: bytes.optional(),
    models: z.array(z.string().min(1)).optional(),
  })
  .superRefine((req, ctx) => {
    const set = [req.count, req.milli, req.migProfile].filter((v) => v !== undefined).length;
    if (set !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: 'set exactly one of count (whole GPUs), milli (1–999 thousandths of one GPU) or migProfile',
      });
    }
  });

export const podSet = z.strictObject({
  name,
  count: positiveCount.default(1),
  resources: z.strictObject({
    cpu: cpuQuantity,
    memory: bytes,
    accelerators: acceleratorRequest.optional(),
  }),
  command: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
});

export const workloadSpec = z.strictObject({
  queue: name,
  priorityClass: name.optional(),
  sloClass: z.enum(['production-inference', 'training', 'best-effort']).default('best-effort'),
  podSets: z
    .array(podSet)
    .min(1)
    .refine((sets) => new Set(sets.map((s) => s.name)).size === sets.length, 'pod set names must be unique'),
  topology: z
    .strictObject({
      nvlink: z.enum(['required', 'preferred', 'none']).default('none'),
      numaAligned: z.boolean().default(false),
      gangDomain: z.enum(['rack', 'block', 'rail']).optional(),
    })
    .optional(),
  residency: z.strictObject({ jurisdictions: z.array(z.string()).min(1) }).optional(),
  /** Killed and Failed (reason DeadlineExceeded) after this long running. */
  maxRuntimeSeconds: positiveCount.optional(),
  tolerations: z.array(toleration).default([]),
  nodeSelector: labelMap.optional(),
  /** Its own admission windows, on top of its queue's. */
  schedule: admissionSchedule.optional(),
  /** Restart a failed pod in place (same booking) up to `backoffLimit` times; backoff doubles from `backoffSeconds`, capped at 5 minutes. Default: Never. */
  restartPolicy: z
    .strictObject({
      policy: z.enum(['Never', 'OnFailure']),
      backoffLimit: count.default(3),
      backoffSeconds: z.number().positive().default(1),
    })
    .optional(),
  /** What happens when a node it runs on is lost: back to its queue (default), or Failed. */
  onNodeFailure: z.enum(['Requeue', 'Fail']).optional(),
  /** Set to cancel: its pods are stopped and it ends Cancelled. Cannot be unset. */
  cancelled: z.boolean().optional(),
  /** For simulated nodes (the digital twin): how long each pod runs, in virtual seconds. */
  simulation: z
    .strictObject({
      durationSeconds: z.number().positive(),
      /** Exit code the simulated pods end with (0 = Succeeded). */
      exitCode: z.number().int().min(0).max(255).default(0),
    })
    .optional(),
});
export type WorkloadSpec = z.infer<typeof workloadSpec>;

/** Where one pod of an admitted workload is booked: enough to restore the booking exactly. */
const podPlacement = z.strictObject({
  pod: z.string(),
  node: z.string(),
  gpus: z.array(z.number().int().nonnegative()),
  mig: z
    .strictObject({ gpu: z.number().int().nonnegative(), profile: z.string(), start: z.number().int() })
    .optional(),
  numa: z.number().int().optional(),
});

export const workloadPhase = z.enum([
  'Pending',
  'Admitted',
  'Running',
  'Succeeded',
  'Failed',
  'Preempted',
  'Evicted',
  'Cancelled',
]);
export type WorkloadPhase = z.infer<typeof workloadPhase>;

/** One pod of the current admission, as its provider reports it. */
export const podStatus = z.strictObject({
  pod: z.string(),
  node: z.string(),
  phase: z.enum(['Pending', 'Running', 'Succeeded', 'Failed']),
  /** `status.admission.admittedAt` of the admission this pod ran under: reports of an older one are stale. */
  attempt: z.string(),
  restarts: count.default(0),
  /** For ended pods: Completed, Error, DeadlineExceeded, CommandNotFound, Stopped, … */
  reason: z.string().optional(),
  exitCode: z.number().int().optional(),
  signal: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  message: z.string().optional(),
  usage: z
    .strictObject({
      cpuSeconds: z.number().nonnegative().optional(),
      maxRssBytes: z.number().nonnegative().optional(),
      gpuUtilization: z.number().min(0).max(1).optional(),
    })
    .optional(),
});
export type PodStatus = z.infer<typeof podStatus>;

/** A phase change, kept in status so `strata get -o yaml` and the dashboard show the path taken. */
export const phaseTransition = z.strictObject({
  phase: workloadPhase,
  at: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
export type PhaseTransition = z.infer<typeof phaseTransition>;

export const workloadStatus = z.strictObject({
  phase: workloadPhase,
  message: z.string().optional(),
  /** Why it ended, for terminal phases: Completed, Error, DeadlineExceeded, Cancelled, NodeLost, CommandNotFound, … */
  reason: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  /** Times it went back to its queue after a lost node or a preemption. */
  requeues: count.optional(),
  pods: z.array(podStatus).optional(),
  /** The last 50 phase changes, oldest first. */
  history: z.array(phaseTransition).optional(),
  /** Set by the admission controller when it admits the workload: the inputs and the placement. */
  admission: z
    .strictObject({
      queue: z.string(),
      resourceClass: z.string().optional(),
      priority: z.number(),
      /** Quota booked, per dimension ("gpus", "cpu", "mig:1g.10gb", …). */
      demand: z.record(z.string(), z.number()),
      admittedAt: z.string(),
      pods: z.array(podPlacement),
    })
    .optional(),
  /** Set by the admission controller while the workload waits: why, and its place in its queue. */
  pending: z
    .strictObject({
      queue: z.string(),
      /** The reason's kind: quota, cohort-borrowing-limit, placement, time-window, … */
      reason: z.string(),
      /** Pending workloads ahead of it in its queue (0 = next). */
      ahead: z.number().int().nonnegative(),
      /** What would make it admissible. */
      message: z.string(),
      /** The structured reason (numbers, filters, node counts). */
      detail: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  conditions: z
    .array(
      z.strictObject({
        type: z.string(),
        status: z.enum(['True', 'False', 'Unknown']),
        reason: z.string().optional(),
        message: z.string().optional(),
        lastTransitionTime: z.string().optional(),
      }),
    )
    .optional(),
});
export type WorkloadStatus = z.infer<typeof workloadStatus>;
