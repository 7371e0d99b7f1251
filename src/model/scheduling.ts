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
    })
    .default({ withinQueue: 'LowerPriority', reclaimWithinCohort: 'Any' }),
  timeWindows: z.array(timeWindow).default([]),
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
  maxRuntimeSeconds: positiveCount.optional(),
  tolerations: z.array(toleration).default([]),
  nodeSelector: labelMap.optional(),
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

export const workloadStatus = z.strictObject({
  phase: z.enum(['Pending', 'Admitted', 'Running', 'Succeeded', 'Failed', 'Preempted', 'Evicted']),
  message: z.string().optional(),
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
