/**
 * The node agent (issue 6) for bare-metal machines: it discovers the hardware, declares its Node in
 * a cluster of provider `agent`, heartbeats the Node's status (the lease node lifecycle watches:
 * silence past the grace makes the node NotReady and its work requeued), and runs the pods admitted
 * onto the node with the shared WorkloadRunner over the HTTP API, as local child processes whose
 * output it ships to the server.
 *
 * A node that comes back after a partition reconciles through the runner: pods whose workload was
 * requeued or admitted elsewhere meanwhile are stopped on its first sync.
 */
import { join } from 'node:path';
import {
  type CommandRunner,
  type DiscoveredHardware,
  runCommand,
} from '../../hardware/discovery/discover-hardware.js';
import {
  GPU_TELEMETRY_ARGS,
  type GpuTelemetry,
  parseGpuTelemetry,
} from '../../hardware/discovery/gpu-telemetry.js';
import { nodeSpecFrom } from '../../hardware/discovery/node-spec-from.js';
import type { ClusterSpec, NodeSpec, NodeStatus } from '../../model/fleet.js';
import { API_VERSION, type ApiObject } from '../../model/object.js';
import type { Clock } from '../../runtime/clock.js';
import { LocalProcessRuntime } from '../local/local-process-runtime.js';
import { WorkloadRunner } from '../workload-runner.js';
import type { AgentHttp } from './agent-http.js';
import { apiPaths } from './api-paths.js';
import { AgentRefusedError, expectOk, httpWorkloadPort } from './http-workload-port.js';
import { LogShipper } from './log-shipper.js';
import { reapOrphanPods } from './orphan-pods.js';

/** The label an agent puts on its Node, naming the provider that runs its pods. */
export const PROVIDER_LABEL = 'strata.dev/provider';

/** The agent cannot start as configured (no such cluster, a cluster of another provider). */
export class AgentSetupError extends Error {
  override readonly name = 'AgentSetupError';
}

export interface NodeAgentOptions {
  readonly http: AgentHttp;
  readonly node: string;
  readonly cluster: string;
  /** Pod logs and working directories live here. */
  readonly dataDir: string;
  readonly clock: Clock;
  readonly hardware: DiscoveredHardware;
  /** Between heartbeats; default 5 s (the control plane's default grace is 40 s). */
  readonly heartbeatMs?: number;
  /** SIGTERM to SIGKILL when a pod is stopped. */
  readonly killGraceMs?: number;
  /** Runs nvidia-smi for GPU power and utilisation; injectable for tests. */
  readonly run?: CommandRunner;
  /** Called with every error the agent survives (a failed heartbeat, a failed status write). */
  readonly onError?: (error: unknown) => void;
  /** Called once when the agent must end: the server refused its token. */
  readonly onFatal?: (error: Error) => void;
}

const DEFAULT_HEARTBEAT_MS = 5_000;

export class NodeAgent {
  readonly #o: NodeAgentOptions;
  readonly #runtime: LocalProcessRuntime;
  readonly #logs: LogShipper;
  readonly #runner: WorkloadRunner;
  /** The Node as the last write or read returned it: its resourceVersion makes heartbeats conditional. */
  #node: ApiObject | undefined;
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  /** The latest GPU sample; taken on its own timer so a slow nvidia-smi never delays a heartbeat. */
  #telemetry: GpuTelemetry | undefined;
  #sampler: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: NodeAgentOptions) {
    this.#o = options;
    const onError = options.onError ?? ((error: unknown) => process.emitWarning(`agent: ${String(error)}`));
    this.#logs = new LogShipper({ root: join(options.dataDir, 'logs'), http: options.http, onError });
    this.#runtime = new LocalProcessRuntime({
      clock: options.clock,
      logs: this.#logs,
      workDir: options.dataDir,
      ...(options.killGraceMs !== undefined && { killGraceMs: options.killGraceMs }),
    });
    this.#runner = new WorkloadRunner({
      port: httpWorkloadPort(options.http),
      runtime: this.#runtime,
      owns: (node) => node === options.node,
      clock: options.clock,
      resyncMs: 1_000,
      onError: (error) => this.#failed(error),
    });
  }

  /** The Node spec this agent declares. */
  get spec(): NodeSpec {
    return nodeSpecFrom(this.#o.hardware, this.#o.cluster, this.#o.node);
  }

  /** Declares the Node, marks it Ready, then heartbeats and runs its pods until `stop`. */
  async start(): Promise<void> {
    await this.#checkCluster();
    await this.#register();
    const orphans = await reapOrphanPods(this.#o.node);
    if (orphans.length > 0) {
      this.#failed(
        new Error(`ended ${orphans.length} process(es) left running by an earlier agent of ${this.#o.node}`),
      );
    }
    if (this.#o.hardware.gpus.length > 0) {
      await this.#sample();
      this.#sampler = setInterval(() => void this.#sample(), this.#o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
      this.#sampler.unref();
    }
    await this.#heartbeat();
    this.#timer = setInterval(() => {
      this.#beating ??= this.#heartbeat()
        .catch((error: unknown) => this.#failed(error))
        .finally(() => {
          this.#beating = undefined;
        });
    }, this.#o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    this.#logs.start();
    this.#runner.start();
  }

  /** Stops the pods, ships the rest of their output, and marks the node NotReady so its work moves. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#sampler) clearInterval(this.#sampler);
    await this.#beating;
    await this.#runner.stop();
    await this.#runtime.close();
    await this.#logs.stop().catch((error: unknown) => this.#failed(error));
    await this.#writeStatus('NotReady', 'the agent was stopped').catch((error: unknown) =>
      this.#failed(error),
    );
    this.#o.http.close();
  }

  #failed(error: unknown): void {
    if (error instanceof AgentRefusedError && error.status === 401) {
      this.#o.onFatal?.(error);
      return;
    }
    (this.#o.onError ?? ((e: unknown) => process.emitWarning(`agent: ${String(e)}`)))(error);
  }

  async #checkCluster(): Promise<void> {
    const { http, cluster } = this.#o;
    const response = await http.request('GET', apiPaths.cluster(cluster));
    if (response.status === 404) {
      throw new AgentSetupError(
        `cluster "${cluster}" does not exist; apply a Cluster with spec.provider: agent first (or pass --cluster)`,
      );
    }
    expectOk(response, `reading cluster ${cluster}`);
    const provider = ((response.body as ApiObject).spec as ClusterSpec).provider;
    if (provider !== 'agent') {
      throw new AgentSetupError(
        `cluster "${cluster}" has provider ${provider}; node agents join clusters with spec.provider: agent`,
      );
    }
  }

  /**
   * Applies the Node: the hardware as discovered, and what people set on it kept as it is (taints,
   * unschedulable, rack and block, power, NICs and slots the agent cannot see).
   */
  async #register(): Promise<void> {
    const { http, node } = this.#o;
    const existing = await http.request('GET', apiPaths.node(node));
    if (existing.status !== 404) expectOk(existing, `reading node ${node}`);
    const previous = existing.status === 404 ? undefined : (existing.body as ApiObject<NodeSpec>);
    const discovered = this.spec;
    const kept = previous?.spec;
    const spec: NodeSpec = {
      ...discovered,
      ...(kept && {
        taints: kept.taints,
        unschedulable: kept.unschedulable,
        ...(kept.topology !== undefined && { topology: kept.topology }),
        ...(kept.power !== undefined && { power: kept.power }),
        ...(kept.acceleratorSlots !== undefined && { acceleratorSlots: kept.acceleratorSlots }),
        nics: discovered.nics.length > 0 ? discovered.nics : kept.nics,
      }),
    };
    const response = await http.request('PUT', apiPaths.node(node), {
      json: {
        apiVersion: API_VERSION,
        kind: 'Node',
        metadata: { name: node, labels: { ...previous?.metadata.labels, [PROVIDER_LABEL]: 'agent' } },
        spec,
      },
    });
    expectOk(response, `registering node ${node}`);
    this.#node = response.body as ApiObject;
  }

  async #sample(): Promise<void> {
    try {
      this.#telemetry = parseGpuTelemetry(
        await (this.#o.run ?? runCommand)('nvidia-smi', [...GPU_TELEMETRY_ARGS]),
      );
    } catch (error) {
      this.#telemetry = undefined;
      this.#failed(error);
    }
  }

  async #heartbeat(): Promise<void> {
    if (this.#stopped) return;
    const running = this.#runtime.running().length;
    const gpu = this.#telemetry;
    const utilization =
      gpu?.utilization === undefined
        ? ''
        : `; GPU utilisation ${Math.round(gpu.utilization * 100)}% over ${gpu.sampledGpus} GPU${gpu.sampledGpus === 1 ? '' : 's'}`;
    await this.#writeStatus(
      'Ready',
      `agent on ${this.#o.hardware.hostname}: ${running} pod${running === 1 ? '' : 's'} running${utilization}`,
      gpu?.powerDrawWatts,
      gpu?.gpus.length ? [...gpu.gpus] : undefined,
    );
  }

  /** Writes the node's status conditionally on the version last seen; on a conflict reads and retries once. */
  async #writeStatus(
    state: NodeStatus['state'],
    message: string,
    powerDrawWatts?: number,
    accelerators?: NodeStatus['accelerators'],
  ): Promise<void> {
    const { http, node, clock } = this.#o;
    for (let attempt = 0; attempt < 2; attempt++) {
      const previous = this.#node?.status as NodeStatus | undefined;
      // Power and utilisation are this beat's or none: a stale figure would outlive the GPUs that drew it.
      const {
        powerDrawWatts: _stale,
        accelerators: _staleGpus,
        ...kept
      } = previous ?? ({} as Partial<NodeStatus>);
      const status: NodeStatus = {
        ...kept,
        // A drain is someone's decision; a heartbeat only says the node is alive.
        state: state === 'Ready' && previous?.state === 'Draining' ? 'Draining' : state,
        lastHeartbeat: clock.now().toISOString(),
        message,
        ...(powerDrawWatts !== undefined && { powerDrawWatts }),
        ...(accelerators !== undefined && { accelerators }),
      };
      const response = await http.request('PUT', apiPaths.nodeStatus(node), {
        json: {
          ...(this.#node && { metadata: { resourceVersion: this.#node.metadata.resourceVersion } }),
          status,
        },
      });
      if (response.status === 409) {
        const fresh = await http.request('GET', apiPaths.node(node));
        expectOk(fresh, `reading node ${node}`);
        this.#node = fresh.body as ApiObject;
        continue;
      }
      if (response.status === 404 && !this.#stopped) {
        // Someone deleted the Node: declare it again.
        await this.#register();
        continue;
      }
      expectOk(response, `heartbeating node ${node}`);
      this.#node = response.body as ApiObject;
      return;
    }
  }
}
