/**
 * The Kubernetes provider's PodRuntime: each launched pod becomes one `batch/v1` Job (see
 * job-manifests.ts) created, observed and deleted through the official client. With `gangs:
 * 'JobSet'`, the pods of a gang launched together (the runner launches a workload's pods in one
 * pass) become one JobSet instead, and each pod is observed through the child Job the JobSet
 * controller makes for it (it carries the pod template's labels and annotations); stopping a
 * pod deletes the JobSet, since the gang cannot run without it. Job status is read
 * by listing Strata's Jobs of this cluster every `pollMs` (one request per cluster, however many
 * pods), which also adopts the Jobs a previous leader created: a Job outlives the control plane
 * that created it, so a new leader finds it, reports it and stops it if it is no longer wanted.
 *
 * `close` stops observing but leaves the Jobs running: the cluster keeps running them across a
 * leader change, and the next leader adopts them. Only `stop` deletes a Job.
 *
 * A launch of an id this runtime saw end (the runner restarting a pod in place) deletes the ended
 * Job first, since the Job name is fixed per launch id.
 */
import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type V1Job,
} from '@kubernetes/client-node';
import type { Clock } from '../../runtime/clock.js';
import type { PodLaunch, PodReport, PodRuntime } from '../pod-launch.js';
import {
  CONTAINER,
  gangJobSet,
  type JobTarget,
  type JobToleration,
  jobName,
  jobProblem,
  jobSetChildName,
  jobSetName,
  jobSetProblem,
  LABELS,
  LAUNCH_ID_ANNOTATION,
  labelValue,
  MANAGED_BY,
  podJob,
} from './job-manifests.js';
import {
  type ContainerTermination,
  containerTermination,
  observeJob,
  withTermination,
} from './job-observation.js';

export interface KubernetesRuntimeOptions {
  /** The Strata Cluster these Jobs belong to: labelled on each, so clusters sharing a namespace stay apart. */
  readonly cluster: string;
  readonly kubeconfig: string;
  readonly context?: string;
  readonly namespace: string;
  readonly image: string;
  readonly queueName?: string;
  readonly schedulerName?: string;
  /** JobSet: a gang whose pods are all launched here together becomes one JobSet. Default Jobs. */
  readonly gangs?: 'Jobs' | 'JobSet';
  readonly clock: Clock;
  /** How often Job status is read; default 2000 ms. */
  readonly pollMs?: number;
  /** The tolerations of the launch's workload. */
  readonly tolerations?: (launch: PodLaunch) => Promise<readonly JobToleration[]>;
  /** Told when the API starts or stops answering the status poll (and after the first poll). */
  readonly onReachability?: (reachable: boolean, message: string) => void;
  readonly onError?: (error: unknown) => void;
}

const JOBSET = { group: 'jobset.x-k8s.io', version: 'v1alpha2', plural: 'jobsets' } as const;
/** The label the JobSet controller puts on its child Jobs. */
const JOBSET_NAME_LABEL = 'jobset.sigs.k8s.io/jobset-name';

interface TrackedPod {
  readonly id: string;
  /** The pod's Job: its own, or the child Job of its gang's JobSet. */
  job: string;
  /** Its gang's JobSet, deleted (with every pod of the gang) when the pod is stopped. */
  jobSet?: string;
  /** Last phase reported; a pod is forgotten once it reports a terminal one. */
  reported?: 'Running';
  /** Set once the Job exists in the cluster (created or found). */
  created: boolean;
  /**
   * The first poll whose list was requested after the Job existed: an earlier list may predate
   * the Job (or show the ended Job it replaced), so it says nothing about this one.
   */
  listedFrom: number;
  stopping: boolean;
  /** Its Job has ended; how its container ended is being read. */
  finishing?: boolean;
}

export class KubernetesRuntime implements PodRuntime {
  readonly name = 'kubernetes';
  readonly #o: KubernetesRuntimeOptions;
  readonly #api: BatchV1Api;
  readonly #custom: CustomObjectsApi;
  readonly #core: CoreV1Api;
  /** Gang pods launched in this turn of the event loop, by JobSet name: created together after it. */
  readonly #gangs = new Map<string, PodLaunch[]>();
  readonly #server: string;
  readonly #pods = new Map<string, TrackedPod>();
  /** Ids whose Job ended under this runtime: launching one again replaces its Job. */
  readonly #ended = new Set<string>();
  readonly #listeners = new Set<(report: PodReport) => void>();
  readonly #timer: NodeJS.Timeout;
  #polling = false;
  #closed = false;
  #reachable: boolean | undefined;
  /** Polls started so far; they run one at a time. */
  #polls = 0;

  /** Throws when the kubeconfig cannot be loaded (the Cluster's validation makes that rare). */
  constructor(options: KubernetesRuntimeOptions) {
    this.#o = options;
    const config = new KubeConfig();
    config.loadFromString(options.kubeconfig);
    if (options.context !== undefined) config.setCurrentContext(options.context);
    this.#server = config.getCurrentCluster()?.server ?? '(no server)';
    this.#api = config.makeApiClient(BatchV1Api);
    this.#custom = config.makeApiClient(CustomObjectsApi);
    this.#core = config.makeApiClient(CoreV1Api);
    this.#timer = setInterval(() => void this.poll(), options.pollMs ?? 2000);
    this.#timer.unref();
  }

  launch(pod: PodLaunch): void {
    if (this.#closed || this.#pods.has(pod.id)) return;
    // A pod restarted on its own (it ended here before) cannot rejoin its gang's JobSet.
    const gang = this.#o.gangs === 'JobSet' && pod.worldSize > 1 && !this.#ended.has(pod.id);
    const tracked: TrackedPod = {
      id: pod.id,
      job: gang ? jobSetChildName(pod) : jobName(pod),
      ...(gang && { jobSet: jobSetName(pod) }),
      created: false,
      listedFrom: Number.POSITIVE_INFINITY,
      stopping: false,
    };
    this.#pods.set(pod.id, tracked);
    if (!gang) {
      this.#createJob(pod, tracked);
      return;
    }
    const name = jobSetName(pod);
    const pending = this.#gangs.get(name);
    if (pending !== undefined) {
      pending.push(pod);
      return;
    }
    this.#gangs.set(name, [pod]);
    // The runner launches a workload's pods in one pass: wait for the rest of the gang.
    setImmediate(() => this.#launchGang(name));
  }

  stop(id: string): void {
    const tracked = this.#pods.get(id);
    if (tracked === undefined || tracked.stopping) return;
    tracked.stopping = true;
    // A Job not yet created is deleted once it is (see #create); there is nothing to delete now.
    if (tracked.created) void this.#deleteStopped(tracked);
  }

  running(): readonly string[] {
    return [...this.#pods.values()].filter((p) => !p.stopping).map((p) => p.id);
  }

  onReport(listener: (report: PodReport) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
  }

  /** Reads every Job of this cluster once and reports what changed (tests call it to avoid waiting). */
  async poll(): Promise<void> {
    if (this.#polling || this.#closed) return;
    this.#polling = true;
    const poll = ++this.#polls;
    try {
      const list = await this.#api.listNamespacedJob({
        namespace: this.#o.namespace,
        labelSelector: `${LABELS.managedBy}=${MANAGED_BY},${LABELS.cluster}=${labelValue(this.#o.cluster)}`,
      });
      const byName = new Map(list.items.map((job) => [job.metadata?.name ?? '', job]));
      for (const tracked of [...this.#pods.values()]) {
        if (!tracked.created || tracked.stopping || tracked.finishing || poll < tracked.listedFrom) continue;
        const job = byName.get(tracked.job);
        if (job === undefined) {
          this.#fail(tracked, {
            reason: 'JobDeleted',
            message: `Job ${tracked.job} was deleted outside Strata`,
          });
        } else {
          this.#observe(tracked, job);
        }
      }
      for (const job of list.items) this.#adopt(job);
      // Once its Job is gone (stopped, or removed by the cluster's TTL) an ended id has nothing to replace.
      const listed = new Set(list.items.map((job) => job.metadata?.annotations?.[LAUNCH_ID_ANNOTATION]));
      for (const id of this.#ended) if (!listed.has(id)) this.#ended.delete(id);
      this.#reach(true, `Kubernetes API at ${this.#server} answers`);
    } catch (error) {
      this.#reach(false, failureOf(error, this.#server, 'listing Jobs').message);
      (this.#o.onError ?? (() => {}))(error);
    } finally {
      this.#polling = false;
    }
  }

  #reach(reachable: boolean, message: string): void {
    if (this.#reachable === reachable || this.#closed) return;
    this.#reachable = reachable;
    this.#o.onReachability?.(reachable, message);
  }

  #createJob(launch: PodLaunch, tracked: TrackedPod): void {
    void this.#create(launch, tracked).catch((error: unknown) =>
      this.#fail(tracked, failureOf(error, this.#server)),
    );
  }

  /** One JobSet when the whole gang was launched here; otherwise (a gang across clusters) a Job per pod. */
  #launchGang(name: string): void {
    const launches = this.#gangs.get(name) ?? [];
    this.#gangs.delete(name);
    if (this.#closed) return;
    const pods = launches.flatMap((launch) => {
      const tracked = this.#pods.get(launch.id);
      return tracked === undefined ? [] : [{ launch, tracked }];
    });
    const whole = new Set(pods.map((p) => p.launch.rank)).size === pods[0]?.launch.worldSize;
    if (!whole) {
      for (const { launch, tracked } of pods) {
        tracked.job = jobName(launch);
        delete tracked.jobSet;
        this.#createJob(launch, tracked);
      }
      return;
    }
    void this.#createJobSet(pods).catch((error: unknown) => {
      const failure = failureOf(error, this.#server, 'the JobSet');
      for (const { tracked } of pods) this.#fail(tracked, failure);
    });
  }

  async #createJobSet(pods: readonly { launch: PodLaunch; tracked: TrackedPod }[]): Promise<void> {
    const launches = pods.map((p) => p.launch);
    const first = launches[0] as PodLaunch;
    const tolerations = (await this.#o.tolerations?.(first)) ?? [];
    const manifest = gangJobSet(launches, { ...this.#target(), tolerations });
    const problem = jobSetProblem(manifest);
    if (problem !== undefined) {
      for (const { tracked } of pods) this.#fail(tracked, { reason: 'InvalidManifest', message: problem });
      return;
    }
    try {
      await this.#custom.createNamespacedCustomObject({
        ...JOBSET,
        namespace: this.#o.namespace,
        body: manifest,
      });
    } catch (error) {
      // The JobSet is already there: a previous leader created it; this launch adopts it.
      if (!(error instanceof ApiException && error.code === 409)) throw error;
    }
    for (const { tracked } of pods) {
      tracked.created = true;
      tracked.listedFrom = this.#polls + 1;
      if (tracked.stopping) await this.#deleteStopped(tracked);
    }
  }

  async #create(launch: PodLaunch, tracked: TrackedPod): Promise<void> {
    const tolerations = (await this.#o.tolerations?.(launch)) ?? [];
    const manifest = podJob(launch, { ...this.#target(), tolerations });
    const problem = jobProblem(manifest);
    if (problem !== undefined) {
      this.#fail(tracked, { reason: 'InvalidManifest', message: problem });
      return;
    }
    if (this.#ended.delete(launch.id)) await this.#delete({ job: tracked.job });
    try {
      await this.#api.createNamespacedJob({ namespace: this.#o.namespace, body: manifest as V1Job });
    } catch (error) {
      // The Job is already there: a previous leader created it; this launch adopts it.
      if (!(error instanceof ApiException && error.code === 409)) throw error;
    }
    tracked.created = true;
    tracked.listedFrom = this.#polls + 1;
    if (tracked.stopping) await this.#deleteStopped(tracked);
  }

  #target(): JobTarget {
    return {
      cluster: this.#o.cluster,
      namespace: this.#o.namespace,
      image: this.#o.image,
      ...(this.#o.queueName !== undefined && { queueName: this.#o.queueName }),
      ...(this.#o.schedulerName !== undefined && { schedulerName: this.#o.schedulerName }),
    };
  }

  /** A Job of this cluster that no launch asked for (a previous leader's): tracked so the runner sees it. */
  #adopt(job: V1Job): void {
    const id = job.metadata?.annotations?.[LAUNCH_ID_ANNOTATION];
    const name = job.metadata?.name;
    if (id === undefined || name === undefined || this.#pods.has(id) || this.#ended.has(id)) return;
    const phase = observeJob(job.status).phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    const jobSet = job.metadata?.labels?.[JOBSET_NAME_LABEL];
    const tracked: TrackedPod = {
      id,
      job: name,
      ...(jobSet !== undefined && { jobSet }),
      created: true,
      listedFrom: this.#polls,
      stopping: false,
    };
    this.#pods.set(id, tracked);
    this.#observe(tracked, job);
  }

  #observe(tracked: TrackedPod, job: V1Job): void {
    const seen = observeJob(job.status);
    const at = this.#o.clock.now().toISOString();
    if (seen.phase === 'Pending') return;
    if (seen.phase === 'Running') {
      if (tracked.reported === 'Running') return;
      tracked.reported = 'Running';
      this.#emit({ id: tracked.id, phase: 'Running', at });
      return;
    }
    tracked.finishing = true;
    void this.#termination(tracked.job).then((terminated) =>
      this.#end(tracked, {
        id: tracked.id,
        at: this.#o.clock.now().toISOString(),
        ...withTermination(seen, terminated),
      }),
    );
  }

  /** How the Job's container ended, from its pod; undefined when no pod says (deleted, or unreadable). */
  async #termination(job: string): Promise<ContainerTermination | undefined> {
    try {
      const pods = await this.#core.listNamespacedPod({
        namespace: this.#o.namespace,
        labelSelector: `job-name=${job}`,
      });
      return containerTermination(pods.items, CONTAINER);
    } catch {
      return undefined;
    }
  }

  async #deleteStopped(tracked: TrackedPod): Promise<void> {
    const what = tracked.jobSet !== undefined ? `JobSet ${tracked.jobSet}` : `Job ${tracked.job}`;
    let message = `stopped: ${what} deleted`;
    try {
      await this.#delete(tracked);
    } catch (error) {
      message = `stopped, but deleting ${what} failed: ${failureOf(error, this.#server).message}`;
    }
    this.#end(tracked, {
      id: tracked.id,
      phase: 'Failed',
      at: this.#o.clock.now().toISOString(),
      reason: 'Stopped',
      message,
    });
  }

  /**
   * Deletes a pod's Job, or its gang's JobSet (and so every pod of the gang), and their pods in
   * the background; one already gone is fine.
   */
  async #delete(target: { readonly job: string; readonly jobSet?: string }): Promise<void> {
    const common = { namespace: this.#o.namespace, propagationPolicy: 'Background' };
    try {
      if (target.jobSet !== undefined) {
        await this.#custom.deleteNamespacedCustomObject({ ...JOBSET, ...common, name: target.jobSet });
      } else {
        await this.#api.deleteNamespacedJob({ ...common, name: target.job });
      }
    } catch (error) {
      if (!(error instanceof ApiException && error.code === 404)) throw error;
    }
  }

  #fail(tracked: TrackedPod, failure: { reason: string; message: string }): void {
    this.#end(tracked, {
      id: tracked.id,
      phase: 'Failed',
      at: this.#o.clock.now().toISOString(),
      ...failure,
    });
  }

  #end(tracked: TrackedPod, report: PodReport): void {
    if (this.#pods.get(tracked.id) !== tracked) return;
    this.#pods.delete(tracked.id);
    if (tracked.created) this.#ended.add(tracked.id);
    this.#emit(report);
  }

  #emit(report: PodReport): void {
    for (const listener of this.#listeners) listener(report);
  }
}

/** Why a call to the API failed, in words a Workload's status can show. */
function failureOf(error: unknown, server: string, what = 'the Job'): { reason: string; message: string } {
  if (error instanceof ApiException) {
    return {
      reason: 'JobRejected',
      message: `the Kubernetes API at ${server} refused ${what} (HTTP ${error.code}): ${statusMessage(error)}`,
    };
  }
  // The client's fetch fails with the system error's code (ECONNREFUSED, ENOTFOUND, ETIMEDOUT…).
  const code = (error as { cause?: { code?: unknown } }).cause?.code ?? (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    return { reason: 'ClusterUnreachable', message: `cannot reach the Kubernetes API at ${server}: ${code}` };
  }
  return { reason: 'Error', message: (error as Error).message };
}

/**
 * The `message` of the `kind: Status` body; for the codes the generated client knows (401, 403)
 * it drops the body and keeps only its own "Message:" line.
 */
function statusMessage(error: ApiException<unknown>): string {
  if (typeof error.body === 'string') {
    try {
      const message = (JSON.parse(error.body) as { message?: unknown }).message;
      if (typeof message === 'string') return message;
    } catch {
      return error.body;
    }
  }
  return /^Message: (.*)$/m.exec(error.message)?.[1] ?? error.message;
}
