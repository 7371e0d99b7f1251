/**
 * The simulated provider (issue 6 item 5), leader-only: the shared WorkloadRunner over a
 * SimulatedRuntime, owning the nodes nobody else runs pods on:
 * - the nodes of Clusters whose provider is `simulated`, or `cloud` (Strata's built-in cloud is
 *   simulated: its burst nodes are digital twins);
 * - with `unreportedNodes` (`strata up --demo`, whose fleet has no agents), every node no agent
 *   reports: no status at all, or a status that says `simulated: true`.
 *
 * Nodes it owns that have no status yet (and are not burst nodes, whose lifecycle the burst
 * controller writes) are marked Ready with `simulated: true` and a message, so `strata get` and
 * the dashboard say which nodes are twins; their pods say so in `status.pods[].message`.
 *
 * Pods end by the injected clock; a timer calls the runtime's `tick` every `tickMs`.
 *
 * A twin measures nothing, so the GPU utilisation its nodes report (`status.accelerators`, for the
 * dashboard's heatmap and `strata_gpu_utilization_ratio`) is synthetic: see `simulatedUtilization`.
 * Only nodes whose status says `simulated: true` get one.
 */

import type { Controller } from '../../controllers/controller.js';
import type { ClusterSpec, NodeSpec, NodeStatus } from '../../model/fleet.js';
import type { ApiObject } from '../../model/object.js';
import type { Clock } from '../../runtime/clock.js';
import { onCommitsThrottled } from '../../runtime/commit-throttle.js';
import { FencedError } from '../../store/errors.js';
import type { Fence, Store } from '../../store/store.js';
import { holdsBooking, incrementalWorkloadPort } from '../incremental-workload-port.js';
import { writeNodeStatus } from '../node-status-write.js';
import type { PodLaunch, PodRuntime } from '../pod-launch.js';
import { storeWorkloadPort } from '../workload-port.js';
import { WorkloadRunner } from '../workload-runner.js';
import { SimulatedRuntime } from './simulated-runtime.js';

export interface SimulatedProviderOptions {
  /** Also own the nodes no agent reports (the demo fleet). Default false. */
  readonly unreportedNodes?: boolean;
  /** Virtual seconds per clock second (default 1). */
  readonly acceleration?: number;
  /** Virtual run time of a workload without `simulation` (default one hour). */
  readonly defaultDurationSeconds?: number;
  /** How often pods are checked for their end, in real ms. Default 250. */
  readonly tickMs?: number;
  /** How often the owned nodes and the workloads are read again in full. Default 2000. */
  readonly resyncMs?: number;
  readonly onError?: (error: unknown) => void;
}

const SUBJECT = 'system:simulated-provider';
const SIMULATED_PROVIDERS: ReadonlySet<string> = new Set(['simulated', 'cloud']);

/**
 * Which nodes the simulated provider runs, which of them it should mark simulated Ready, and whose
 * status it writes (every twin but burst nodes, whose lifecycle the burst controller writes). Pure.
 */
export function simulatedNodes(
  clusters: readonly ApiObject[],
  nodes: readonly ApiObject[],
  unreportedNodes: boolean,
): { owned: Set<string>; toMark: ApiObject[]; writesStatus: Set<string> } {
  const provider = new Map(clusters.map((c) => [c.metadata.name, (c.spec as ClusterSpec).provider]));
  const owned = new Set<string>();
  const toMark: ApiObject[] = [];
  const writesStatus = new Set<string>();
  for (const node of nodes) {
    const status = node.status as NodeStatus | undefined;
    const clusterProvider = provider.get((node.spec as { cluster: string }).cluster);
    const twin = clusterProvider !== undefined && SIMULATED_PROVIDERS.has(clusterProvider);
    // The local node is the local provider's, reported or not.
    const unreported =
      unreportedNodes && clusterProvider !== 'local' && (status === undefined || status.simulated === true);
    if (!twin && !unreported) continue;
    owned.add(node.metadata.name);
    if (clusterProvider === 'cloud') continue;
    writesStatus.add(node.metadata.name);
    if (status === undefined) toMark.push(node);
  }
  return { owned, toMark, writesStatus };
}

/** MIG compute slices of a whole GPU ("3g.40gb" is 3 of 7). */
const MIG_COMPUTE_SLICES = 7;

/**
 * The synthetic utilisation of a simulated node's GPUs (SIMULATED: nothing is measured): each
 * running pod keeps each GPU it is bound to busy at a steady figure drawn from its launch id
 * (55–95%), times its share of the GPU (`milliGpu` / 1000, or a MIG instance's compute slices / 7);
 * GPUs nothing runs on are at 0. Deterministic, so the same run draws the same heatmap and the
 * node's status is rewritten only when its pods change. Undefined when no pod runs on the node:
 * an idle twin reports nothing rather than a made-up figure.
 */
export function simulatedUtilization(
  gpuIndices: readonly number[],
  pods: Iterable<PodLaunch>,
): NodeStatus['accelerators'] {
  const busy = new Map<number, number>();
  for (const pod of pods) {
    const level = 0.55 + 0.4 * unitHash(pod.id);
    for (const device of pod.devices) {
      const compute = device.mig ? Number(/^(\d+)g/.exec(device.mig.profile)?.[1] ?? 1) : undefined;
      const share =
        compute !== undefined
          ? Math.min(1, compute / MIG_COMPUTE_SLICES)
          : pod.milliGpu !== undefined
            ? pod.milliGpu / 1000
            : 1;
      busy.set(device.index, (busy.get(device.index) ?? 0) + level * share);
    }
  }
  if (busy.size === 0) return undefined;
  return gpuIndices.map((index) => ({
    index,
    utilization: Math.round(Math.min(1, busy.get(index) ?? 0) * 1000) / 1000,
  }));
}

/** FNV-1a of `text`, scaled to [0, 1). */
function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 2 ** 32;
}

/** The runtime as the runner sees it, remembering the pods it runs by node (for their utilisation). */
function trackingRuntime(inner: PodRuntime, running: Map<string, PodLaunch>): PodRuntime {
  inner.onReport((report) => {
    if (report.phase !== 'Running') running.delete(report.id);
  });
  return {
    name: inner.name,
    launch(pod) {
      running.set(pod.id, pod);
      inner.launch(pod);
    },
    stop(id) {
      running.delete(id);
      inner.stop(id);
    },
    running: () => inner.running(),
    onReport: (listener) => inner.onReport(listener),
    close: () => inner.close(),
  };
}

export function simulatedProviderController(options: SimulatedProviderOptions = {}): Controller {
  return {
    name: 'simulated-provider',
    start({ store, clock, fence }) {
      const report =
        options.onError ?? ((e: unknown) => process.emitWarning(`simulated provider: ${String(e)}`));
      const onError = (error: unknown) => {
        if (!(error instanceof FencedError)) report(error);
      };
      const shell = new SimulatedProviderShell(store, clock, fence, options, onError);
      shell.start();
      return () => shell.stop();
    },
  };
}

class SimulatedProviderShell {
  readonly #runtime: SimulatedRuntime;
  readonly #runner: WorkloadRunner;
  /** Launched pods not yet ended, by id: what the synthetic utilisation is drawn from. */
  readonly #running = new Map<string, PodLaunch>();
  #owned = new Set<string>();
  #timers: NodeJS.Timeout[] = [];
  #unsubscribe: () => void = () => {};
  #refreshing: Promise<void> | undefined;
  #stopped = false;
  #seq = 0;

  constructor(
    readonly store: Store,
    readonly clock: Clock,
    readonly fence: Fence,
    readonly options: SimulatedProviderOptions,
    readonly onError: (error: unknown) => void,
  ) {
    this.#runtime = new SimulatedRuntime({
      clock,
      ...(options.acceleration !== undefined && { acceleration: options.acceleration }),
      ...(options.defaultDurationSeconds !== undefined && {
        defaultDurationSeconds: options.defaultDurationSeconds,
      }),
    });
    this.#runner = new WorkloadRunner({
      port: incrementalWorkloadPort(store, storeWorkloadPort(store, { subject: SUBJECT, fence }), (w) =>
        holdsBooking(w),
      ),
      runtime: trackingRuntime(this.#runtime, this.#running),
      owns: (node) => this.#owned.has(node),
      clock,
      ...(options.resyncMs !== undefined && { resyncMs: options.resyncMs }),
      onError,
    });
  }

  start(): void {
    // The runner starts once the owned nodes are known, so its first pass launches what it should.
    void this.#refresh().then(() => {
      if (this.#stopped) return;
      this.#runner.start();
      this.#every(this.options.tickMs ?? 250, () => this.#runtime.tick());
    });
    this.#every(this.options.resyncMs ?? 2000, () => void this.#refresh());
    // Nodes come and go (burst nodes, a demo applied later): ownership follows the store's commits,
    // read at most every 200 ms however fast commits come (heartbeats of a large fleet).
    this.#unsubscribe = onCommitsThrottled(this.store, 200, () => void this.#refresh());
  }

  stop(): void {
    this.#stopped = true;
    this.#unsubscribe();
    for (const t of this.#timers) clearInterval(t);
    // A deposed leader's pods end with it; the next leader's runner launches them again, and they
    // resume where they were (a simulated run is timed from its admission).
    void this.#runner.stop().then(() => this.#runtime.close());
  }

  #every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.#timers.push(timer);
  }

  /** Re-reads which nodes are twins; coalesces calls that arrive while one is running. */
  #refresh(): Promise<void> {
    this.#refreshing ??= this.#readNodes()
      .catch(this.onError)
      .finally(() => {
        this.#refreshing = undefined;
      });
    return this.#refreshing;
  }

  async #readNodes(): Promise<void> {
    if (this.#stopped) return;
    const [clusters, nodes] = await Promise.all([
      this.store.list({ kind: 'Cluster' }),
      this.store.list({ kind: 'Node' }),
    ]);
    const { owned, toMark, writesStatus } = simulatedNodes(
      clusters.items,
      nodes.items,
      this.options.unreportedNodes ?? false,
    );
    this.#owned = owned;
    for (const node of toMark) {
      if (this.#stopped) return;
      await this.#markSimulated(node);
    }
    // Burst nodes' status is the burst controller's: they get no synthetic utilisation.
    await this.#reportUtilization(nodes.items.filter((n) => writesStatus.has(n.metadata.name)));
  }

  /** Writes each simulated node's synthetic utilisation where it changed. */
  async #reportUtilization(nodes: readonly ApiObject[]): Promise<void> {
    const byNode = new Map<string, PodLaunch[]>();
    for (const pod of this.#running.values()) byNode.set(pod.node, [...(byNode.get(pod.node) ?? []), pod]);
    for (const node of nodes) {
      const status = node.status as NodeStatus | undefined;
      if (this.#stopped || status?.simulated !== true) continue;
      const indices = ((node.spec as NodeSpec).accelerators ?? []).map((a) => a.index);
      const accelerators = simulatedUtilization(indices, byNode.get(node.metadata.name) ?? []);
      if (JSON.stringify(accelerators) === JSON.stringify(status.accelerators)) continue;
      const { accelerators: _previous, ...rest } = status;
      await this.#writeStatus(node, accelerators === undefined ? rest : { ...rest, accelerators });
    }
  }

  async #markSimulated(node: ApiObject): Promise<void> {
    await this.#writeStatus(node, {
      state: 'Ready',
      simulated: true,
      message: 'simulated node (digital twin): no agent runs here; its pods run in virtual time',
    });
  }

  async #writeStatus(node: ApiObject, status: NodeStatus): Promise<void> {
    // An agent that reported in since the list wins: the node is then not a twin.
    await writeNodeStatus(
      this.store,
      { subject: SUBJECT, requestId: `${SUBJECT}-${this.fence.epoch}-${++this.#seq}`, fence: this.fence },
      node.metadata.name,
      status,
      node.metadata.resourceVersion,
    );
  }
}
