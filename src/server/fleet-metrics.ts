/**
 * Feeds the fleet metrics (issue 7): a mirror of the Nodes, Clusters, Queues and Workloads, listed
 * once and then kept current from the watch hub's committed events, from which the gauges are
 * computed at scrape time (fleet-gauges.ts, memoised until the next change); and the scheduling
 * counters, counted from the phase history each Workload status carries
 * (src/model/workload-history.ts): every new Admitted entry is a placement decision and an
 * admission latency sample (from the entry before it, the start of that wait, or the workload's
 * creation for its first), every new Preempted entry a preemption. Reading the history rather
 * than the phase catches a preemption immediately followed by a requeue in the same write.
 *
 * The counters start at zero when the server starts, as Prometheus counters do; the events of
 * the revision range the mirror was listed at are not counted twice (object resourceVersions
 * guard the replay).
 */
import type { ApiObject } from '../model/object.js';
import type { PhaseTransition } from '../model/scheduling.js';
import { HOLDING_PHASES } from '../model/workload-history.js';
import type { WatchHub } from '../runtime/watch-hub.js';
import type { Store, StoreEvent } from '../store/store.js';
import {
  type ClusterObject,
  type FleetGauges,
  fleetGauges,
  type NodeObject,
  type QueueObject,
  type WorkloadObject,
} from './fleet-gauges.js';
import type { ServerMetrics } from './metrics.js';

const KINDS = ['Node', 'Cluster', 'Queue', 'Workload'] as const;
type MirroredKind = (typeof KINDS)[number];
const PAGE = 1000;

function keyOf(object: ApiObject): string {
  return object.metadata.project
    ? `${object.metadata.project}/${object.metadata.name}`
    : object.metadata.name;
}

export class FleetMetrics {
  readonly #objects = new Map<MirroredKind, Map<string, ApiObject>>(KINDS.map((k) => [k, new Map()]));
  /** Per workload, the newest history entry already counted. */
  readonly #lastCounted = new Map<string, PhaseTransition | undefined>();
  #version = 0;
  #cached: { version: number; gauges: FleetGauges } | undefined;
  #unsubscribe: () => void = () => {};

  private constructor(readonly metrics: ServerMetrics) {}

  /** Lists the mirrored kinds, follows the hub from the first list's revision, and becomes the metrics' fleet source. */
  static async start(store: Store, hub: WatchHub, metrics: ServerMetrics): Promise<FleetMetrics> {
    const fleet = new FleetMetrics(metrics);
    let from: number | undefined;
    for (const kind of KINDS) {
      let cont: string | undefined;
      do {
        const page = await store.list({ kind, limit: PAGE, ...(cont !== undefined && { continue: cont }) });
        from ??= page.revision;
        for (const object of page.items) fleet.#put(object, false);
        cont = page.continue;
      } while (cont !== undefined);
    }
    fleet.#unsubscribe = hub.subscribe(from ?? 0, (events) => fleet.#apply(events));
    metrics.setFleetSource(() => fleet.gauges());
    return fleet;
  }

  gauges(): FleetGauges {
    if (this.#cached?.version !== this.#version) {
      const values = <T>(kind: MirroredKind) => this.#objects.get(kind)!.values() as Iterable<T>;
      this.#cached = {
        version: this.#version,
        gauges: fleetGauges({
          nodes: values<NodeObject>('Node'),
          clusters: values<ClusterObject>('Cluster'),
          queues: values<QueueObject>('Queue'),
          workloads: values<WorkloadObject>('Workload'),
        }),
      };
    }
    return this.#cached.gauges;
  }

  close(): void {
    this.#unsubscribe();
  }

  #apply(events: readonly StoreEvent[]): void {
    for (const event of events) {
      const kind = event.object.kind as MirroredKind;
      const objects = this.#objects.get(kind);
      if (objects === undefined) continue;
      if (event.type === 'DELETED') {
        objects.delete(keyOf(event.object));
        if (kind === 'Workload') this.#lastCounted.delete(keyOf(event.object));
        this.#version++;
      } else {
        this.#put(event.object, true);
      }
    }
  }

  #put(object: ApiObject, count: boolean): void {
    const kind = object.kind as MirroredKind;
    const objects = this.#objects.get(kind)!;
    const key = keyOf(object);
    const known = objects.get(key);
    // A replayed event older than what the list returned: already mirrored (and not to be counted).
    if (
      known !== undefined &&
      Number(known.metadata.resourceVersion) >= Number(object.metadata.resourceVersion)
    ) {
      return;
    }
    objects.set(key, object);
    this.#version++;
    if (kind === 'Workload') this.#countTransitions(key, object as WorkloadObject, count);
  }

  #countTransitions(key: string, workload: WorkloadObject, count: boolean): void {
    const history = workload.status?.history ?? [];
    const last = this.#lastCounted.get(key);
    this.#lastCounted.set(key, history.at(-1));
    if (!count) return;
    const start =
      last === undefined ? 0 : history.findIndex((h) => h.at === last.at && h.phase === last.phase) + 1;
    // The last counted entry fell out of the 50 kept: count what is there, once.
    for (let i = start; i < history.length; i++) {
      const entry = history[i]!;
      if (entry.phase === 'Preempted') this.metrics.preemptions.inc();
      if (entry.phase !== 'Admitted') continue;
      this.metrics.placementDecisions.inc();
      const since = waitStart(history, i) ?? workload.metadata.creationTimestamp;
      if (since !== undefined) {
        const seconds = (Date.parse(entry.at) - Date.parse(since)) / 1000;
        if (Number.isFinite(seconds) && seconds >= 0) this.metrics.admissionLatency.observe(seconds);
      }
    }
  }
}

/**
 * When the wait that history entry `i` ended began: the entry before it (its Pending, or the
 * Preempted or Evicted that requeued it), or undefined when there is none.
 */
function waitStart(history: readonly PhaseTransition[], i: number): string | undefined {
  const before = history[i - 1];
  return before === undefined || HOLDING_PHASES.has(before.phase) ? undefined : before.at;
}
