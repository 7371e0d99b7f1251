/**
 * The Kubernetes provider (issue 6 item 4), leader-only: for every Cluster of provider `kubernetes`
 * with a `spec.kubernetes` connection, the shared WorkloadRunner over a KubernetesRuntime that owns
 * that cluster's Nodes (a Strata Node's name is its Kubernetes node name: Jobs are pinned to it by
 * `kubernetes.io/hostname`). A Cluster that is changed gets a fresh runtime; one that is deleted, or
 * loses its connection, has its runner stopped (its Jobs keep running until the runner of a later
 * connection stops the unwanted ones).
 *
 * Node readiness is the API's reachability as Strata sees it: the cluster's Nodes are marked Ready
 * once its API answers and NotReady while it does not (written on change only, no heartbeats),
 * so admission places on them only while Strata can really create Jobs there.
 */

import type { Controller } from '../../controllers/controller.js';
import type { ClusterSpec, NodeStatus } from '../../model/fleet.js';
import type { ApiObject } from '../../model/object.js';
import type { WorkloadSpec } from '../../model/scheduling.js';
import type { Clock } from '../../runtime/clock.js';
import { onCommitsThrottled } from '../../runtime/commit-throttle.js';
import { FencedError } from '../../store/errors.js';
import type { Fence, Store } from '../../store/store.js';
import { holdsBooking, incrementalWorkloadPort } from '../incremental-workload-port.js';
import { writeNodeStatus } from '../node-status-write.js';
import { storeWorkloadPort } from '../workload-port.js';
import { WorkloadRunner } from '../workload-runner.js';
import type { JobToleration } from './job-manifests.js';
import type { KubernetesRuntime } from './kubernetes-runtime.js';

export interface KubernetesProviderOptions {
  /** How often each cluster's Jobs are read; default 2000 ms. */
  readonly pollMs?: number;
  /** How often Clusters, Nodes and Workloads are read again in full; default 2000 ms. */
  readonly resyncMs?: number;
  readonly onError?: (error: unknown) => void;
}

const SUBJECT = 'system:kubernetes-provider';

/**
 * The official client takes about a second to import: loaded when a connected Kubernetes cluster
 * first appears, not on every control-plane start.
 */
let runtimeModule: Promise<typeof import('./kubernetes-runtime.js')> | undefined;
const loadRuntime = () => {
  runtimeModule ??= import('./kubernetes-runtime.js');
  return runtimeModule;
};

type ConnectedCluster = { readonly name: string; readonly spec: NonNullable<ClusterSpec['kubernetes']> };

/** The Clusters whose pods this provider runs: provider kubernetes, with a connection. Pure. */
export function connectedClusters(clusters: readonly ApiObject[]): ConnectedCluster[] {
  return clusters.flatMap((c) => {
    const spec = c.spec as ClusterSpec;
    return spec.provider === 'kubernetes' && spec.kubernetes !== undefined
      ? [{ name: c.metadata.name, spec: spec.kubernetes }]
      : [];
  });
}

export function kubernetesProviderController(options: KubernetesProviderOptions = {}): Controller {
  return {
    name: 'kubernetes-provider',
    start({ store, clock, fence }) {
      const report =
        options.onError ?? ((e: unknown) => process.emitWarning(`kubernetes provider: ${String(e)}`));
      const shell = new KubernetesProviderShell(store, clock, fence, options, (error) => {
        if (!(error instanceof FencedError)) report(error);
      });
      shell.start();
      return () => shell.stop();
    },
  };
}

interface ClusterRun {
  /** The connection it was started with: a change starts a fresh run. */
  readonly fingerprint: string;
  readonly runtime: KubernetesRuntime;
  readonly runner: WorkloadRunner;
  nodes: ReadonlySet<string>;
  reachability?: { readonly reachable: boolean; readonly message: string };
}

class KubernetesProviderShell {
  readonly #runs = new Map<string, ClusterRun>();
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: () => void = () => {};
  #refreshing: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #seq = 0;

  constructor(
    readonly store: Store,
    readonly clock: Clock,
    readonly fence: Fence,
    readonly options: KubernetesProviderOptions,
    readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    void this.#refresh();
    this.#timer = setInterval(() => void this.#refresh(), this.options.resyncMs ?? 2000);
    this.#timer.unref();
    // Clusters and Nodes come and go: ownership follows the store's commits, read at most every
    // 200 ms however fast commits come (the heartbeats of a large fleet).
    this.#unsubscribe = onCommitsThrottled(this.store, 200, () => void this.#refresh());
  }

  stop(): void {
    this.#stopped = true;
    this.#unsubscribe();
    clearInterval(this.#timer);
    for (const name of [...this.#runs.keys()]) this.#end(name);
  }

  /** Reads Clusters and Nodes again; a call during a refresh runs one more after it. */
  #refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = this.#reconcile()
      .catch(this.onError)
      .finally(() => {
        this.#refreshing = undefined;
        if (this.#again && !this.#stopped) {
          this.#again = false;
          void this.#refresh();
        }
      });
    return this.#refreshing;
  }

  async #reconcile(): Promise<void> {
    if (this.#stopped) return;
    const clusters = await this.store.list({ kind: 'Cluster' });
    if (this.#stopped) return;
    const wanted = connectedClusters(clusters.items);
    // Most fleets have no connected Kubernetes cluster: then there are no nodes to read.
    if (wanted.length === 0 && this.#runs.size === 0) return;
    const nodes = await this.store.list({ kind: 'Node' });
    if (this.#stopped) return;
    for (const name of [...this.#runs.keys()]) {
      if (!wanted.some((c) => c.name === name)) this.#end(name);
    }
    for (const cluster of wanted) {
      const fingerprint = JSON.stringify(cluster.spec);
      let run = this.#runs.get(cluster.name);
      if (run !== undefined && run.fingerprint !== fingerprint) {
        this.#end(cluster.name);
        run = undefined;
      }
      run ??= await this.#begin(cluster, fingerprint);
      if (run === undefined) continue;
      run.nodes = new Set(
        nodes.items
          .filter((n) => (n.spec as { cluster: string }).cluster === cluster.name)
          .map((n) => n.metadata.name),
      );
    }
    for (const [name, run] of this.#runs) await this.#markNodes(name, run, nodes.items);
  }

  async #begin(cluster: ConnectedCluster, fingerprint: string): Promise<ClusterRun | undefined> {
    const { KubernetesRuntime } = await loadRuntime();
    if (this.#stopped) return undefined;
    let runtime: KubernetesRuntime;
    try {
      runtime = new KubernetesRuntime({
        cluster: cluster.name,
        kubeconfig: cluster.spec.kubeconfig,
        ...(cluster.spec.context !== undefined && { context: cluster.spec.context }),
        namespace: cluster.spec.namespace,
        image: cluster.spec.image,
        ...(cluster.spec.queueName !== undefined && { queueName: cluster.spec.queueName }),
        ...(cluster.spec.schedulerName !== undefined && { schedulerName: cluster.spec.schedulerName }),
        gangs: cluster.spec.gangs,
        clock: this.clock,
        ...(this.options.pollMs !== undefined && { pollMs: this.options.pollMs }),
        tolerations: (launch) => this.#tolerations(launch.workload),
        onReachability: (reachable, message) => {
          const run = this.#runs.get(cluster.name);
          if (run?.runtime !== runtime) return;
          run.reachability = { reachable, message };
          void this.#refresh();
        },
      });
    } catch (error) {
      this.onError(
        new Error(`cluster ${cluster.name}: the kubeconfig cannot be loaded: ${(error as Error).message}`),
      );
      return undefined;
    }
    const run: ClusterRun = {
      fingerprint,
      runtime,
      nodes: new Set(),
      runner: new WorkloadRunner({
        port: incrementalWorkloadPort(
          this.store,
          storeWorkloadPort(this.store, { subject: SUBJECT, fence: this.fence }),
          (w) => holdsBooking(w),
        ),
        runtime,
        owns: (node) => this.#runs.get(cluster.name)?.nodes.has(node) ?? false,
        clock: this.clock,
        ...(this.options.resyncMs !== undefined && { resyncMs: this.options.resyncMs }),
        onError: this.onError,
      }),
    };
    this.#runs.set(cluster.name, run);
    run.runner.start();
    void runtime.poll();
    return run;
  }

  #end(name: string): void {
    const run = this.#runs.get(name);
    if (run === undefined) return;
    this.#runs.delete(name);
    void run.runner.stop().then(() => run.runtime.close());
  }

  async #tolerations(workload: { name: string; project?: string }): Promise<readonly JobToleration[]> {
    const object = await this.store.get({
      kind: 'Workload',
      name: workload.name,
      ...(workload.project !== undefined && { project: workload.project }),
    });
    return (object?.spec as WorkloadSpec | undefined)?.tolerations ?? [];
  }

  /** Writes Ready or NotReady on the cluster's Nodes whose state says otherwise. */
  async #markNodes(name: string, run: ClusterRun, nodes: readonly ApiObject[]): Promise<void> {
    const reach = run.reachability;
    if (reach === undefined) return;
    const state = reach.reachable ? 'Ready' : 'NotReady';
    const message = `Kubernetes cluster ${name}: ${reach.message}`;
    for (const node of nodes) {
      if (this.#stopped || !run.nodes.has(node.metadata.name)) continue;
      const current = node.status as NodeStatus | undefined;
      // A Draining node stays so: draining is an operator's decision, not the API's.
      if (current?.state === 'Draining' || (current?.state === state && current.message === message))
        continue;
      await this.#writeNodeStatus(node, { state, message });
    }
  }

  async #writeNodeStatus(node: ApiObject, status: NodeStatus): Promise<void> {
    // A node that changed or went since it was read is read again on the next refresh.
    await writeNodeStatus(
      this.store,
      { subject: SUBJECT, requestId: `${SUBJECT}-${this.fence.epoch}-${++this.#seq}`, fence: this.fence },
      node.metadata.name,
      status,
      node.metadata.resourceVersion,
    );
  }
}
