/**
 * Kubernetes manifests for Strata's pod launches (pure). Strata has already admitted and placed the
 * work: each pod is booked on one node with specific devices. So every pod becomes its own
 * `batch/v1` Job pinned to its node (`kubernetes.io/hostname`), with `backoffLimit: 0` because
 * Strata's runner owns restarts and backoff, and `activeDeadlineSeconds` for the maximum runtime.
 *
 * Gangs. An indexed Job cannot express Strata's placement: its pods share one template, so they
 * cannot each be pinned to a different node (only the completion index differs between them). A
 * JobSet (jobset.x-k8s.io/v1alpha2) can: one replicatedJob of one replica per pod, each with its
 * own node selector, under one object that Kueue admits as one workload and whose failure policy
 * (maxRestarts 0) ends the whole gang when one pod fails. `gangJobSet` builds that form for
 * clusters that run the JobSet controller; its Job templates are exactly `podJob`'s specs.
 *
 * Queue labels, so a cluster's own queueing accounts for Strata's work:
 * - `kueue.x-k8s.io/queue-name`: the LocalQueue Kueue admits a Job or JobSet through
 *   (kubernetes-sigs/kueue, pkg/controller/constants QueueLabel; Kueue's docs, "Run a Job").
 * - `kai.scheduler/queue`: NVIDIA KAI Scheduler's queue label (NVIDIA/KAI-Scheduler,
 *   pkg/common/constants DefaultQueueLabel); `runai/queue` is the key older KAI and Run:ai
 *   releases read, still used by their pod grouper tests, so both are set.
 * - `gpu-fraction` (KAI's GpuFraction annotation) carries a fractional GPU share, which the
 *   `nvidia.com/gpu` resource cannot express.
 */
import { createHash } from 'node:crypto';
import { type IJob, Job } from 'kubernetes-models/batch/v1/Job';
import type { DeviceBinding, PodLaunch } from '../pod-launch.js';

type ObjectMeta = NonNullable<IJob['metadata']>;
type JobSpec = NonNullable<IJob['spec']>;

export const LABELS = {
  workload: 'strata.dev/workload',
  project: 'strata.dev/project',
  pod: 'strata.dev/pod',
  attempt: 'strata.dev/attempt',
  /** The Strata Cluster, so two Clusters sharing a namespace never adopt each other's Jobs. */
  cluster: 'strata.dev/cluster',
  managedBy: 'app.kubernetes.io/managed-by',
  kueueQueue: 'kueue.x-k8s.io/queue-name',
  kaiQueue: 'kai.scheduler/queue',
  kaiLegacyQueue: 'runai/queue',
} as const;

/** The launch id, which does not fit a label value (slashes, colons, length): lets a restarted runtime find its pods. */
export const LAUNCH_ID_ANNOTATION = 'strata.dev/launch-id';
export const MANAGED_BY = 'strata';
/** The name of the pod's one container. */
export const CONTAINER = 'main';
const HOSTNAME_LABEL = 'kubernetes.io/hostname';
const KAI_GPU_FRACTION = 'gpu-fraction';
/** Finished Jobs stay a day for `kubectl logs`, then the cluster's TTL controller removes them. */
const FINISHED_TTL_SECONDS = 86_400;

/** A toleration as Workloads declare it (the Kubernetes shape). */
export interface JobToleration {
  readonly key?: string;
  readonly operator: 'Equal' | 'Exists';
  readonly value?: string;
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** Where and how the Jobs run: from the Cluster's spec.kubernetes, plus the workload's tolerations. */
export interface JobTarget {
  /** The Strata Cluster's name. */
  readonly cluster?: string;
  readonly namespace: string;
  readonly image: string;
  readonly queueName?: string;
  readonly schedulerName?: string;
  readonly tolerations?: readonly JobToleration[];
}

export interface JobSetManifest {
  readonly apiVersion: 'jobset.x-k8s.io/v1alpha2';
  readonly kind: 'JobSet';
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly failurePolicy: { readonly maxRestarts: number };
    readonly replicatedJobs: readonly {
      readonly name: string;
      readonly replicas: number;
      readonly template: { readonly metadata: ObjectMeta; readonly spec: JobSpec };
    }[];
  };
}

/**
 * A label value from any text: Kubernetes allows at most 63 characters of [A-Za-z0-9-_.], starting
 * and ending alphanumeric. "2026-11-24T02:56:31.123Z" becomes "2026-11-24T02-56-31.123Z".
 */
export function labelValue(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[^A-Za-z0-9]+$/, '');
}

/**
 * The Job's name: readable (workload and pod) and unique per launch id (a hash suffix), a DNS-1123
 * label of at most 63 characters because the Job controller copies it into a label of its pods.
 */
export function jobName(launch: Pick<PodLaunch, 'id' | 'workload' | 'pod'>): string {
  return dnsName(`strata-${launch.workload.name}-${launch.pod}`, launch.id);
}

function dnsName(readable: string, unique: string, maxLength = 63): string {
  const hash = createHash('sha256').update(unique).digest('hex').slice(0, 10);
  const base = readable
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .slice(0, maxLength - hash.length - 1)
    .replace(/-+$/, '');
  return `${base}-${hash}`;
}

/** The Job for one pod, pinned to its node. Validate it with `jobProblem` before sending it. */
export function podJob(launch: PodLaunch, target: JobTarget): IJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(launch),
      namespace: target.namespace,
      labels: labelsOf(launch, target),
      annotations: { [LAUNCH_ID_ANNOTATION]: launch.id },
    },
    spec: jobSpec(launch, target),
  };
}

function labelsOf(launch: PodLaunch, target: JobTarget): Record<string, string> {
  const labels: Record<string, string> = {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.workload]: labelValue(launch.workload.name),
    [LABELS.pod]: labelValue(launch.pod),
    [LABELS.attempt]: labelValue(launch.attempt),
  };
  if (launch.workload.project !== undefined) labels[LABELS.project] = labelValue(launch.workload.project);
  if (target.cluster !== undefined) labels[LABELS.cluster] = labelValue(target.cluster);
  if (target.queueName !== undefined) {
    labels[LABELS.kueueQueue] = target.queueName;
    labels[LABELS.kaiQueue] = target.queueName;
    labels[LABELS.kaiLegacyQueue] = target.queueName;
  }
  return labels;
}

function jobSpec(launch: PodLaunch, target: JobTarget): JobSpec {
  const resources = resourcesOf(launch);
  return {
    backoffLimit: 0,
    ttlSecondsAfterFinished: FINISHED_TTL_SECONDS,
    ...(launch.maxRuntimeSeconds !== undefined && { activeDeadlineSeconds: launch.maxRuntimeSeconds }),
    template: {
      metadata: {
        labels: labelsOf(launch, target),
        ...(launch.milliGpu !== undefined && {
          annotations: { [KAI_GPU_FRACTION]: String(launch.milliGpu / 1000) },
        }),
      },
      spec: {
        restartPolicy: 'Never',
        nodeSelector: { [HOSTNAME_LABEL]: launch.node },
        ...(target.schedulerName !== undefined && { schedulerName: target.schedulerName }),
        ...(target.tolerations !== undefined &&
          target.tolerations.length > 0 && { tolerations: target.tolerations.map((t) => ({ ...t })) }),
        containers: [
          {
            name: CONTAINER,
            image: target.image,
            ...(launch.command.length > 0 && { command: [...launch.command] }),
            env: envOf(launch),
            resources: { requests: resources, limits: resources },
          },
        ],
      },
    },
  };
}

/**
 * The launch's environment, less CUDA_VISIBLE_DEVICES: inside a container the runtime exposes only
 * the pod's devices (NVIDIA_VISIBLE_DEVICES names Strata's booking), and a CUDA_VISIBLE_DEVICES
 * naming UUIDs the runtime did not expose (a device plugin that chose other GPUs) would hide every GPU.
 */
function envOf(launch: PodLaunch): { name: string; value: string }[] {
  return Object.entries(launch.env)
    .filter(([name]) => name !== 'CUDA_VISIBLE_DEVICES')
    .map(([name, value]) => ({ name, value }));
}

/** Requests equal limits (Guaranteed QoS): the booking Strata made is what the pod gets. */
function resourcesOf(launch: PodLaunch): Record<string, string> {
  const resources: Record<string, string> = {
    cpu: `${Math.round(launch.cpu * 1000)}m`,
    memory: String(launch.memoryBytes),
  };
  for (const [name, count] of acceleratorResources(launch.devices, launch.milliGpu)) {
    resources[name] = String(count);
  }
  return resources;
}

/** `nvidia.com/gpu` for whole GPUs, `nvidia.com/mig-<profile>` per MIG slice (the GPU Operator's mixed strategy). */
function acceleratorResources(devices: readonly DeviceBinding[], milliGpu?: number): Map<string, number> {
  const out = new Map<string, number>();
  // A fractional pod shares a GPU through the scheduler's annotation; it asks no whole device.
  if (milliGpu !== undefined) return out;
  for (const device of devices) {
    const name = device.mig ? `nvidia.com/mig-${device.mig.profile}` : 'nvidia.com/gpu';
    out.set(name, (out.get(name) ?? 0) + 1);
  }
  return out;
}

/** The JobSet of a gang's attempt: the same for every pod of it. */
export function jobSetName(launch: Pick<PodLaunch, 'workload' | 'attempt'>): string {
  const gang = `${launch.workload.project ?? ''}/${launch.workload.name}@${launch.attempt}`;
  // The JobSet controller names each child Job `<jobset>-<replicatedJob>-<index>`, itself a label value.
  return dnsName(`strata-${launch.workload.name}`, gang, 45);
}

function replicatedJobName(launch: Pick<PodLaunch, 'rank'>): string {
  return `rank-${launch.rank}`;
}

/** The Job the JobSet controller makes for a pod of `gangJobSet` (its replicatedJob has one replica: index 0). */
export function jobSetChildName(launch: Pick<PodLaunch, 'workload' | 'attempt' | 'rank'>): string {
  return `${jobSetName(launch)}-${replicatedJobName(launch)}-0`;
}

/**
 * One JobSet for a whole gang (all of its launches, one attempt): one replicatedJob of one replica
 * per pod, in rank order, each pinned to its own node; the gang fails as one.
 */
export function gangJobSet(launches: readonly PodLaunch[], target: JobTarget): JobSetManifest {
  const first = launches[0];
  if (first === undefined) throw new RangeError('a JobSet needs at least one pod');
  const ordered = [...launches].sort((a, b) => a.rank - b.rank);
  const { [LABELS.pod]: _pod, ...labels } = labelsOf(first, target);
  return {
    apiVersion: 'jobset.x-k8s.io/v1alpha2',
    kind: 'JobSet',
    metadata: {
      name: jobSetName(first),
      namespace: target.namespace,
      labels,
      annotations: { [LAUNCH_ID_ANNOTATION]: ordered.map((l) => l.id).join(',') },
    },
    spec: {
      failurePolicy: { maxRestarts: 0 },
      replicatedJobs: ordered.map((launch) => ({
        name: replicatedJobName(launch),
        replicas: 1,
        template: {
          metadata: { labels: labelsOf(launch, target), annotations: { [LAUNCH_ID_ANNOTATION]: launch.id } },
          spec: jobSpec(launch, target),
        },
      })),
    },
  };
}

/** What the upstream schema says is wrong with a Job, or undefined when it is valid. */
export function jobProblem(manifest: IJob): string | undefined {
  try {
    new Job(manifest).validate();
    return undefined;
  } catch (error) {
    return `invalid Job ${manifest.metadata?.name ?? ''}: ${(error as Error).message}`;
  }
}

/**
 * The JobSet's problems: its Job templates against the upstream Job schema (the JobSet type itself
 * is a CRD that kubernetes-models does not carry).
 */
export function jobSetProblem(manifest: JobSetManifest): string | undefined {
  for (const [index, replicated] of manifest.spec.replicatedJobs.entries()) {
    const problem = jobProblem({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { ...replicated.template.metadata, name: `${manifest.metadata.name}-${replicated.name}` },
      spec: replicated.template.spec,
    });
    if (problem !== undefined)
      return `invalid JobSet ${manifest.metadata.name}: replicatedJobs[${index}]: ${problem}`;
  }
  return undefined;
}
